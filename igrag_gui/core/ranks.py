"""What one rank of a multi-process run may expect of the others: a bounded wait, and no orphans.

Two promises (docs/trust-ranks.md):

* A rank that waits for another (rank 1 waiting for rank 0's prepared data) never waits forever:
  it waits while the other shows signs of life, and gives up after ``IGRAG_RANK_WAIT_S`` seconds
  (default 600) of silence with one line naming the rank that never answered (exit code 2).
* A rank started by a launcher (torchrun, accelerate launch) ends when the launcher ends, even
  one killed with SIGKILL (or by the out-of-memory killer) that had no chance to stop its children,
  which torchrun starts in sessions of their own: on Linux the kernel kills the rank when its
  parent dies (``prctl(PR_SET_PDEATHSIG)``); elsewhere a watcher thread notices that the parent is
  gone. A kill, not SIGTERM: the stop that SIGTERM asks for meets the other ranks at the next
  step, and they are gone too (a rank blocked in a collective would never run the handler).
  Checkpoints are written under a staging name and renamed, so a kill loses no earlier one.
  A launcher stopped with SIGTERM or Ctrl+C is not this case: it passes SIGTERM on to its
  ranks, which stop as ``igrag train`` does, and kills them if they do not end.

Light on purpose (no torch): the data preparation and the CLI's start use it.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

from .errors import UserError

DEFAULT_WAIT_S = 600.0
WAIT_ENV = "IGRAG_RANK_WAIT_S"
# variables a launcher sets in each rank it starts (torchrun / torch.distributed.run, accelerate)
_LAUNCHED = ("TORCHELASTIC_RUN_ID", "LOCAL_RANK")


def wait_limit() -> float:
    """Seconds of silence a rank waits for another (``IGRAG_RANK_WAIT_S``, more than 0)."""
    raw = os.environ.get(WAIT_ENV, "").strip()
    if not raw:
        return DEFAULT_WAIT_S
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0 or value != value or value == float("inf"):
        raise UserError(f"{WAIT_ENV}={raw!r}: give the seconds a rank waits for another, a number above 0 "
                        f"(default {DEFAULT_WAIT_S:g})")
    return value


def no_answer(rank: int, other: int, waited: float, what: str) -> UserError:
    """The one line a rank ends with when ``other`` showed no sign of life for ``waited`` seconds."""
    return UserError(f"rank {rank} waited {waited:g} s for rank {other} to {what}, and rank {other} never "
                     f"answered; check that rank {other} is running (its machine, its log), or raise "
                     f"{WAIT_ENV} (now {waited:g} s) when it is just slow")


def launched_by_launcher() -> bool:
    return any(os.environ.get(name) for name in _LAUNCHED) and int(os.environ.get("WORLD_SIZE", "1") or 1) > 1


def die_with_parent() -> None:
    """Make this process end when its parent (the launcher) ends, however the parent ended."""
    parent = os.getppid()  # (1 is a parent too: a launcher run as a container's first process)
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            PR_SET_PDEATHSIG = 1
            if libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0:
                if os.getppid() != parent:  # the parent died between the two lines
                    os.kill(os.getpid(), signal.SIGKILL)
                return
        except (OSError, AttributeError):
            pass
    threading.Thread(target=_watch_parent, args=(parent,), name="parent-watch", daemon=True).start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))
