"""The Train tab shows the data check's leakage warning above the plots, for real: a run from the
tab on a training file holding a validation row, and the live view fed the child's own events."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from igrag_gui.core.training.events import Message, event_from_json
from igrag_gui.ui.live import LiveView

ROOT = Path(__file__).resolve().parents[2]
LONG = 240_000  # ms: a child process imports torch, loads the model and trains


@pytest.fixture
def view(qtbot):
    widget = LiveView()
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_a_leakage_message_is_shown_until_the_next_run(view):
    text = "data leakage: 4 prompts that contain their own caption; 'igrag data check run.yaml' lists the rows"
    view.on_event(Message("warning", "fp16 is not available here"))
    view.redraw_now()
    assert not view.warning_label.isVisible()  # other warnings stay in the log
    view.on_event(event_from_json(Message("warning", text, topic="leakage").to_json()))
    view.redraw_now()
    assert view.warning_label.isVisible() and view.warning_label.text() == f"Warning: {text}"
    assert f"warning: {text}" in view.log_text()
    view.clear()
    view.redraw_now()
    assert not view.warning_label.isVisible()


def test_training_from_the_tab_on_leaky_data_shows_the_warning(window, qtbot, tmp_path):
    tab = window.train_tab
    rows = (ROOT / "resources/demo/data/train.jsonl").read_text().splitlines()[:40]
    rows.append((ROOT / "resources/demo/data/val.jsonl").read_text().splitlines()[0])
    data = tmp_path / "train.jsonl"
    data.write_text("\n".join(rows) + "\n")
    tab.form.editor("data.train_path").setText(str(data))
    tab.form.editor("training.output_dir").setText(str(tmp_path / "run"))
    tab.form.editor("training.max_steps").setValue(1)
    tab.form.editor("training.eval_strategy").setCurrentText("no")
    with qtbot.waitSignal(tab.running_changed, timeout=5000):
        qtbot.mouseClick(tab.start_button, Qt.LeftButton)
    with qtbot.waitSignal(tab.running_changed, timeout=LONG):
        pass
    tab.live.redraw_now()
    label = tab.live.warning_label
    assert label.isVisibleTo(tab)
    assert label.text() == (
        "Warning: data leakage in train.jsonl, val.jsonl: 1 validation rows whose image is also in training "
        "(same image_id or file); 1 validation rows whose prompt and caption are also a training row; the "
        "scores may flatter the model; 'igrag data check CONFIG' lists the rows")
