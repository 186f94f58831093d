"""``igrag train|sweep ... --events -`` in a child process, Qt-free (the sweep's trials, the
window's training run and sweep).

The child runs in its own process group, so a Ctrl+C in the terminal reaches only its parent,
which then decides: ``stop()`` writes the stop line on the child's stdin (``core.training.stop_line``: the
engine's normal stop path, a checkpoint at the next step, exit 0), ``kill()`` is the last resort.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections import deque
from typing import Any, Callable, Iterator

from ..files.bounded import json_loads
from ..training.stop_line import send_stop


def cli_command(*args: str) -> list[str]:
    """How to run ``igrag ARGS`` from this process: the frozen app re-enters itself."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "--cli", *args]
    return [sys.executable, "-m", "igrag_gui", *args]


class TrainChild:
    """The child and its pipes. ``on_line`` (if given) hears every stderr line and every stdout
    line that is not an event, from the reading threads; ``env`` adds to this process's
    environment (a sweep trial's MLflow run)."""

    def __init__(self, command: list[str], on_line: Callable[[str], None] | None = None,
                 env: dict[str, str] | None = None):
        self.command = command
        self.on_line = on_line
        self._stdin_lock = threading.Lock()
        self.tail: deque[str] = deque(maxlen=40)
        env = {**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1", "PYTHONIOENCODING": "utf-8"}
        extra: dict[str, Any] = ({"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP} if sys.platform == "win32"
                                 else {"start_new_session": True})
        self.proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     stdin=subprocess.PIPE, text=True, encoding="utf-8", errors="replace",
                                     bufsize=1, env=env, **extra)
        self._reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._reader.start()

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            if line.strip():
                self.tail.append(line.rstrip("\n"))
                if self.on_line is not None:
                    self.on_line(line.rstrip("\n"))

    def events(self) -> Iterator[dict[str, Any]]:
        """The child's events as dicts, until its stdout closes."""
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                item = json_loads(line)
            except ValueError:
                item = None
            if isinstance(item, dict) and "event" in item:
                yield item
            elif line.strip() and self.on_line is not None:
                self.on_line(line.strip())

    def wait(self) -> int:
        code = self.proc.wait()
        self._reader.join(timeout=5)
        with self._stdin_lock:  # no stop line is being written while the pipes close
            for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
                try:
                    stream.close()  # type: ignore[union-attr]
                except OSError:
                    pass
        return code

    def stop(self) -> None:
        """Ask the engine to stop at the next step and save a checkpoint (the stop line on stdin)."""
        with self._stdin_lock:
            if self.proc.poll() is None and not self.proc.stdin.closed:  # type: ignore[union-attr]
                send_stop(self.proc.stdin)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()

    def errors(self) -> list[str]:
        """The ``igrag: error:`` lines the child printed (why it refused to start)."""
        prefix = "igrag: error: "
        return [line[len(prefix):] for line in self.tail if line.startswith(prefix)]
