"""``igrag train|sweep|estimate ...`` in a child process, Qt-free: the one runner of every child the
program starts (the window's training run and sweep, a sweep's trials, the estimate's probe).

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
from typing import Any, Callable, Iterator, Sequence

from ..errors import error_lines
from ..files.bounded import json_loads
from ..task_state import TaskState
from ..training.stop_line import send_stop


def cli_command(*args: str) -> list[str]:
    """How to run ``igrag ARGS`` from this process: the frozen app re-enters itself."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "--cli", *args]
    return [sys.executable, "-m", "igrag_gui", *args]


def child_argv(verb: str, target: str | os.PathLike, *, events: bool = True, resume: bool | str = False,
               max_steps: int | None = None, scratch: bool = False, sets: Sequence[str] = (),
               json_answer: bool = False, launcher: Sequence[str] = ()) -> list[str]:
    """The one spelling of every ``igrag`` command line the program starts as a child: the
    window's training run and sweep, a sweep's trials (``launcher``: torchrun or accelerate
    launch, for several processes), the estimate's probe (``json_answer``)."""
    args = [verb, str(target)] + (["--events", "-"] if events else []) + (["--json"] if json_answer else [])
    args += [a for s in sets for a in ("--set", s)]
    if scratch:
        args.append("--scratch")
    if resume:
        args += ["--resume"] + ([] if resume is True else [str(resume)])
    if max_steps:
        args += ["--max-steps", str(max_steps)]
    return [*launcher, "-m", "igrag_gui", *args] if launcher else cli_command(*args)


class Child:
    """The child and its pipes. ``on_line`` (if given) hears every stderr line and every stdout
    line that is not an event, from the reading threads; ``env`` adds to this process's
    environment (a sweep trial's MLflow run)."""

    def __init__(self, command: list[str], on_line: Callable[[str], None] | None = None,
                 env: dict[str, str] | None = None):
        self.command = command
        self.on_line = on_line
        self._stdin_lock = threading.Lock()
        self.tail: deque[str] = deque(maxlen=40)  # stderr
        self.output: deque[str] = deque(maxlen=40)  # stdout lines that are not events (a --json answer)
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
            elif line.strip():
                self.output.append(line.strip())
                if self.on_line is not None:
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

    def wait_or_cancel(self, state: TaskState | None) -> int:
        """Read the child to its end and wait; a cancelled ``state`` kills it and raises ``Cancelled``
        (for children that only answer, like the estimate's probe; a training child is stopped)."""
        drain = threading.Thread(target=lambda: deque(self.events(), maxlen=0), daemon=True)
        drain.start()
        while drain.is_alive():
            drain.join(timeout=0.2)
            if state is not None and state.cancelled():
                self.kill()
                self.wait()
                state.raise_if_cancelled()
        return self.wait()

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
        return error_lines(self.tail)

