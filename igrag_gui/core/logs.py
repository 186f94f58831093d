"""Where internal errors go: a log file with the traceback, whose path the user is told.

The file rotates (``RotatingFileHandler``: ``MAX_BYTES`` each, ``BACKUPS`` old files kept), so a
program that fails in a loop for months cannot fill the disk, and a password written in a URL
(a sweep's database) is masked before it is written.
"""

from __future__ import annotations

import datetime as _dt
import logging
import os
import threading
import traceback
from logging.handlers import RotatingFileHandler
from pathlib import Path

from . import user_dirs
from .files.bounded import mask_secrets

MAX_BYTES = 1024 * 1024  # one file; with the backups the log never holds more than ~4 MB
BACKUPS = 3  # igrag.log.1 .. igrag.log.3


class _QuietRotatingHandler(RotatingFileHandler):
    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        pass  # a log we cannot write must not hide the original error (nor print a traceback)


_lock = threading.Lock()  # threads of one process take turns (rotation renames the file)


def log_dir() -> Path:
    """The per-user log folder (``IGRAG_LOG_DIR`` overrides it; see ``user_dirs``)."""
    return user_dirs.log_dir()


def log_file() -> Path:
    return log_dir() / "igrag.log"


def log_exception(exc: BaseException, context: str = "") -> Path:
    """Append ``exc``'s traceback to the log file (rotated when full, secrets masked) and return
    the file's path."""
    path = log_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        return path
    stamp = _dt.datetime.now().isoformat(timespec="seconds")
    text = (f"\n=== {stamp} {context} (pid {os.getpid()})\n"
            + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip("\n"))
    record = logging.LogRecord("igrag", logging.ERROR, __file__, 0, mask_secrets(text), None, None)
    with _lock:  # opened for this one record and closed: no file is held open between errors
        handler = _QuietRotatingHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True)
        handler.setFormatter(logging.Formatter("%(message)s"))
        try:
            handler.handle(record)
        finally:
            handler.close()
    return path
