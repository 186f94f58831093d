"""Training in a child process, watched from a QThread.

The child is ``igrag train CONFIG --events -`` (``core.experiments.child.TrainChild``, the same
child a sweep runs): its stdout carries one JSON event per line, its stderr the human-readable
lines. A native crash, the out-of-memory killer or a hung CUDA call ends only the child; the
window stays and reports it (``RunHistory.end`` turns the exit code into a failure value the tab
shows), and the memory goes back to the system after every run. Stop is the line ``stop`` on the
child's stdin: the engine saves a resumable checkpoint at the next step and exits 0.

The thread only reads: results cross to the GUI thread as queued signals; it touches no widget.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QThread, Signal

from ..core.training.events import event_from_dict
from ..core.experiments.child import TrainChild, cli_command

TAIL_LINES = 20  # stderr lines kept for the outcome's details


def training_command(config_path: Path, resume: bool | str = False, max_steps: int | None = None,
                     scratch: bool = False) -> list[str]:
    args = ["train", str(config_path), "--events", "-"] + (["--scratch"] if scratch else [])
    if resume:
        args += ["--resume"] + ([] if resume is True else [str(resume)])
    if max_steps:
        args += ["--max-steps", str(max_steps)]
    return cli_command(*args)


class TrainingRunner(QThread):
    """Starts the training child, turns its output into signals, reports how it ended."""

    event_received = Signal(object)
    line_received = Signal(str)
    ended = Signal(int, str)  # exit code (negative: killed by that signal), last stderr lines

    def __init__(self, command: list[str], parent=None):
        super().__init__(parent)
        self.command = command
        self.child: TrainChild | None = None
        self._stop_asked = False

    def run(self) -> None:
        try:
            child = TrainChild(self.command, on_line=self.line_received.emit)
        except OSError as exc:
            self.ended.emit(-1, f"could not start the training process: {exc}")
            return
        self.child = child
        if self._stop_asked:  # Stop came before the child existed
            child.stop()
        for item in child.events():
            try:
                self.event_received.emit(event_from_dict(item))
            except (ValueError, KeyError, TypeError):  # an event from a newer version: show it as text
                self.line_received.emit(str(item))
        code = child.wait()
        self.ended.emit(code, "\n".join(list(child.tail)[-TAIL_LINES:]))

    def child_pid(self) -> int | None:
        return self.child.proc.pid if self.child else None

    def request_stop(self) -> None:
        """Ask the engine to stop at the next step and save a checkpoint (any thread)."""
        self._stop_asked = True
        if self.child is not None:
            self.child.stop()

    def kill(self) -> None:
        if self.child is not None:
            self.child.kill()
