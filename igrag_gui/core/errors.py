"""Errors a user can cause, kept apart from bugs.

A ``UserError`` carries one sentence (what, where, how to fix) that the CLI prints on stderr
with exit code 2 and the GUI shows in a dialog. Anything else that escapes is an internal error:
logged with its traceback, reported by the log file's path.
"""

from __future__ import annotations


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
