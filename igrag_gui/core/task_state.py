"""The one vocabulary of long work: a ``TaskState`` (as Orange3's) for every job the program runs.

Training, a sweep, an evaluation, generation, an import, preparing data: each receives a
``TaskState`` from whoever owns it (the window's ``ops.run``, a CLI command, a test) and uses it
for four things only:

* progress: ``set_progress(fraction)``, ``set_status(line)``, and ``report(detail)`` for a
  structured step (a data file's phase, bytes read); each calls the owner's watcher, on the
  worker's thread (a UI watcher forwards to the GUI thread itself);
* the cancel request: ``cancel()`` from any thread; the work stops at its next
  ``raise_if_cancelled()`` (raising ``Cancelled``) or ``if state.cancelled(): ...``;
* its lifecycle: ``pending`` → ``running`` → ``cancelling`` (asked to stop, not yet stopped) →
  ``done`` | ``failed`` | ``cancelled``, set by whoever runs the work (``run`` does it);
* the outcome: the result, or the one line that says why it failed.

``part()`` hands a piece of the work its own watchers while sharing the cancel request: training
gives data preparation a part whose details become ``Preparing`` events. No Qt here.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

PENDING, RUNNING, CANCELLING, DONE, FAILED, CANCELLED = (
    "pending", "running", "cancelling", "done", "failed", "cancelled")
FINAL = (DONE, FAILED, CANCELLED)


class Cancelled(Exception):
    """Raised by ``TaskState.raise_if_cancelled`` once the owner has cancelled the task."""


class TaskState:
    """Progress (0..1), a status line, structured details, a cancel request, a lifecycle and an
    outcome, shared by a task and its owner."""

    def __init__(self, on_progress: Callable[[float], None] | None = None,
                 on_status: Callable[[str], None] | None = None,
                 on_detail: Callable[[Any], None] | None = None,
                 _cancel: threading.Event | None = None):
        self._on_progress = on_progress
        self._on_status = on_status
        self._on_detail = on_detail
        self._cancel = _cancel or threading.Event()
        self._lock = threading.Lock()
        self.progress = 0.0
        self.status = ""
        self.state = PENDING
        self.outcome: Any = None  # the result, once done
        self.error: str | None = None  # why it failed (one line), once failed

    # ------------------------------------------------------------------------------ progress
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

    def report(self, detail: Any) -> None:
        """Report a structured step (``data.prepare.PrepareProgress``, say) to the owner's watcher."""
        if self._on_detail is not None:
            self._on_detail(detail)

    @property
    def watched(self) -> bool:
        """Whether anyone listens to ``report`` (work may skip building details nobody reads)."""
        return self._on_detail is not None

    def part(self, on_progress: Callable[[float], None] | None = None,
             on_status: Callable[[str], None] | None = None,
             on_detail: Callable[[Any], None] | None = None) -> "TaskState":
        """A piece of this task with watchers of its own, cancelled whenever this one is."""
        return TaskState(on_progress, on_status, on_detail, _cancel=self._cancel)

    # ------------------------------------------------------------------------------ cancelling
    def cancel(self) -> None:
        """Ask the task to stop (it does at its next check); safe from any thread, idempotent."""
        self._cancel.set()
        with self._lock:
            if self.state == RUNNING:
                self.state = CANCELLING

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def raise_if_cancelled(self) -> None:
        if self._cancel.is_set():
            raise Cancelled("the task was cancelled")

    # ------------------------------------------------------------------------------ lifecycle
    def begin(self) -> None:
        with self._lock:
            self.state = CANCELLING if self._cancel.is_set() else RUNNING

    def finish(self, outcome: Any = None) -> None:
        """The work returned ``outcome``: done, or cancelled when it stopped on request."""
        with self._lock:
            self.outcome = outcome
            self.state = CANCELLED if self._cancel.is_set() else DONE

    def fail(self, reason: str) -> None:
        with self._lock:
            self.error = reason
            self.state = FAILED

    @property
    def finished(self) -> bool:
        return self.state in FINAL

    def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``fn(*args, state=self, **kwargs)`` with the lifecycle kept: ``Cancelled`` ends it as
        cancelled (and is raised again), any other exception as failed."""
        self.begin()
        try:
            result = fn(*args, state=self, **kwargs)
        except Cancelled:
            with self._lock:
                self.state = CANCELLED
            raise
        except BaseException as exc:
            self.fail(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            raise
        self.finish(result)
        return result
