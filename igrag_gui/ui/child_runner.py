"""Any ``igrag`` child the window starts (a training run, a sweep), watched from a QThread.

The child is ``core.experiments.child.Child`` running a ``child_argv`` command line: its stdout
carries one JSON event per line, its stderr the human-readable lines. A native crash, the
out-of-memory killer or a hung CUDA call ends only the child; the window stays and reports it, and
the memory goes back to the system after every run. Stop is the line ``stop`` on the child's
stdin: a training run saves a resumable checkpoint at the next step and exits 0; a sweep stops
after its current trial does.

The thread only reads: results cross to the GUI thread as queued signals; it touches no widget.
"""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import QThread, Signal

from ..core.experiments.child import Child

TAIL_LINES = 20  # stderr lines kept for the outcome's details


class ChildRunner(QThread):
    """Starts the child, turns its output into signals, reports how it ended.

    ``parse`` turns each event (a dict) into what ``event_received`` carries (a typed training
    event, say); an event it cannot read (from a newer version) is shown as a line instead.
    ``ended`` carries the exit code (negative: killed by that signal) and the child's last stderr
    lines (``core.experiments.child.error_lines`` picks out why it refused to start).
    """

    event_received = Signal(object)
    line_received = Signal(str)
    ended = Signal(int, str)

    def __init__(self, command: list[str], what: str, parse: Callable[[dict], Any] = lambda item: item,
                 parent=None):
        super().__init__(parent)
        self.command, self.what, self.parse = command, what, parse
        self.child: Child | None = None
        self._stop_asked = False

    def run(self) -> None:
        try:
            child = Child(self.command, on_line=self.line_received.emit)
        except OSError as exc:
            self.ended.emit(-1, f"could not start the {self.what} process: {exc}")
            return
        self.child = child
        if self._stop_asked:  # Stop came before the child existed
            child.stop()
        for item in child.events():
            try:
                self.event_received.emit(self.parse(item))
            except (ValueError, KeyError, TypeError):
                self.line_received.emit(str(item))
        code = child.wait()
        self.ended.emit(code, "\n".join(list(child.tail)[-TAIL_LINES:]))

    def child_pid(self) -> int | None:
        return self.child.proc.pid if self.child else None

    def request_stop(self) -> None:
        """Ask the child to stop at its next step and save a checkpoint (any thread)."""
        self._stop_asked = True
        if self.child is not None:
            self.child.stop()

    def kill(self) -> None:
        if self.child is not None:
            self.child.kill()
