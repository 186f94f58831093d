"""One step of preparing a data file, as data: training reports it as its ``Preparing`` event."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class PrepareProgress:
    """One step of preparing a data file, for ``TaskState.report`` (training turns it into a
    ``Preparing`` event): ``phase`` is "reading" (done/total in bytes), "tokenizing" (rows, with a
    rate in rows/s), "waiting" (for rank 0), "cached" or "done"."""

    file: str
    phase: str
    done: int = 0
    total: int = 0
    rate: float | None = None
    elapsed: float = 0.0
