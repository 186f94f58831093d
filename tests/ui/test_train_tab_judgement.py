"""One edit in the form builds one config and validates it once, without the disk; the disk checks
(files, folders, a checkpoint to resume) run once the user pauses, not per keystroke."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt

from igrag_gui.core.config import RunConfig
from igrag_gui.core.config.judge import ConfigJudge
from igrag_gui.ui.train.form.config_form import ConfigForm


@pytest.fixture
def counts(monkeypatch):
    """Calls on the GUI thread of validate, of the disk look and of the form's config builder
    (spies around the real methods; worker threads counting parameters are not counted)."""
    seen = {"validate": 0, "look": 0, "config": 0}

    def spy(cls, name, key):
        real = getattr(cls, name)

        def counted(self, *args, **kwargs):
            if threading.current_thread() is threading.main_thread():
                seen[key] += 1
            return real(self, *args, **kwargs)

        monkeypatch.setattr(cls, name, counted)

    spy(RunConfig, "validate", "validate")
    spy(ConfigJudge, "look", "look")
    spy(ConfigForm, "config", "config")
    return seen


def settle(window, qtbot) -> None:
    """No pause pending and the background reads (model, counts, preview) delivered."""
    from PySide6.QtCore import QThreadPool

    tab = window.train_tab
    qtbot.waitUntil(lambda: not tab._debounce.isActive() and tab.model_info is not None, timeout=60_000)
    QThreadPool.globalInstance().waitForDone(60_000)
    qtbot.wait(100)


def test_each_keystroke_validates_once_and_the_disk_waits_for_a_pause(window, qtbot, counts):
    settle(window, qtbot)
    counts.update(validate=0, look=0, config=0)
    field = window.train_tab.form.editor("data.prompt_field")
    field.setFocus()
    qtbot.keyClicks(field, "abc")  # three edits, faster than the debounce
    assert counts == {"validate": 3, "look": 0, "config": 3}
    qtbot.waitUntil(lambda: counts["look"] == 1, timeout=5000)
    settle(window, qtbot)
    assert counts["look"] == 1 and counts["validate"] == 3  # the pause looks at the disk, no re-validation


def test_a_missing_file_is_found_after_the_pause_and_kept_across_other_edits(window, qtbot, tmp_path, counts):
    settle(window, qtbot)  # the window's own first look at the disk is over
    counts.update(validate=0, look=0, config=0)
    tab = window.train_tab
    tab.form.editor("data.train_path").setText(str(tmp_path / "missing.jsonl"))
    assert counts["look"] == 0
    qtbot.waitUntil(lambda: "data.train_path: file" in tab.reason_label.text(), timeout=5000)
    looks = counts["look"]
    qtbot.mouseClick(tab.form.editor("training.fp16"), Qt.LeftButton)  # an edit that names no file
    assert "data.train_path: file" in tab.reason_label.text()  # the disk's answer is kept
    assert not tab.start_button.isEnabled() and counts["look"] == looks
    settle(window, qtbot)


def test_start_looks_at_the_disk_itself(window, qtbot, tmp_path):
    """An edit to a path and Start at once, before the pause: Start checks the files anyway."""
    tab = window.train_tab
    tab.form.editor("data.train_path").setText(str(tmp_path / "missing.jsonl"))
    assert tab.start() is False
    assert "data.train_path: file" in tab.reason_label.text()
    settle(window, qtbot)


def test_typing_a_path_builds_one_config_per_keystroke_and_resolves_it_after_the_pause(window, qtbot, counts):
    settle(window, qtbot)
    counts.update(validate=0, look=0, config=0)
    field = window.train_tab.form.editor("data.val_path").line_edit
    field.setFocus()
    field.end(False)
    qtbot.keyClicks(field, "xyz")
    assert counts == {"validate": 3, "look": 0, "config": 3}
    qtbot.waitUntil(lambda: counts["look"] == 1, timeout=5000)
    qtbot.waitUntil(lambda: "val.jsonlxyz" in window.train_tab.form.editor("data.val_path").toolTip(), timeout=5000)
    settle(window, qtbot)
