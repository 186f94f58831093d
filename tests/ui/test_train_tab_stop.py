"""Stop from the window: a resumable checkpoint at the next step and the end, with no validation
pass first, even where the epoch's end would evaluate (issue 25: Stop used to validate 15-30 s)."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt

from igrag_gui.core.training.events import Finished
from tests.ui.test_train_tab import LONG, set_output


def test_stop_from_the_tab_saves_and_ends_without_the_epochs_evaluation(window, qtbot, tmp_path):
    tab = window.train_tab
    # one epoch of the demo data is 125 steps at batch 8: stopping at step 2 or so is mid-epoch,
    # and a stop used to run the epoch-end evaluation before saving
    set_output(tab, tmp_path / "run", training__eval_strategy="epoch", training__save_strategy="epoch",
               training__logging_steps=1)
    qtbot.mouseClick(tab.start_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: tab.live.redraw_now() or tab.live.point_count() >= 2, timeout=LONG)
    with qtbot.waitSignal(tab.running_changed, timeout=LONG):
        qtbot.mouseClick(tab.stop_button, Qt.LeftButton)
    closing = tab.live.history.closing
    assert isinstance(closing, Finished) and closing.stopped and closing.step < 125
    assert closing.checkpoint == str(tmp_path / "run" / f"checkpoint-{closing.step}")
    assert len(tab.live.history.evals) == 0  # the window drew no evaluation
    events = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [e for e in events if e["event"] == "eval"] == []  # and the run recorded none
