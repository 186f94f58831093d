"""Stop as a line on stdin: how a parent process asks ``igrag train``/``igrag sweep`` to stop.

With ``--events -`` the command is a child of the window or of a sweep. Its parent writes
``STOP_LINE`` to the child's stdin; the child then takes its normal stop path (a checkpoint at
the next step, exit 0), the same path as Ctrl+C. A line instead of a signal: it works the same on
every platform, needs no process group, and reaches a rank of ``torchrun``/``accelerate launch``
(they inherit the pipe; the ranks agree on a stop). An end of stdin is not a stop (``< /dev/null``
in CI must not end a run); a terminal on stdin is not read (a background job would be suspended).
"""

from __future__ import annotations

import sys
import threading
from typing import IO, Callable

STOP_LINE = "stop"


def watch_stdin(on_stop: Callable[[], None], stream: IO[str] | None = None) -> threading.Thread | None:
    """Call ``on_stop`` (from a daemon thread) each time ``STOP_LINE`` arrives on ``stream``
    (stdin by default); return the thread, or None when there is nothing to watch."""
    stream = sys.stdin if stream is None else stream
    if stream is None or stream.closed:
        return None
    try:
        if stream.isatty():
            return None
    except (OSError, ValueError):
        return None

    def read() -> None:
        try:
            for line in stream:
                if line.strip() == STOP_LINE:
                    on_stop()
        except (OSError, ValueError):  # stdin closed under us: nothing more will come
            return

    thread = threading.Thread(target=read, name="igrag-stop-line", daemon=True)
    thread.start()
    return thread


def send_stop(stdin: IO[str] | None) -> bool:
    """Write the stop line to a child's stdin; False when the pipe is already gone."""
    if stdin is None:
        return False
    try:
        stdin.write(STOP_LINE + "\n")
        stdin.flush()
        return True
    except (OSError, ValueError):  # the child has exited (broken pipe) or the pipe is closed
        return False
