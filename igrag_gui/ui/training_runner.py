"""Training in a child process, watched from a QThread.

The child is ``igrag train CONFIG --events -``: its stdout carries one JSON event per line, its
stderr the human-readable lines. A native crash, the out-of-memory killer or a hung CUDA call
ends only the child; the window stays, reports what happened, and the memory goes back to the
system after every run. Stop is a SIGINT (CTRL_BREAK on Windows): the engine saves a resumable
checkpoint at the next step and exits 0.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections import deque
from pathlib import Path

from PySide6.QtCore import QThread, Signal

from ..core.events import event_from_json


def cli_command(*args: str) -> list[str]:
    """How to run ``igrag ARGS`` from this process: the frozen app re-enters itself."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "--cli", *args]
    return [sys.executable, "-m", "igrag_gui", *args]


def training_command(config_path: Path, resume: bool | str = False, max_steps: int | None = None) -> list[str]:
    args = ["train", str(config_path), "--events", "-"]
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
        self.proc: subprocess.Popen | None = None
        self.started_child = threading.Event()
        self._tail: deque[str] = deque(maxlen=20)

    def run(self) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONIOENCODING": "utf-8"}
        flags = subprocess.CREATE_NEW_PROCESS_GROUP if sys.platform == "win32" else 0
        try:
            self.proc = subprocess.Popen(self.command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                         stdin=subprocess.DEVNULL, text=True, encoding="utf-8",
                                         errors="replace", bufsize=1, env=env, creationflags=flags)
        except OSError as exc:
            self.started_child.set()
            self.ended.emit(-1, f"could not start the training process: {exc}")
            return
        self.started_child.set()
        reader = threading.Thread(target=self._read_stderr, daemon=True)
        reader.start()
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            line = line.strip()
            if not line:
                continue
            try:
                self.event_received.emit(event_from_json(line))
            except (ValueError, KeyError, TypeError):
                self.line_received.emit(line)
        code = self.proc.wait()
        reader.join(timeout=5)
        for stream in (self.proc.stdout, self.proc.stderr):  # the pipes' descriptors, every run
            try:
                stream.close()
            except OSError:
                pass
        self.ended.emit(code, "\n".join(self._tail))

    def _read_stderr(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        for line in self.proc.stderr:
            line = line.rstrip("\n")
            if line:
                self._tail.append(line)
                self.line_received.emit(line)

    def child_pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def request_stop(self) -> None:
        """Ask the engine to stop at the next step and save a checkpoint."""
        self.started_child.wait(timeout=10)
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.CTRL_BREAK_EVENT if sys.platform == "win32" else signal.SIGINT)

    def kill(self) -> None:
        self.started_child.wait(timeout=10)
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
