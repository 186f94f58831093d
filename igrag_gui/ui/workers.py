"""The window's first-paint hold, which ``ops`` (``ui/ops.py``) builds on.

``hold_until_painted``/``after_first_paint``: no background work before the first frame
(``ops.run`` waits for it). All background work itself runs through ``ops.run`` in coroutines;
ML work runs one call at a time on the core's torch thread.
"""

from __future__ import annotations

from typing import Callable

import shiboken6
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

_held: list[object] | None = None  # set while work waits for the window's first frame; None: run at once


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
    _held = None
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
