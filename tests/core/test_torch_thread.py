"""torch work on one long-lived thread: results and errors come back, work may call work, and a
stream generates there (one OpenMP pool per process; see core/torch_thread.py)."""

from __future__ import annotations

import threading

import pytest

from igrag_gui.core import torch_thread


def test_call_runs_on_the_torch_thread_and_returns_or_raises():
    seen = []

    def where(x):
        seen.append(threading.current_thread().name)
        return x * 2

    assert torch_thread.call(where, 21) == 42
    assert seen == [torch_thread.NAME] and not torch_thread.on_torch_thread()

    def boom():
        raise ValueError("the job's own error")

    with pytest.raises(ValueError, match="the job's own error"):
        torch_thread.call(boom)
    assert torch_thread.call(where, 1) == 2  # the thread lives on after a failure


def test_work_may_call_work_and_jobs_run_in_order():
    order = []

    def outer():
        order.append("outer")
        return torch_thread.call(lambda: order.append("inner") or threading.current_thread().name)

    assert torch_thread.call(outer) == torch_thread.NAME  # inner ran in place: no deadlock
    futures = [torch_thread.submit(order.append, i) for i in range(20)]
    for f in futures:
        f.result(timeout=10)
    assert order == ["outer", "inner", *range(20)]


def test_a_cancelled_job_never_runs():
    gate, ran = threading.Event(), []
    blocker = torch_thread.submit(gate.wait, 10)
    queued = torch_thread.submit(ran.append, "queued")
    assert queued.cancel()
    gate.set()
    blocker.result(timeout=10)
    torch_thread.call(lambda: None)  # everything before it has been taken off the queue
    assert ran == [] and queued.cancelled()


def test_the_decorated_function_runs_there():
    @torch_thread.runs_on_torch_thread
    def name_of_thread() -> str:
        """Its own docstring."""
        return threading.current_thread().name

    assert name_of_thread() == torch_thread.NAME and name_of_thread.__doc__ == "Its own docstring."


def test_a_job_still_running_when_the_program_ends_finishes_first_instead_of_aborting(tmp_path):
    """Python 3.11 ends a daemon thread that wakes during shutdown with pthread_exit, which aborts
    the process from inside torch's C++ frames ("terminate called without an active exception",
    exit code 134). The torch thread is given time to finish its job at exit instead."""
    import subprocess
    import sys

    done = tmp_path / "done"
    script = f"""
import threading, time, torch
from igrag_gui.core import torch_thread
started = threading.Event()
def job():
    started.set()
    a = torch.randn(300, 300)
    for _ in range(1500):
        a = torch.tanh(a @ a)
    open({str(done)!r}, "w").write("finished")
torch_thread.submit(job)
started.wait()
time.sleep(0.05)
"""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=root)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "terminate called" not in out.stderr and done.read_text() == "finished"


_LONG_JOB = """
import threading, torch
from igrag_gui.core import torch_thread
started = threading.Event()
def job():
    started.set()
    a = torch.randn(300, 300)
    for _ in range(200000):  # minutes of work: the test's timeout ends it if nothing else does
        a = torch.tanh(a @ a)
torch_thread.submit(job)
started.wait()
"""


def _python(script: str, **kwargs):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    return subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=root, **kwargs)


def test_an_interrupted_program_ends_at_once_with_its_code_not_an_abort():
    """An interrupted command (the CLI's KeyboardInterrupt) must not wait for the model job it
    abandons, nor be unwound by the interpreter's shutdown (exit 134)."""
    proc = _python(_LONG_JOB + "print('interrupted', flush=True)\ntorch_thread.abandon_at_exit(130)\n")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err[-2000:]
    assert out == "interrupted\n" and "terminate called" not in err


def test_ctrl_c_during_the_wait_at_exit_ends_the_process_with_130():
    """The wait at exit has no time limit, so a person must be able to end it."""
    import signal
    import subprocess

    # A person's Ctrl+C reaches a program with Python's own handler. A child inherits an ignored or
    # blocked SIGINT from its parent (a test worker a library left that way), so the program says
    # what it found and starts from Python's default, as a shell would start it.
    reset = ("import signal, sys\n"
             "found = (signal.getsignal(signal.SIGINT), signal.pthread_sigmask(signal.SIG_BLOCK, []))\n"
             "if found != (signal.default_int_handler, set()):\n"
             "    print('SIGINT at start:', found, file=sys.stderr, flush=True)\n"
             "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
             "signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})\n")
    proc = _python(reset + _LONG_JOB + "import atexit\natexit.register(lambda: print('exiting', flush=True))\n")
    assert proc.stdout.readline() == "exiting\n"
    code = None
    for _ in range(240):  # the first signal may land before the wait starts: send until it ends
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(timeout=0.5)
            break
        except subprocess.TimeoutExpired:
            continue
    else:
        proc.kill()
    err = proc.stderr.read()
    assert code == 130, err[-2000:]
    assert "terminate called" not in err
