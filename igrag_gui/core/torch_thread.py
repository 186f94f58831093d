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

At exit the thread is asked to end and given a few seconds (``atexit``). Python 3.11 ends a daemon
thread that wakes during interpreter shutdown with ``pthread_exit``, whose unwinding through
torch's C++ frames aborts the process ("terminate called without an active exception"): that
happened whenever a job was still running as the main thread returned.
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
EXIT_WAIT_SECONDS = 5.0


def _serve() -> None:
    while True:
        job = _jobs.get()
        if job is _STOP:
            return
        future, fn, args, kwargs = job
        if not future.set_running_or_notify_cancel():
            continue
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed to whoever waits on the future
            future.set_exception(exc)
        else:
            future.set_result(result)
        del future, fn, args, kwargs  # nothing of a finished job stays alive here


@atexit.register
def _end_at_exit(timeout: float = EXIT_WAIT_SECONDS) -> None:
    """Let the thread finish its current job and end before the interpreter shuts down."""
    thread = _thread
    if thread is not None and thread.is_alive() and thread is not threading.current_thread():
        _jobs.put(_STOP)
        thread.join(timeout)


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
