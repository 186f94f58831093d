"""The one way the UI runs work off the GUI thread: ``await ops.run(fn, ...)`` in a coroutine.

A UI flow is an ``async`` method that reads top to bottom::

    async def _open(self, path):
        try:
            report = await ops.run(inspect_adapter, path)
        except ops.TaskFailed as exc:
            self._show_error(exc.message)
            return
        self._show(report)

started with ``ops.start(self._open(path), owner=self)`` (or a ``Latest``, where a new request
replaces the previous one). The asyncio loop is qasync's ``QEventLoop`` over the application's own
Qt loop, so coroutines resume on the GUI thread between Qt events; whatever drives Qt events (the
app's ``exec()``, pytest-qt's ``waitUntil``/``waitSignal``) drives them.

- ML work (anything importing torch/transformers/peft) runs on the core's torch thread, one call at a
  time: transformers resolves its names lazily and not thread-safely, and one thread keeps one
  OpenMP pool (``core/torch_thread.py``). ``ml=False`` is for light work (numpy, file headers),
  which runs on a small pool alongside and must not run torch operations.
- A function that takes ``state=`` gets a ``core.task_state.TaskState``; cancelling the awaiting
  task cancels the state, and the function stops at its next check.
- Failures come back as ``TaskFailed`` (Anki's operations): a ``UserError``'s sentence as is,
  anything else logged with its traceback and named by the log's path. No worker touches a widget.
- Nothing is submitted before the window's first frame (``workers.hold_until_painted``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import sys
import threading
import weakref
from typing import Any, Callable, Coroutine

from PySide6.QtCore import QCoreApplication, QObject

from ..core import torch_thread
from ..core.errors import UserError, as_user_error
from ..core.logs import log_exception
from ..core.task_state import Cancelled, TaskState
from . import qasync_private, workers

__all__ = ["Latest", "TaskFailed", "TaskState", "event_loop", "gui_state", "install_event_loop", "run",
           "shutdown_event_loop", "start", "wait_idle"]


class TaskFailed(Exception):
    """Work run by ``ops.run`` failed; ``message`` is what the user is shown."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


_loop: asyncio.AbstractEventLoop | None = None
_light: concurrent.futures.ThreadPoolExecutor | None = None  # ml=False work; ML work: torch_thread
_inflight: set[concurrent.futures.Future] = set()
_inflight_lock = threading.Lock()


def install_event_loop(app: QCoreApplication | None = None) -> asyncio.AbstractEventLoop:
    """Make qasync's loop the asyncio loop of this (already made) application; idempotent.

    ``already_running=True``: the loop rides on whichever Qt event loop runs (``app.exec()``, a
    dialog's, pytest-qt's waits), so the app keeps calling ``app.exec()`` as before.
    """
    global _loop
    if _loop is not None and not _loop.is_closed():
        return _loop
    import qasync

    app = app or QCoreApplication.instance()
    if app is None:
        raise RuntimeError("ops.install_event_loop needs a QApplication first")
    _loop = qasync.QEventLoop(app, already_running=True)
    asyncio.set_event_loop(_loop)
    return _loop


def event_loop() -> asyncio.AbstractEventLoop:
    """The installed loop (installed now on the running application if nobody has yet)."""
    return _loop if _loop is not None and not _loop.is_closed() else install_event_loop()


def shutdown_event_loop(timeout: float = 60.0) -> None:
    """Cancel every task, let them finish, wait for running work, and close the loop (app exit,
    test teardown)."""
    global _loop
    loop, _loop = _loop, None
    if loop is None or loop.is_closed():
        wait_idle(timeout)
        return
    tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in tasks:
        task.cancel()
    app = QCoreApplication.instance()
    deadline = loop.time() + timeout
    while app is not None and any(not t.done() for t in tasks) and loop.time() < deadline:
        app.processEvents()
        wait_idle(0.01)
    wait_idle(max(0.0, deadline - loop.time()))
    if app is not None:
        app.processEvents()  # deliver results of work that finished meanwhile, to nobody
    # Not loop.stop(): it calls app.exit(), which would end the next Qt event loop (a test's
    # waits, a dialog's) at once. The loop only ever ran on Qt's loop, so marking it stopped is all.
    qasync_private.mark_stopped(loop)
    loop.close()
    asyncio.set_event_loop(None)


def wait_idle(timeout: float | None = None) -> bool:
    """Block until no submitted work is running (for exit and tests); True when idle in time."""
    with _inflight_lock:
        pending = list(_inflight)
    if not pending:
        return True
    _, not_done = concurrent.futures.wait(pending, timeout=timeout)
    return not not_done


