"""The Import data dialog, clicked for real: preview, guessed mapping, checks, histogram, import."""

from __future__ import annotations

import csv
import json
import os

from PySide6.QtCore import Qt


def test_import_a_csv_from_the_train_tab(window, qtbot, tmp_path):
    src = tmp_path / "pairs.csv"
    with src.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "question", "answer", "score"])
        for i in range(30):
            prompt = ("Similar images: a dog on the grass. " * (60 if i < 3 else 2)).strip()
            writer.writerow([i, prompt, f"a dog number {i}.", i / 10])
    tab = window.train_tab
    tab.pages.setCurrentIndex(tab.pages.indexOf(tab._data_page))
    qtbot.mouseClick(tab.import_button, Qt.LeftButton)
    dialog = tab.import_dialog
    qtbot.addWidget(dialog)
    dialog.set_source(str(src))
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 30, timeout=30_000)
    assert [dialog.table.horizontalHeaderItem(c).text() for c in range(4)] == ["id", "question", "answer", "score"]
    assert {r: b.currentText() for r, b in dialog.combos.items()} == {"prompt": "question", "caption": "answer",
                                                                      "image_id": "id"}
    assert dialog.findings_label.text() == "The mapping looks right."
    qtbot.waitUntil(lambda: "max_source_length" in dialog.histogram.labels["prompt"].text(), timeout=60_000)
    assert dialog.histogram.labels["prompt"].text().startswith(
        "3 of 30 prompts longer than max_source_length=256 tokens (would be truncated); longest ")
    assert dialog.histogram.labels["caption"].text().startswith(
        "none of 30 captions longer than max_target_length=48 tokens (would be truncated)")

    dialog.combos["caption"].setCurrentText("score")  # a mapping mistake: caught before anything is written
    assert "error: column 'score' (the caption) holds numbers (e.g. 0.0), not text" in dialog.findings_label.text()
    assert not dialog.import_button.isEnabled()
    dialog.combos["caption"].setCurrentText("answer")
    assert dialog.import_button.isEnabled()

    out = tmp_path / "imported.jsonl"
    dialog.out_edit.setText(str(out))
    with qtbot.waitSignal(dialog.imported, timeout=30_000) as signal:
        dialog.import_button.click()
    assert signal.args == [str(out)], dialog.status_label.text()
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 30 and rows[5] == {"image_id": 5, "prompt": "Similar images: a dog on the grass. "
                                           "Similar images: a dog on the grass.", "caption": "a dog number 5."}
    assert dialog.status_label.text() == f"Wrote 30 rows to {out}."
    assert tab.form.editor("data.train_path").text() == str(out)
    qtbot.waitUntil(lambda: "max_source_length" in dialog.histogram.labels["prompt"].text(), timeout=60_000)
    if os.environ.get("IGRAG_SCREENSHOTS"):
        dialog.grab().save(os.path.join(os.environ["IGRAG_SCREENSHOTS"], "import_dialog.png"))


def test_a_source_that_cannot_be_read_says_why(window, qtbot, tmp_path):
    tab = window.train_tab
    tab.pages.setCurrentIndex(tab.pages.indexOf(tab._data_page))
    dialog = tab.open_import()
    qtbot.addWidget(dialog)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    dialog.set_source(str(empty))
    qtbot.waitUntil(lambda: "nothing to import" in dialog.status_label.text(), timeout=30_000)
    assert dialog.status_label.text() == f"{empty}: no rows in the file; nothing to import"
    assert not dialog.import_button.isEnabled()


def test_stop_cancels_the_import_and_writes_nothing(qtbot, tmp_path):
    from igrag_gui.core.config import load_config
    from igrag_gui.resources import demo_config_path
    from igrag_gui.ui.data_import.dialog import ImportDialog

    src = tmp_path / "many.csv"
    with src.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["prompt", "caption"])
        writer.writerows([f"Similar images: a dog on the grass number {i}.", f"a dog {i}."] for i in range(400_000))
    dialog = ImportDialog(load_config(demo_config_path())[0])
    qtbot.addWidget(dialog)
    dialog.set_source(str(src))
    qtbot.waitUntil(dialog.import_button.isEnabled, timeout=30_000)
    out = tmp_path / "stopped.jsonl"
    dialog.out_edit.setText(str(out))
    dialog.import_button.click()
    assert dialog.stop_button.isEnabled() and not dialog.import_button.isEnabled()
    dialog.stop_button.click()
    qtbot.waitUntil(lambda: not dialog.importing(), timeout=60_000)
    assert dialog.status_label.text() == "Stopped; nothing was written."
    assert not out.exists() and not (tmp_path / "stopped.jsonl.part").exists()
    assert dialog.import_button.isEnabled() and not dialog.stop_button.isEnabled()
