"""Run core work off the GUI thread; results and failures come back as queued signals.

The shape follows Anki's operations: ``run_in_background(fn, on_success, on_failure)``. A worker
never touches a widget; a ``UserError`` comes back as its message (for the panel or a dialog),
anything else is logged with its traceback and comes back as a message naming the log file.
"""

from __future__ import annotations

from typing import Any, Callable

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from ..core.errors import UserError
from ..core.logs import log_exception


class _Signals(QObject):
    succeeded = Signal(object)
    failed = Signal(str)


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], Any]):
        super().__init__()
        self.fn = fn
        self.signals = _Signals()

    @Slot()
    def run(self) -> None:
        try:
            result = self.fn()
        except UserError as exc:
            self._emit(self.signals.failed, "\n".join(exc.lines))
        except Exception as exc:  # noqa: BLE001 - reported, logged, and the app stays up
            path = log_exception(exc, context="background task")
            self._emit(self.signals.failed, f"internal error: {type(exc).__name__}: {exc} (details in {path})")
        else:
            self._emit(self.signals.succeeded, result)

    def _emit(self, signal: Any, value: Any) -> None:
        if shiboken6.isValid(self.signals):  # the app may be quitting: nobody left to tell
            signal.emit(value)


def pool() -> QThreadPool:
    return QThreadPool.globalInstance()


def run_in_background(fn: Callable[[], Any], on_success: Callable[[Any], None] | None = None,
                      on_failure: Callable[[str], None] | None = None, receiver: QObject | None = None) -> _Task:
    """Run ``fn`` on the thread pool; call back on the GUI thread (queued through ``receiver``'s
    thread affinity). Returns the task, whose signals can also be connected directly."""
    task = _Task(fn)
    if receiver is not None:
        task.signals.moveToThread(receiver.thread())
    if on_success is not None:
        task.signals.succeeded.connect(on_success)
    if on_failure is not None:
        task.signals.failed.connect(on_failure)
    task.setAutoDelete(False)
    _keep.add(task)
    task.signals.succeeded.connect(lambda *_: _keep.discard(task))
    task.signals.failed.connect(lambda *_: _keep.discard(task))
    pool().start(task)
    return task


_keep: set[_Task] = set()  # tasks alive until their result is delivered


class Latest(QObject):
    """Latest-wins: only the newest request's result is delivered (older ones are dropped),
    so a slow computation for a stale form state never overwrites a newer one."""

    def __init__(self, on_success: Callable[[Any], None], on_failure: Callable[[str], None], parent: QObject):
        super().__init__(parent)
        self.on_success, self.on_failure = on_success, on_failure
        self.generation = 0

    def submit(self, fn: Callable[[], Any]) -> None:
        self.generation += 1
        mine = self.generation

        def current() -> bool:  # the newest request, and its widget still exists
            return shiboken6.isValid(self) and mine == self.generation

        def success(result: Any) -> None:
            if current():
                self.on_success(result)

        def failure(message: str) -> None:
            if current():
                self.on_failure(message)

        run_in_background(fn, success, failure, receiver=self)