def _submit(ml: bool, *job: Any) -> concurrent.futures.Future:
    """ML work goes to the core's torch thread (one thread: one OpenMP pool, see ``torch_thread``),
    the rest to a small pool of light workers."""
    global _light
    if ml:
        return torch_thread.submit(*job)
    if _light is None:
        _light = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="igrag-light")
    return _light.submit(*job)


def _call(fn: Callable[..., Any], args: tuple, kwargs: dict, state: TaskState | None) -> Any:
    """On the worker: the call, with ``state``'s lifecycle kept (running, then done, failed or
    cancelled) when the function takes one. One ML call at a time needs no lock: all of them run
    on the one torch thread."""
    if state is None:
        return fn(*args, **kwargs)
    return state.run(fn, *args, **kwargs)  # passes state=state


async def _first_paint() -> None:
    if workers.painted():
        return
    painted = asyncio.get_running_loop().create_future()
    workers.on_first_paint(lambda: painted.done() or painted.set_result(None))
    await painted


async def run(fn: Callable[..., Any], *args: Any, state: TaskState | None = None, ml: bool = True,
              **kwargs: Any) -> Any:
    """Run ``fn(*args, **kwargs)`` (plus ``state=state`` when given) on a worker; return its result.

    Raises ``TaskFailed`` for a failure; cancelling the awaiting task cancels ``state``.
    """
    await _first_paint()
    future = _submit(ml, _call, fn, args, kwargs, state)
    with _inflight_lock:
        _inflight.add(future)

    def forget(done: concurrent.futures.Future) -> None:
        with _inflight_lock:
            _inflight.discard(done)

    future.add_done_callback(forget)
    try:
        return await asyncio.wrap_future(future)
    except asyncio.CancelledError:
        if state is not None:
            state.cancel()
        future.cancel()  # not started yet: never starts
        raise
    except Cancelled:  # the state was cancelled by its owner directly
        raise asyncio.CancelledError() from None
    except UserError as exc:
        raise TaskFailed("\n".join(exc.lines)) from exc
    except Exception as exc:  # noqa: BLE001 - reported, logged, and the app stays up
        user = as_user_error(exc)  # a full disk, a read-only folder, a damaged weights file
        if user is not None:
            raise TaskFailed("\n".join(user.lines)) from exc
        path = log_exception(exc, context=f"background task {getattr(fn, '__qualname__', fn)!s}")
        raise TaskFailed(f"internal error: {type(exc).__name__}: {exc} (details in {path})") from exc


def gui_state(on_progress: Callable[[float], None] | None = None,
              on_status: Callable[[str], None] | None = None) -> TaskState:
    """A ``TaskState`` whose reports reach ``on_progress``/``on_status`` on the GUI thread, newest
    value only (a worker reporting every row does not flood the event queue)."""
    loop = event_loop()
    latest: dict[str, Any] = {}
    lock = threading.Lock()

    def forward(key: str, callback: Callable[[Any], None] | None) -> Callable[[Any], None] | None:
        if callback is None:
            return None

        def deliver() -> None:
            with lock:
                value = latest.pop(key)
            callback(value)

        def report(value: Any) -> None:
            with lock:
                scheduled = key in latest
                latest[key] = value
            if not scheduled and not loop.is_closed():
                loop.call_soon_threadsafe(deliver)

        return report

    return TaskState(on_progress=forward("progress", on_progress), on_status=forward("status", on_status))


def _report_unhandled(task: asyncio.Task) -> None:
    if task.cancelled():
        return
    exc = task.exception()
    if exc is not None:  # a bug in the flow itself: the app's excepthook shows it
        sys.excepthook(type(exc), exc, exc.__traceback__)


def start(coro: Coroutine[Any, Any, Any], owner: QObject | None = None) -> asyncio.Task:
    """Run a UI flow as a task; it is cancelled when ``owner`` is destroyed. An exception the flow
    does not handle goes to ``sys.excepthook`` (the error dialog), never silently away."""
    task = event_loop().create_task(coro)
    task.add_done_callback(_report_unhandled)
    if owner is not None:
        ref = weakref.ref(task)
        owner.destroyed.connect(lambda *_: (t := ref()) is not None and t.cancel())
    return task


class Latest:
    """Latest-wins: starting a flow cancels the one this helper started before (its work stops at
    the next check; its result is never shown), so a stale request never overwrites a newer one."""

    def __init__(self, owner: QObject | None = None):
        self.task: asyncio.Task | None = None
        if owner is not None:
            owner.destroyed.connect(lambda *_: self.cancel())

    def start(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task:
        self.cancel()
        self.task = start(coro)
        return self.task

    def cancel(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()

    def running(self) -> bool:
        return self.task is not None and not self.task.done()
