"""``igrag estimate CONFIG --json`` in a child process, for the window.

The probe measures its own process's peak memory (``ru_maxrss`` never goes down), so it must run in
a fresh process: the window's own peak says nothing about a run. A child also keeps the probe's
model and memory out of the window, and a cancel (a newer edit, the tab closing) kills it at once.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ..config import RunConfig
from ..errors import UserError
from ..training.estimate import Estimate
from ..task_state import TaskState
from .child import cli_command

PREFIX = "igrag: error: "


def estimate_in_child(cfg: RunConfig, state: TaskState | None = None) -> Estimate:
    """Save ``cfg`` to a temporary file, run the CLI's probe on it and read its JSON answer; a
    cancelled ``state`` kills the child and raises ``Cancelled``."""
    folder = Path(tempfile.mkdtemp(prefix="igrag-estimate-config-"))
    try:
        path = cfg.copy().save(folder / "run.yaml")
        extra = {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP} if sys.platform == "win32" else \
            {"start_new_session": True}
        proc = subprocess.Popen(cli_command("estimate", str(path), "--json"), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, encoding="utf-8",
                                errors="replace", env={**os.environ, "PYTHONUNBUFFERED": "1"}, **extra)
        if state is not None:
            state.set_status("Probing a few training steps…")
        while True:
            try:
                out, err = proc.communicate(timeout=0.2)
                break
            except subprocess.TimeoutExpired:
                if state is not None and state.cancelled():
                    proc.kill()
                    proc.communicate()
                    state.raise_if_cancelled()
        lines = [line for line in err.splitlines() if line.strip()]
        if proc.returncode == 2:
            raise UserError(*[line[len(PREFIX):] for line in lines if line.startswith(PREFIX)] or lines[-1:])
        if proc.returncode != 0:
            how = f"was killed by signal {-proc.returncode}" if proc.returncode < 0 else \
                f"exited with code {proc.returncode}"
            raise RuntimeError(f"the estimate's probe {how}: {lines[-1] if lines else 'no message'}")
        return Estimate.from_json(json.loads(out.strip().splitlines()[-1]))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
