"""Where internal errors go: a log file with the traceback, whose path the user is told."""

from __future__ import annotations

import datetime as _dt
import os
import traceback
from pathlib import Path

from . import user_dirs


def log_dir() -> Path:
    """The per-user log folder (``IGRAG_LOG_DIR`` overrides it; see ``user_dirs``)."""
    return user_dirs.log_dir()


def log_file() -> Path:
    return log_dir() / "igrag.log"


def log_exception(exc: BaseException, context: str = "") -> Path:
    """Append ``exc``'s traceback to the log file and return the file's path."""
    path = log_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        stamp = _dt.datetime.now().isoformat(timespec="seconds")
        with path.open("a", encoding="utf-8") as fh:
            fh.write(f"\n=== {stamp} {context} (pid {os.getpid()})\n")
            fh.write("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    except OSError:
        pass  # a log we cannot write must not hide the original error
    return path
