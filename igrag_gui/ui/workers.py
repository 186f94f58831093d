"""The window's first-paint hold, the ML lock, and the older callback runner being retired.

New code runs work with ``ops.run`` in a coroutine (``ui/ops.py``). What stays here:
``hold_until_painted``/``after_first_paint`` (no background work before the first frame, which
``ops.run`` honours too) and ``ml_lock`` (one ML call at a time, shared with ``ops``).
``run_in_background``/``Latest`` (Anki-style callbacks) remain only until the Train and Playground
tabs are ported to ``ops``.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

import shiboken6
from PySide6.QtCore import QEvent, QObject, QRunnable, QThreadPool, QTimer, Signal, Slot
from PySide6.QtWidgets import QWidget

from ..core.errors import UserError
from ..core.logs import log_exception


class _Signals(QObject):
    succeeded = Signal(object)
    failed = Signal(str)


# transformers resolves its names lazily and not thread-safely: two tasks importing it at once
# failed with "cannot import name 'AutoModel' from 'transformers'". Tasks that load the ML stack
# (serial=True, the default) therefore run one at a time; others (numpy, file headers) run freely.
ml_lock = threading.Lock()


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], Any], serial: bool = True):
        super().__init__()
        self.fn = fn
        self.serial = serial
        self.signals = _Signals()

    def _call(self) -> Any:
        if not self.serial:
            return self.fn()
        with ml_lock:
            return self.fn()

    @Slot()
    def run(self) -> None:
        try:
            result = self._call()
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
    """The global pool, wide enough that serial tasks waiting their turn never hold up the others."""
    shared = QThreadPool.globalInstance()
    if shared.maxThreadCount() < 4:
        shared.setMaxThreadCount(4)
    return shared


def run_in_background(fn: Callable[[], Any], on_success: Callable[[Any], None] | None = None,
                      on_failure: Callable[[str], None] | None = None, receiver: QObject | None = None,
                      serial: bool = True) -> _Task:
    """Run ``fn`` on the thread pool; call back on the GUI thread (queued through ``receiver``'s
    thread affinity). Returns the task, whose signals can also be connected directly.
    ``serial=False`` for work that never imports torch/transformers/peft."""
    task = _Task(fn, serial)
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
    if _held is not None:
        _held.append(task)
    else:
        pool().start(task)
    return task


_keep: set[_Task] = set()  # tasks alive until their result is delivered
_held: list[_Task] | None = None  # tasks waiting for the window's first frame; None: run at once


class _FirstPaint(QObject):
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt naming
        if event.type() == QEvent.Type.Paint:
            obj.removeEventFilter(self)
            QTimer.singleShot(0, release_held_tasks)  # after the frame is finished
        return False


def hold_until_painted(window: QWidget, fallback_ms: int = 3000) -> None:
    """Keep background work queued until ``window`` has painted its first frame.

    A worker importing torch holds the GIL for seconds and would delay the first paint several
    times over (``benchmarks/startup.py`` measured 0.3 s -> 2.6 s). ``fallback_ms`` releases the
    queue anyway for a window that is never shown.
    """
    global _held
    if _held is None:
        _held = []
    window.installEventFilter(_FirstPaint(window))
    QTimer.singleShot(fallback_ms, release_held_tasks)


def painted() -> bool:
    """Whether background work may start (the window has painted, or nobody is holding it)."""
    return _held is None


def on_first_paint(fn: Callable[[], None]) -> None:
    """Call ``fn`` (a plain callable, no owner) when held work is released (``ops.run`` waits so)."""
    if _held is None:
        fn()
    else:
        _paint_waiters.append(fn)


_paint_waiters: list[Callable[[], None]] = []


def release_held_tasks() -> None:
    global _held
    tasks, _held = _held or [], None
    for task in tasks:
        pool().start(task)
    waiters = list(_paint_waiters)
    _paint_waiters.clear()
    for waiter in waiters:
        waiter()
    callbacks = list(_after_paint)
    _after_paint.clear()
    for owner, fn in callbacks:
        if shiboken6.isValid(owner):
            fn()


_after_paint: list[tuple[QObject, Callable[[], None]]] = []


def after_first_paint(owner: QObject, fn: Callable[[], None]) -> None:
    """Call ``fn`` on the GUI thread once the window has painted its first frame (soon, if it
    already has), unless ``owner`` has been deleted by then."""
    if _held is None:
        QTimer.singleShot(0, owner, fn)
    else:
        _after_paint.append((owner, fn))


class Latest(QObject):
    """Latest-wins: only the newest request's result is delivered (older ones are dropped),
    so a slow computation for a stale form state never overwrites a newer one."""

    def __init__(self, on_success: Callable[[Any], None], on_failure: Callable[[str], None], parent: QObject,
                 serial: bool = True):
        super().__init__(parent)
        self.on_success, self.on_failure = on_success, on_failure
        self.serial = serial
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

        run_in_background(fn, success, failure, receiver=self, serial=self.serial)
