"""UI test fixtures: qasync's loop over the test's QApplication (so ``qtbot.waitUntil`` and
``waitSignal`` drive the UI's coroutines), a fresh QSettings per test, and a guard that fails any
test leaving a QThread running or a child process alive (as napari's fixtures do)."""

from __future__ import annotations

import gc
import glob
import os
import time

import pytest
from PySide6.QtCore import QCoreApplication, QSettings, QThread, QThreadPool

import shiboken6

_started: list[QThread] = []


def _running(thread: QThread) -> bool:
    return shiboken6.isValid(thread) and thread.isRunning()  # deleted means finished
_original_start = QThread.start


def _tracking_start(self, *args, **kwargs):
    _started.append(self)
    return _original_start(self, *args, **kwargs)


QThread.start = _tracking_start


def child_pids() -> set[int]:
    """Live child processes of this test process (Linux /proc; empty elsewhere)."""
    pids: set[int] = set()
    for path in glob.glob(f"/proc/{os.getpid()}/task/*/children"):
        try:
            pids |= {int(p) for p in open(path).read().split()}
        except OSError:
            pass
    alive = set()
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                if fh.read().split(") ", 1)[1].split()[0] != "Z":
                    alive.add(pid)
        except OSError:
            pass
    return alive


@pytest.fixture(autouse=True)
def no_leftover_threads_or_processes(qapp):
    from igrag_gui.ui import ops

    ops.install_event_loop(qapp)  # one loop per test: a test's tasks never leak into the next
    # The last test's widgets (pyqtgraph's are full of reference cycles) are collected here, on the
    # GUI thread: a collection that runs on a worker thread destroys their Qt objects there and can
    # deadlock against the GUI thread (seen: a ViewBox menu, model building on igrag-ml_0).
    gc.collect()
    before = child_pids()
    _started.clear()
    yield
    ops.shutdown_event_loop(60)  # cancels the test's tasks and waits for work still running
    QThreadPool.globalInstance().waitForDone(60_000)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (any(_running(t) for t in _started) or child_pids() - before):
        QCoreApplication.processEvents()
        time.sleep(0.05)
    running = [type(t).__name__ for t in _started if _running(t)]
    leftover = child_pids() - before
    _started.clear()
    assert not running, f"test left QThreads running: {running}"
    assert not leftover, f"test left child processes alive: {sorted(leftover)}"


@pytest.fixture
def settings(tmp_path):
    """An isolated QSettings file, so tests never touch the user's."""
    return QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)


@pytest.fixture
def window(qtbot, settings):
    """The main window on the demo config, stopped and closed without questions at the end."""
    from igrag_gui.resources import demo_config_path
    from igrag_gui.ui import ops
    from igrag_gui.ui.main_window import MainWindow

    win = MainWindow(demo_config_path(), settings=settings, confirm_close=False)
    win.show()
    yield win
    if win.train_tab.is_running():
        win.stop_training_and_wait()
    QThreadPool.globalInstance().waitForDone(60_000)
    ops.wait_idle(60)
    qtbot.wait(50)
    win.close()
    win.deleteLater()
