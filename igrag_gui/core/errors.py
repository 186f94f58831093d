"""Errors a user can cause, kept apart from bugs.

A ``UserError`` carries one sentence (what, where, how to fix) that the CLI prints on stderr
with exit code 2 and the GUI shows in a dialog. Anything else that escapes is an internal error:
logged with its traceback, reported by the log file's path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable


class UserError(Exception):
    """Something the user can fix: a bad file, a bad value, a missing model.

    ``lines`` holds one or more one-line messages (a config can have several problems, and all
    of them are reported at once).
    """

    def __init__(self, *lines: str):
        if not lines:
            raise ValueError("UserError needs at least one message")
        self.lines = [str(line) for line in lines]
        super().__init__("\n".join(self.lines))


# errno values of failures the user's machine causes and the user fixes: space, quota, permissions
_DISK_FULL = ("ENOSPC", "EDQUOT")
_NOT_ALLOWED = ("EACCES", "EPERM", "EROFS")


def as_user_error(exc: BaseException) -> UserError | None:
    """The ``UserError`` that an exception escaping a command really is, when it is one the user's
    machine or files caused (a full disk, a folder they may not write, a damaged weights file),
    or None for a bug. Used by the CLI's last line of defence and the window's, so that such a
    failure is one sentence with exit code 2, never "this is a bug"."""
    import errno

    if isinstance(exc, UserError):
        return exc
    if isinstance(exc, OSError) and exc.errno is not None:
        name = errno.errorcode.get(exc.errno, "")
        where = f" '{exc.filename}'" if exc.filename else ""
        if name in _DISK_FULL:
            what = "no space is left on the disk" if name == "ENOSPC" else "the disk quota is used up"
            return UserError(f"cannot write{where}: {what}; free some space (or choose a folder on another "
                             f"disk) and run again")
        if name == "EROFS":
            return UserError(f"cannot write{where}: the file system is read-only; choose a folder you can write to")
        if name in _NOT_ALLOWED:
            return UserError(f"permission denied{' for' + where if where else ''}; check its permissions, or choose "
                             f"a folder you can write to")
        return None
    if type(exc).__name__ == "SafetensorError":  # safetensors' Rust reader: the file, not our code
        first = (str(exc).splitlines() or [""])[0]
        return UserError(f"a .safetensors weights file is damaged or cut short ({first}); copy it again, or "
                         f"save it again (a checkpoint: resume from an earlier one)")
    return None


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a config: the field (``lora.r``), a sentence saying what is wrong and
    how to fix it, and whether it blocks a run (``error``) or only deserves a look (``warning``)."""

    field: str
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


ERROR_PREFIX = "igrag: error: "  # how the CLI starts the line that says why it refused


def error_lines(lines: Iterable[str]) -> list[str]:
    """The messages of the ``igrag: error:`` lines among a child's stderr ``lines``."""
    return [line[len(ERROR_PREFIX):] for line in lines if line.startswith(ERROR_PREFIX)]
