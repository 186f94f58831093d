"""``training.report_to``: which experiment trackers a run records to, judged before anything loads.

The config's validation reads it (light: no tracker is imported); ``training.trackers`` decides
where each one writes.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import Any

TRACKERS = ("tensorboard", "mlflow")
INSTALL = 'pip install "igrag-gui[trackers]"'


def requested(value: Any) -> list[str]:
    """``training.report_to`` as a list of names: ``[]``, ``none`` and ``""`` mean none; a text
    may name several, separated by commas (``tensorboard, mlflow``)."""
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    names = [str(v).strip().lower() for v in items]
    return [n for n in dict.fromkeys(names) if n and n != "none"]


def installed(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def missing_message(names: list[str]) -> str:
    verb = "is" if len(names) == 1 else "are"
    if getattr(sys, "frozen", False):  # the bundle leaves the trackers out (igrag.spec)
        return (f"{' and '.join(names)} {verb} not part of the installed app; train from a pip install "
                f"with {INSTALL} to record to it")
    return f"{' and '.join(names)} {verb} not installed; install the trackers with {INSTALL}"


def problems(value: Any) -> list[str]:
    """What is wrong with ``training.report_to`` (the field's name not included): an unknown
    tracker, or one whose package is not installed."""
    names = requested(value)
    unknown = [n for n in names if n not in TRACKERS]
    if unknown:
        return [f"'{unknown[0]}' is not a tracker igrag records to; use any of {', '.join(TRACKERS)} "
                f"(or [] for none)"]
    missing = [n for n in names if not installed(n)]
    return [missing_message(missing)] if missing else []
