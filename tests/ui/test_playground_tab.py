"""The Playground tab with the demo base model and a really trained demo adapter: load, stream,
side by side, stop, batch, merge, validation examples, and the bad inputs a user can cause from
the window. Every flow runs through ``ui.ops`` on the qasync loop the fixtures install."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from igrag_gui.core.config import load_config
from igrag_gui.core.training.events import Collect
from igrag_gui.resources import demo_config_path, demo_model_path
from igrag_gui.ui import ops
from igrag_gui.ui.main_window import MainWindow
from igrag_gui.ui.playground import BASE, PlaygroundTab

LONG = 240_000
VAL = Path(__file__).resolve().parents[2] / "resources/demo/data/val.jsonl"


@pytest.fixture(scope="module")
def adapter(tmp_path_factory) -> Path:
    """A demo adapter trained for real (a few dozen steps: enough to change the outputs)."""
    from igrag_gui.core.training.train import train

    out = tmp_path_factory.mktemp("adapter")
    cfg, _ = load_config(demo_config_path(), [f"training.output_dir={out}", "training.eval_strategy=no",
                                              "training.save_strategy=no", "training.logging_steps=10"])
    train(cfg, Collect(), max_steps=40)
    assert (out / "adapter_model.safetensors").is_file()
    return out


@pytest.fixture
def tab(qtbot, settings):
    widget = PlaygroundTab(settings)
    qtbot.addWidget(widget)
    widget.resize(1300, 850)
    widget.show()
    yield widget
    widget.stop()
    ops.wait_idle(120)


def ready(tab: PlaygroundTab) -> bool:
    return tab.session is not None and not tab.loading and not tab.generating


def load_with_adapter(tab, qtbot, adapter) -> None:
    tab.base_picker.setText(str(demo_model_path()))
    tab.add_adapter(adapter)  # loads the base first, then attaches
    qtbot.waitUntil(lambda: ready(tab) and tab.adapter_list.count() == 1, timeout=LONG)


SAMPLE = ("Write one caption for the image. Captions of similar images: a dog runs on the grass | "
          "a brown dog playing in a park. Detected objects: dog (left), frisbee (top).")


def test_stream_base_and_adapter_side_by_side(tab, qtbot, adapter):
    load_with_adapter(tab, qtbot, adapter)
    assert tab.model_panel.memory_label.text().startswith("Memory: ")
    tab.prompt_edit.setPlainText(SAMPLE)
    chunks: list[str] = []  # which column each streamed piece went to
    show_chunk = tab.outputs.append
    tab.outputs.append = lambda label, text: (chunks.append(label), show_chunk(label, text))
    qtbot.mouseClick(tab.generate_button, Qt.MouseButton.LeftButton)
    assert tab.generating and tab.is_busy() and tab.stop_button.isEnabled()
    assert not any(b.isEnabled() for b in (tab.model_panel.load_button, tab.batch.run_button,
                                           tab.merge_panel.button, tab.generate_button))
    qtbot.waitUntil(lambda: not tab.generating, timeout=LONG)
    assert not tab.is_busy() and tab.batch.run_button.isEnabled() and tab.generate_button.isEnabled()
    name = tab.checked_adapters()[0]
    assert list(tab.columns) == [BASE, name]
    base_text, adapter_text = tab.columns[BASE].toPlainText(), tab.columns[name].toPlainText()
    assert adapter_text.strip() and base_text != adapter_text
    stats = tab.last_stats[name]
    assert stats.new_tokens > 0 and stats.tokens_per_s > 0 and stats.first_token_s > 0
    assert "tokens/s" in tab.outputs.column_stats[name].text()
    assert chunks.count(name) > 1  # streamed in pieces, not delivered at the end


def test_stop_ends_a_generation_at_once(tab, qtbot, adapter):
    load_with_adapter(tab, qtbot, adapter)
    tab.prompt_edit.setPlainText(SAMPLE)
    tab.max_new_tokens.setValue(400)
    tab.settings_box.sample_check.setChecked(True)
    # the form has no "min new tokens": ask for them directly, so that no end token ends it first
    form_settings = tab.generation_settings
    tab.generation_settings = lambda: form_settings().with_(min_new_tokens=400)
    tab.generate()
    qtbot.waitUntil(lambda: tab.columns[BASE].toPlainText() != "", timeout=LONG)
    qtbot.mouseClick(tab.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not tab.generating, timeout=30_000)
    assert tab.reason_label.text() == "Stopped." and tab.failure is None
    stats = tab.last_stats[BASE]  # the base column ended early; the adapter's never started
    assert stats.stopped and stats.new_tokens < 400 and "stopped" in tab.outputs.column_stats[BASE].text()
    assert tab.outputs.text(tab.checked_adapters()[0]) == "" and not tab.session.busy


def test_an_empty_prompt_is_refused_with_the_reason(tab, qtbot):
    tab.prompt_edit.setPlainText("   ")
    assert not tab.generate_button.isEnabled()
    assert not tab.generate()
    assert tab.reason_label.text() == "The prompt is empty: write one or build it from captions and objects."


def test_a_generation_asked_while_loading_waits_for_the_model(tab, qtbot):
    tab.base_picker.setText(str(demo_model_path()))
    tab.load()
    assert tab.loading
    tab.prompt_edit.setPlainText(SAMPLE)
    assert tab.generate()
    assert tab.reason_label.text() == "Waiting for the model to load; the generation starts right after."
    qtbot.waitUntil(lambda: tab.columns[BASE].toPlainText() != "" and not tab.generating, timeout=LONG)


def test_a_missing_base_model_is_reported(tab, qtbot, tmp_path):
    tab.base_picker.setText(str(tmp_path / "no-model"))
    tab.load()
    qtbot.waitUntil(lambda: not tab.loading, timeout=LONG)
    assert tab.session is None
    assert str(tmp_path / "no-model") in tab.model_panel.status.text()


def test_the_igrag_builder_fills_the_template(tab):
    tab.prompt_panel.captions_edit.setPlainText("a dog runs on the grass\na brown dog in a park")
    tab.prompt_panel.objects_edit.setPlainText("dog 0.0 0.3 0.3 0.4\nfrisbee, top")
    prompt = tab.build_prompt()
    assert "a dog runs on the grass | a brown dog in a park" in prompt
    assert "dog (left)" in prompt and "frisbee (top)" in prompt
    assert tab.prompt_edit.toPlainText() == prompt


def test_batch_scores_base_and_adapter(tab, qtbot, adapter, tmp_path):
    load_with_adapter(tab, qtbot, adapter)
    name = tab.checked_adapters()[0]
    tab.batch.limit.setValue(8)
    qtbot.mouseClick(tab.batch.run_button, Qt.MouseButton.LeftButton)
    assert tab.doing == "batch" and tab.batch.cancel_button.isEnabled() and not tab.batch.run_button.isEnabled()
    qtbot.waitUntil(lambda: tab.batch_result is not None and not tab.is_busy(), timeout=LONG)
    result = tab.batch_result
    view = tab.batch.scores
    assert len(result.rows) == 8 and view.images.rowCount() == 8 and tab.batch.progress.value() == 1000
    assert result.labels == [BASE, name] and list(result.scores) == [BASE, name]
    assert "CIDEr" in tab.batch.summary.text() and "0-1 scale" in tab.batch.summary.text()
    # the engine (auto by default) each model's captions came from, and why, one line each
    assert tab.batch.engine.currentText() == "auto" and tab.batch.engine.isEnabled()
    assert tab.batch.summary.text().splitlines()[1:] == result.engine_lines()
    assert [line.split(":")[0] for line in result.engine_lines()] == [f"engine for {BASE}", f"engine for {name}"]
    # every metric for each model side by side: metrics as rows, models as columns, each cell the
    # result's own figure for that model (a swapped column would fail here)
    rows = [view.summary.verticalHeaderItem(r).text() for r in range(view.summary.rowCount())]
    assert rows == ["BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4", "METEOR", "ROUGE-L", "CIDEr", "SPICE"]
    columns = [view.summary.horizontalHeaderItem(c).text() for c in range(view.summary.columnCount())]
    assert columns == [BASE, name]
    for c, label in enumerate(columns):
        for r, metric in enumerate(("bleu1", "bleu2", "bleu3", "bleu4")):
            assert view.summary.item(r, c).value == pytest.approx(result.overall(label)[metric])
    assert result.overall(BASE)["cider"] != result.overall(name)["cider"]
    spice = view.summary.item(7, 0)
    assert spice.text() in ("needs Java", "n/a") and "SPICE" in spice.toolTip()
    # per image, worst first by the adapter's CIDEr
    assert view.current_metric() == "cider"
    adapter_scores = [view.images.item(r, view.images.columnCount() - 1).value for r in range(8)]
    assert adapter_scores == sorted(adapter_scores)
    assert tab.batch.export_results_button.isEnabled()
    paths = tab.batch.export_results_to(tmp_path)
    assert [p.name for p in paths] == [f"{label}.json" for label in result.labels]
    out = tmp_path / "batch.csv"
    result.to_csv(out)
    assert out.read_text(encoding="utf-8").count("\n") >= 9


def test_merge_and_verify(tab, qtbot, adapter, tmp_path):
    load_with_adapter(tab, qtbot, adapter)
    tab.merge_panel.out.setText(str(tmp_path / "merged"))
    with qtbot.waitSignal(tab.merged, timeout=LONG) as merged:  # the Train tab offers it as a base
        qtbot.mouseClick(tab.merge_panel.button, Qt.MouseButton.LeftButton)
        assert tab.doing == "merging" and not tab.merge_panel.button.isEnabled()
    assert merged.args == [str(tmp_path / "merged")]
    qtbot.waitUntil(lambda: not tab.is_busy(), timeout=LONG)
    assert tab.merge_panel.report.same_outputs
    assert (tmp_path / "merged" / "model.safetensors").is_file()
    assert tab.merge_panel.label.text().startswith(f"Saved {tmp_path / 'merged'}")


def test_inspect_and_train_send_adapters_to_the_playground(qtbot, settings, adapter):
    window = MainWindow(demo_config_path(), settings=settings, confirm_close=False)
    qtbot.addWidget(window)
    window.show()
    window.try_in_playground(str(adapter))
    assert window.tabs.tabText(window.tabs.currentIndex()) == "Playground"
    tab = window.playground_tab
    qtbot.waitUntil(lambda: ready(tab) and tab.adapter_list.count() == 1, timeout=LONG)
    ops.wait_idle(60)


def test_the_prompt_box_starts_with_a_validation_example(tab, qtbot):
    from igrag_gui.core.playground.examples import validation_examples

    examples = validation_examples(VAL)
    qtbot.waitUntil(lambda: tab.prompt() != "", timeout=30_000)
    assert tab.prompt() == examples[0].prompt and tab.generate_button.isEnabled()
    assert tab.prompt_panel.example_label.text() == (
        f"val.jsonl, line {examples[0].line} (1 of {len(examples):,}); reference: “{examples[0].caption}”")
    qtbot.mouseClick(tab.prompt_panel.example_button, Qt.MouseButton.LeftButton)
    assert tab.prompt() == examples[1].prompt


def test_an_adapter_from_a_run_offers_that_runs_validation_data(tab, qtbot, adapter, tmp_path):
    import json
    import shutil

    import yaml

    val = tmp_path / "their-val.jsonl"
    val.write_text(json.dumps({"prompt": "Caption: two giraffes by a tree", "caption": "two giraffes"}) + "\n")
    run = tmp_path / "run"
    shutil.copytree(adapter, run)
    config = yaml.safe_load(demo_config_path().read_text(encoding="utf-8"))
    config["data"]["val_path"] = str(val)
    (run / "run.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    tab.prompt_edit.setPlainText("")
    load_with_adapter(tab, qtbot, run)
    qtbot.waitUntil(lambda: tab.prompt_panel.examples_file == val, timeout=30_000)
    assert tab.prompt() == "Caption: two giraffes by a tree"


def test_a_generation_asked_during_a_batch_waits_for_it(tab, qtbot, adapter):
    load_with_adapter(tab, qtbot, adapter)
    tab.batch.limit.setValue(2)
    tab.run_batch()
    tab.prompt_edit.setPlainText(SAMPLE)
    assert not tab.generate_button.isEnabled()  # the button waits; the call queues
    assert tab.generate()
    assert tab.reason_label.text() == "Waiting for the batch to finish; the generation starts right after."
    qtbot.waitUntil(lambda: tab.batch_result is not None and tab.last_stats.get(BASE) is not None
                    and not tab.is_busy(), timeout=LONG)
    assert tab.outputs.text(BASE).strip()


def test_a_failed_generation_is_shown_from_the_tabs_state_and_kept(tab, qtbot, adapter):
    """The model held elsewhere (another thread, the CLI's session): the worker is refused, and
    the refusal comes back as the failure the tab keeps and shows, in the error colour."""
    from igrag_gui.ui.theme import status_hex

    load_with_adapter(tab, qtbot, adapter)
    tab.prompt_edit.setPlainText(SAMPLE)
    held = "a test holds the model; wait for it to finish"
    with tab.session.exclusive(held):
        tab.generate()
        qtbot.waitUntil(lambda: not tab.generating, timeout=LONG)
    assert tab.failure == held and tab.reason_label.text() == held
    assert status_hex("error", tab) in tab.reason_label.styleSheet()
    assert tab.outputs.text(BASE) == "" and BASE not in tab.last_stats
    tab.max_new_tokens.setValue(5)  # any other change keeps the failure on screen until the next try
    assert tab.reason_label.text() == held
    assert tab.generate()
    qtbot.waitUntil(lambda: not tab.generating, timeout=LONG)
    assert tab.failure is None and tab.reason_label.text() == "" and tab.outputs.text(BASE).strip()


def test_the_playground_offers_the_train_tab_s_validation_data(window, make_config, tmp_path):
    """The prompt box starts from the data the user is working on, not the demo's."""
    import json

    val = tmp_path / "data" / "val.jsonl"
    val.write_text(json.dumps({"prompt": "Caption: a red kite over the sea", "caption": "a kite"}) + "\n")
    assert window.open_config(make_config())
    tab = window.playground_tab
    assert tab.prompt_panel.examples_file == val and tab.prompt() == "Caption: a red kite over the sea"
