"""Exceptions escaping a slot: a bug is logged with its traceback and a dialog names the log
file; a UserError is shown as the user's message; the app keeps running."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMessageBox, QWidget

from igrag_gui.core.errors import UserError
from igrag_gui.ui import error_dialog


@pytest.fixture
def log_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("IGRAG_LOG_DIR", str(tmp_path / "logs"))
    return tmp_path / "logs"


@pytest.fixture
def parent(qtbot):
    widget = QWidget()
    qtbot.addWidget(widget)
    widget.show()
    yield widget
    for box in widget.findChildren(QMessageBox):
        box.done(0)


def _dialog(parent) -> QMessageBox:
    boxes = [b for b in parent.findChildren(QMessageBox) if b.isVisible()]
    assert len(boxes) == 1
    return boxes[0]


def test_a_bug_is_logged_and_the_dialog_names_the_log_file(qtbot, parent, log_dir):
    try:
        raise ZeroDivisionError("division by zero")
    except ZeroDivisionError as exc:
        error_dialog.report_exception(parent, exc)
    box = _dialog(parent)
    log = log_dir / "igrag.log"
    assert box.icon() == QMessageBox.Icon.Critical
    assert "ZeroDivisionError: division by zero" in box.text()
    assert str(log) in box.text()
    assert "Traceback (most recent call last)" in log.read_text()
    assert "ZeroDivisionError" in box.detailedText()


def test_a_user_error_is_shown_as_written_and_not_logged(qtbot, parent, log_dir):
    error_dialog.report_exception(parent, UserError("data.train_file: 'x.jsonl' does not exist"))
    box = _dialog(parent)
    assert box.icon() == QMessageBox.Icon.Warning
    assert box.text() == "data.train_file: 'x.jsonl' does not exist"
    assert not (log_dir / "igrag.log").exists()


def test_a_cascade_of_errors_shows_one_dialog_and_logs_them_all(qtbot, parent, log_dir):
    for i in range(3):
        error_dialog.report_exception(parent, RuntimeError(f"failure {i}"))
    _dialog(parent)
    assert (log_dir / "igrag.log").read_text().count("RuntimeError: failure") == 3


@pytest.mark.qt_no_exception_capture
def test_an_exception_in_a_real_slot_reaches_the_dialog(qtbot, parent, log_dir, monkeypatch):
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    error_dialog.install_excepthook(lambda: parent)

    def broken_slot():
        raise KeyError("missing")

    QTimer.singleShot(0, broken_slot)
    qtbot.waitUntil(lambda: any(b.isVisible() for b in parent.findChildren(QMessageBox)), timeout=5000)
    assert "KeyError" in _dialog(parent).text()
    assert parent.isVisible()
