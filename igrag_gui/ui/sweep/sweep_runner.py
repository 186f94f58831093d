"""``igrag sweep FILE --events -`` in a child process, watched from a QThread.

The sweep process owns its trials (each a training child of its own); a crash anywhere ends only
children. Stop is the sweep's Ctrl+C path: the current trial saves a checkpoint, Resume continues.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QThread, Signal

from ...core.experiments.child import TrainChild, cli_command


def sweep_command(sweep_file: Path, resume: bool = False) -> list[str]:
    return cli_command("sweep", str(sweep_file), "--events", "-", *(["--resume"] if resume else []))


class SweepRunner(QThread):
    event_received = Signal(dict)
    ended = Signal(int, str)  # exit code, the sweep's error lines (or its last stderr lines)

    def __init__(self, command: list[str], parent=None):
        super().__init__(parent)
        self.command = command
        self.child: TrainChild | None = None

    def run(self) -> None:
        try:
            self.child = TrainChild(self.command)
        except OSError as exc:
            self.ended.emit(-1, f"could not start the sweep process: {exc}")
            return
        for event in self.child.events():
            self.event_received.emit(event)
        code = self.child.wait()
        self.ended.emit(code, "\n".join(self.child.errors() or list(self.child.tail)[-5:]))

    def request_stop(self) -> None:
        if self.child is not None:
            self.child.stop()

    def kill(self) -> None:
        if self.child is not None:
            self.child.kill()
