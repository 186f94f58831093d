"""What a long core function receives to report progress and notice a cancel (Orange3's TaskState).

The function runs on a worker thread; the caller (the UI's ``ops.run``, a CLI, a test) owns the
state. ``set_progress``/``set_status`` call the watcher given at construction, on the worker's
thread: a UI watcher forwards to the GUI thread itself. ``cancel()`` may come from any thread; the
function stops at its next ``raise_if_cancelled()`` (or ``if state.cancelled(): ...``). No Qt here.
"""

from __future__ import annotations

import threading
from typing import Callable


class Cancelled(Exception):
    """Raised by ``TaskState.raise_if_cancelled`` once the owner has cancelled the task."""


class TaskState:
    """Progress (0..1), a status line and a cancel flag shared by a task and its owner."""

    def __init__(self, on_progress: Callable[[float], None] | None = None,
                 on_status: Callable[[str], None] | None = None):
        self._on_progress = on_progress
        self._on_status = on_status
        self._cancel = threading.Event()
        self.progress = 0.0
        self.status = ""

    def set_progress(self, fraction: float) -> None:
        """Report how far the task is, clamped to 0..1."""
        self.progress = min(1.0, max(0.0, float(fraction)))
        if self._on_progress is not None:
            self._on_progress(self.progress)

    def set_status(self, text: str) -> None:
        """Report what the task is doing now, as one short line."""
        self.status = text
        if self._on_status is not None:
            self._on_status(text)

    def cancel(self) -> None:
        """Ask the task to stop (it does at its next check); safe from any thread, idempotent."""
        self._cancel.set()

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def raise_if_cancelled(self) -> None:
        if self._cancel.is_set():
            raise Cancelled("the task was cancelled")
