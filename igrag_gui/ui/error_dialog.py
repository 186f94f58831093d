"""The last line of defence in the window: an exception that escapes a slot.

A user's mistake (``UserError``) is shown as what it is. Anything else is a bug: its traceback
goes to the log file, and a dialog says so, names the file and keeps the app running; nothing
the user made (configs, runs, checkpoints) is touched.
"""

from __future__ import annotations

import sys
import traceback
from types import TracebackType
from typing import TYPE_CHECKING, Callable

from ..core.errors import as_user_error

if TYPE_CHECKING:  # QMessageBox's enums are made on first use: when a dialog is needed
    from PySide6.QtWidgets import QMessageBox, QWidget

_showing: list[QMessageBox] = []  # one dialog at a time; a cascade of errors only adds to the log


def report_exception(parent: QWidget | None, exc: BaseException) -> QMessageBox | None:
    """Log ``exc`` if it is a bug and show one non-blocking dialog about it."""
    from PySide6.QtWidgets import QMessageBox

    user = as_user_error(exc)  # a UserError, or a full disk, a read-only folder, a damaged file
    if user is not None:
        title, text, details = "igrag-gui", "\n".join(user.lines), ""
        icon = QMessageBox.Icon.Warning
    else:
        from ..core.logs import log_exception

        path = log_exception(exc, context="igrag-gui")
        first = str(exc).splitlines()[0] if str(exc) else ""
        title = "igrag-gui: internal error"
        text = (f"Something went wrong inside igrag-gui ({type(exc).__name__}: {first}).\n\n"
                f"The app keeps running; your configs, runs and checkpoints are untouched. "
                f"The full traceback is in the log file:\n{path}\n\n"
                f"Please attach that file when you report this bug.")
        details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        icon = QMessageBox.Icon.Critical
    if _showing:
        return None
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("errorDialog")
    if details:
        box.setDetailedText(details)
    box.finished.connect(lambda _result: _showing.clear())
    _showing.append(box)
    box.open()
    return box


def install_excepthook(parent: Callable[[], QWidget | None]) -> None:
    """Route exceptions that escape Qt slots to ``report_exception`` (tracebacks still reach
    stderr for whoever started the app from a terminal)."""

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, exc, tb)
            return
        traceback.print_exception(kind, exc, tb, file=sys.stderr)
        try:
            report_exception(parent(), exc)
        except Exception:  # noqa: BLE001 - a failing error dialog must not recurse
            sys.__excepthook__(kind, exc, tb)

    sys.excepthook = hook
