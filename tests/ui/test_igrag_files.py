"""IGRAG's own files in the window: their config opens, its problems sit by their fields, the
Data page shows their columns, saving changes one line, and Inspect converts their prompt."""

from __future__ import annotations

import difflib
import json

from PySide6.QtCore import QThreadPool

from igrag_gui.resources import demo_model_path
from tests.igrag_layout import LORA_CONFIG, hub_cache, igrag_copy, save_igrag_prompt, use_hub_cache


def _changed_lines(before: str, after: str) -> list[str]:
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_their_config_opens_edits_and_saves_one_line(window, qtbot, tmp_path, monkeypatch):
    use_hub_cache(monkeypatch, hub_cache(tmp_path))
    root = igrag_copy(tmp_path)
    path = root / LORA_CONFIG
    before = path.read_text(encoding="utf-8")
    assert window.open_config(path)
    tab = window.train_tab
    assert tab.form.editor("model.type").currentText() == "flan-t5"
    tip = tab.form.editor("data.train_path").toolTip()
    assert f"Resolves to {root.resolve() / 'lora_training/data/coco_lora_train_train.jsonl'}" in tip
    assert f"relative paths start at {root.resolve()}, the nearest folder above" in tip
    qtbot.waitUntil(lambda: "/" in tab.stats_label.text(), timeout=60_000)
    assert tab.stats_label.text().startswith("1,769,472 / 249,347,328")
    base_msg = tab.form.message_label("model.base_model_path")
    qtbot.waitUntil(lambda: "google/flan-t5-base from the Hugging Face cache" in base_msg.text(), timeout=60_000)
    tab.pages.setCurrentIndex(1)  # Data
    qtbot.waitUntil(lambda: "examples" in tab.preview_label.text(), timeout=60_000)
    assert tab.preview_label.text().startswith(
        "coco_lora_train_train.jsonl: 4 examples of 3 images (1.3 reference captions per image)")
    headers = [tab.preview_table.horizontalHeaderItem(c).text() for c in range(tab.preview_table.columnCount())]
    assert headers == ["image_id", "prompt", "caption", "metadata"]
    assert tab.preview_table.item(0, 3).text() == "source: coco, split: train, retrieved: 3"
    tab.form.editor("lora.r").setValue(8)
    assert window.save()
    assert _changed_lines(before, path.read_text(encoding="utf-8")) == ["-  r: 16", "+  r: 8"]
    QThreadPool.globalInstance().waitForDone(60_000)


def test_a_row_missing_the_caption_is_reported_with_its_line(window, qtbot, tmp_path, monkeypatch):
    use_hub_cache(monkeypatch, hub_cache(tmp_path))
    root = igrag_copy(tmp_path)
    data = root / "lora_training/data/coco_lora_train_train.jsonl"
    data.write_text(data.read_text() + json.dumps({"image_id": 9, "prompt": "p"}) + "\n")
    assert window.open_config(root / LORA_CONFIG)
    tab = window.train_tab
    tab.pages.setCurrentIndex(1)
    qtbot.waitUntil(lambda: "record has no" in tab.preview_label.text(), timeout=60_000)
    assert f"{data}:5: record has no 'caption' field" in tab.preview_label.text()
    QThreadPool.globalInstance().waitForDone(60_000)


def test_inspect_shows_their_prompt_and_converts_it(window, qtbot, tmp_path, monkeypatch):
    d_model = json.loads((demo_model_path() / "config.json").read_text())["d_model"]
    path = save_igrag_prompt(tmp_path / "prompt_tuning/checkpoints/prompt_embeddings.pt", dim=d_model)
    inspect = window.inspect_tab
    window.open_path(path)
    qtbot.waitUntil(lambda: inspect.current is not None, timeout=60_000)
    assert inspect.reports[inspect.current].method == "prompt tuning (IGRAG prompt embeddings)"
    assert inspect.convert_action.button.isVisible()
    out = tmp_path / "converted"
    monkeypatch.setattr(inspect.convert_action, "ask_target", lambda: (out, str(demo_model_path())))
    inspect.convert_action.button.click()
    qtbot.waitUntil(lambda: inspect.current == str(out), timeout=60_000)
    assert inspect.reports[inspect.current].method == "prompt tuning"
    assert sorted(p.name for p in out.iterdir()) == [".igrag-output.json", "adapter_config.json",
                                                     "adapter_model.safetensors"]
    assert not inspect.convert_action.button.isVisible()
    QThreadPool.globalInstance().waitForDone(60_000)


def test_the_playground_generates_with_their_converted_prompt(qtbot, settings, tmp_path):
    from PySide6.QtCore import Qt

    from igrag_gui.core.adapters.igrag_convert import convert_igrag_prompt
    from igrag_gui.ui.playground import BASE, PlaygroundTab

    d_model = json.loads((demo_model_path() / "config.json").read_text())["d_model"]
    path = save_igrag_prompt(tmp_path / "prompt_embeddings.pt", dim=d_model)
    out, _ = convert_igrag_prompt(path, tmp_path / "igrag-prompt", base=str(demo_model_path()))
    tab = PlaygroundTab(settings)
    qtbot.addWidget(tab)
    tab.show()
    tab.base_picker.setText(str(demo_model_path()))
    tab.add_adapter(out)
    ready = lambda: tab.session is not None and not tab.loading and not tab.generating  # noqa: E731
    qtbot.waitUntil(lambda: ready() and tab.adapter_list.count() == 1, timeout=240_000)
    tab.prompt_edit.setPlainText("Captions of similar images: a dog runs on the grass. Detected objects: dog.")
    qtbot.mouseClick(tab.generate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not tab.generating, timeout=240_000)
    name = tab.checked_adapters()[0]
    assert list(tab.columns) == [BASE, name]
    assert tab.columns[name].toPlainText().strip()
    assert tab.last_stats[name].new_tokens > 0
    from igrag_gui.ui import ops

    ops.wait_idle(120)
