"""The Playground tab with the demo base model and a really trained demo adapter: load, stream,
side by side, stop, batch, merge, and the bad inputs a user can cause from the window."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QThreadPool

from igrag_gui.core.config import load_config
from igrag_gui.core.events import Collect
from igrag_gui.resources import demo_config_path, demo_model_path
from igrag_gui.ui.main_window import MainWindow
from igrag_gui.ui.playground_tab import BASE, PlaygroundTab

LONG = 240_000


@pytest.fixture(scope="module")
def adapter(tmp_path_factory) -> Path:
    """A demo adapter trained for real (a few dozen steps: enough to change the outputs)."""
    from igrag_gui.core.training import train

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
    if widget._stop is not None:
        widget.stop()
    QThreadPool.globalInstance().waitForDone(120_000)


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
    assert tab.memory_label.text().startswith("Memory: ")
    tab.prompt_edit.setPlainText(SAMPLE)
    chunks: list[str] = []  # which column each streamed piece went to
    show_chunk = tab._on_chunk
    tab._on_chunk = lambda label, text: (chunks.append(label), show_chunk(label, text))
    qtbot.mouseClick(tab.generate_button, Qt.MouseButton.LeftButton)
    assert tab.generating and tab.stop_button.isEnabled()
    qtbot.waitUntil(lambda: not tab.generating, timeout=LONG)
    name = tab.checked_adapters()[0]
    assert list(tab.columns) == [BASE, name]
    base_text, adapter_text = tab.columns[BASE].toPlainText(), tab.columns[name].toPlainText()
    assert adapter_text.strip() and base_text != adapter_text
    stats = tab.last_stats[name]
    assert stats.new_tokens > 0 and stats.tokens_per_s > 0 and stats.first_token_s > 0
    assert "tokens/s" in tab.column_stats[name].text()
    assert chunks.count(name) > 1  # streamed in pieces, not delivered at the end


def test_stop_ends_a_generation_at_once(tab, qtbot, adapter):
    load_with_adapter(tab, qtbot, adapter)
    tab.prompt_edit.setPlainText(SAMPLE)
    tab.max_new_tokens.setValue(400)
    tab.sample_check.setChecked(True)
    tab.generate()
    qtbot.waitUntil(lambda: tab.columns[BASE].toPlainText() != "", timeout=LONG)
    qtbot.mouseClick(tab.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not tab.generating, timeout=30_000)
    assert tab.reason_label.text() == "Stopped."
    assert tab.last_stats.get(BASE) is None or tab.last_stats[BASE].new_tokens < 400


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
    assert str(tmp_path / "no-model") in tab.model_status.text()


def test_the_igrag_builder_fills_the_template(tab):
    tab.captions_edit.setPlainText("a dog runs on the grass\na brown dog in a park")
    tab.objects_edit.setPlainText("dog 0.0 0.3 0.3 0.4\nfrisbee, top")
    prompt = tab.build_prompt()
    assert "a dog runs on the grass | a brown dog in a park" in prompt
    assert "dog (left)" in prompt and "frisbee (top)" in prompt
    assert tab.prompt_edit.toPlainText() == prompt


def test_batch_scores_base_and_adapter(tab, qtbot, adapter, tmp_path):
    load_with_adapter(tab, qtbot, adapter)
    tab.batch_limit.setValue(8)
    qtbot.mouseClick(tab.batch_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.batch_result is not None, timeout=LONG)
    result = tab.batch_result
    view = tab.batch_scores
    assert len(result.rows) == 8 and view.images.rowCount() == 8
    assert set(result.scores) == {BASE, tab.checked_adapters()[0]}
    assert "CIDEr" in tab.batch_summary.text() and "0-1 scale" in tab.batch_summary.text()
    # every metric for each model side by side: metrics as rows, models as columns
    rows = [view.summary.verticalHeaderItem(r).text() for r in range(view.summary.rowCount())]
    assert rows == ["BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4", "METEOR", "ROUGE-L", "CIDEr", "SPICE"]
    assert view.summary.columnCount() == 2
    spice = view.summary.item(7, 0)
    assert spice.text() in ("needs Java", "n/a") and "SPICE" in spice.toolTip()
    # per image, worst first by the adapter's CIDEr
    assert view.current_metric() == "cider"
    adapter_scores = [view.images.item(r, view.images.columnCount() - 1).value for r in range(8)]
    assert adapter_scores == sorted(adapter_scores)
    assert tab.export_results_button.isEnabled()
    paths = tab.export_results_to(tmp_path)
    assert [p.name for p in paths] == [f"{label}.json" for label in result.labels]
    out = tmp_path / "batch.csv"
    result.to_csv(out)
    assert out.read_text(encoding="utf-8").count("\n") >= 9


def test_merge_and_verify(tab, qtbot, adapter, tmp_path):
    load_with_adapter(tab, qtbot, adapter)
    tab.merge_out.setText(str(tmp_path / "merged"))
    with qtbot.waitSignal(tab.merged, timeout=LONG) as merged:  # the Train tab offers it as a base
        qtbot.mouseClick(tab.merge_button, Qt.MouseButton.LeftButton)
    assert merged.args == [str(tmp_path / "merged")]
    qtbot.waitUntil(lambda: not tab.loading and hasattr(tab, "merge_report"), timeout=LONG)
    assert tab.merge_report.same_outputs
    assert (tmp_path / "merged" / "model.safetensors").is_file()
    assert tab.merge_label.text().startswith(f"Saved {tmp_path / 'merged'}")


def test_inspect_and_train_send_adapters_to_the_playground(qtbot, settings, adapter):
    window = MainWindow(demo_config_path(), settings=settings, confirm_close=False)
    qtbot.addWidget(window)
    window.show()
    window.try_in_playground(str(adapter))
    assert window.tabs.tabText(window.tabs.currentIndex()) == "Playground"
    tab = window.playground_tab
    qtbot.waitUntil(lambda: ready(tab) and tab.adapter_list.count() == 1, timeout=LONG)
    QThreadPool.globalInstance().waitForDone(60_000)
