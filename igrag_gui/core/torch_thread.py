"""One long-lived thread for a process's torch work (loading, generating, merging).

Why one thread: PyTorch's CPU kernels run on OpenMP (libgomp), which gives every thread that
starts parallel work a pool of helper threads of its own. Once a process has more pool threads
than cores (two pools on a 2-core machine), libgomp stops the helpers spinning between
operations, and each of the thousands of small operations in a generation then pays for waking
them. Measured on a 2-core machine, FLAN-T5 demo model, 64 greedy tokens, medians of 9:

- main thread only: 0.055 s; one long-lived worker thread only: 0.054 s;
- a new thread per generation (what ``TextStream`` did): 0.079 s;
- the main thread and a worker both generating in one process: 0.084 s and 0.082 s.

So torch work goes to this thread, and a process whose other threads never run torch keeps a
single pool. The GUI's ML executor is this thread (``ui/ops.py``); ``Session`` runs its model
work here, and ``TextStream`` generates here. A daemon thread: Ctrl+C in a command-line tool
ends the process without waiting for a model load to finish.

At exit the thread finishes the job it is running and ends (``atexit``): Python 3.11 ends a daemon
thread that wakes during interpreter shutdown with ``pthread_exit``, whose unwinding through
torch's C++ frames aborts the process ("terminate called without an active exception"). A fixed
wait (it was 5 s) still aborted on a loaded machine, so the wait has no limit; it is a wait for
running work, and Ctrl+C during it ends the process at once with code 130. A program that must end
*now* with a job running (an interrupted command) calls ``abandon_at_exit``, which flushes and ends
the process without the interpreter's shutdown, so the thread is never unwound.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import queue
import threading
from typing import Any, Callable, TypeVar

T = TypeVar("T")

_jobs: queue.SimpleQueue = queue.SimpleQueue()
_thread: threading.Thread | None = None
_start_lock = threading.Lock()
NAME = "igrag-torch"
_STOP = None  # the job that ends the thread
_in_job = threading.Event()  # set while a job runs: Thread.is_alive() is not enough, see abandon_at_exit
_WAIT_SLICE_SECONDS = 0.2  # short joins, so that Ctrl+C is seen during the wait at exit


def _serve() -> None:
    while True:
        job = _jobs.get()
        if job is _STOP:
            return
        future, fn, args, kwargs = job
        if not future.set_running_or_notify_cancel():
            continue
        _in_job.set()
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed to whoever waits on the future
            future.set_exception(exc)
        else:
            future.set_result(result)
        finally:
            _in_job.clear()
        del future, fn, args, kwargs  # nothing of a finished job stays alive here


def _busy() -> bool:
    thread = _thread
    return thread is not None and thread.is_alive() and thread is not threading.current_thread()


@atexit.register
def _end_at_exit() -> None:
    """Let the thread finish its current job and end before the interpreter shuts down."""
    try:
        if not _busy():
            return
        _jobs.put(_STOP)
        while _busy():
            _thread.join(_WAIT_SLICE_SECONDS)
    except KeyboardInterrupt:
        abandon_at_exit(130)


def abandon_at_exit(code: int) -> None:
    """End the process now with ``code`` if a job is still running on the torch thread (after
    flushing stdout and stderr); return otherwise, so the normal shutdown runs.

    A Ctrl+C that interrupts ``Thread.join`` makes Python 3.11 mark the thread stopped while it
    still runs (bpo-45274's clean-up releases its state lock), so ``is_alive()`` then lies: the
    job flag is what tells."""
    import os
    import signal
    import sys

    on_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if on_main else None  # no second Ctrl+C here
    if not (_in_job.is_set() or _busy()):
        if on_main:
            signal.signal(signal.SIGINT, previous)
        return
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


def on_torch_thread() -> bool:
    return threading.current_thread() is _thread


def submit(fn: Callable[..., T], *args: Any, **kwargs: Any) -> concurrent.futures.Future:
    """Queue ``fn(*args, **kwargs)`` for the torch thread (started on first use); jobs run one
    after another, in order. Cancelling the future before the job starts drops it."""
    global _thread
    with _start_lock:
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_serve, name=NAME, daemon=True)
            _thread.start()
    future: concurrent.futures.Future = concurrent.futures.Future()
    _jobs.put((future, fn, args, kwargs))
    return future


def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` on the torch thread, waited for; run in place when already there
    (so torch work may call torch work). Exceptions come back as they were raised."""
    if on_torch_thread():
        return fn(*args, **kwargs)
    future = submit(fn, *args, **kwargs)
    try:
        return future.result()
    finally:
        del future  # a raised exception's traceback would keep the job's frames alive


def runs_on_torch_thread(fn: Callable[..., T]) -> Callable[..., T]:
    """Decorator: every call of ``fn`` runs on the torch thread (see ``call``)."""
    import functools

    @functools.wraps(fn)
    def on_torch_thread_(*args: Any, **kwargs: Any) -> T:
        return call(fn, *args, **kwargs)

    return on_torch_thread_
