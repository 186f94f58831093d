"""``igrag estimate CONFIG --json`` in a child process, for the window.

The probe measures its own process's peak memory (``ru_maxrss`` never goes down), so it must run in
a fresh process: the window's own peak says nothing about a run. A child also keeps the probe's
model and memory out of the window, and a cancel (a newer edit, the tab closing) kills it at once.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from ..config import RunConfig
from ..errors import UserError
from ..training.estimate import Estimate
from ..task_state import TaskState
from .child import Child, child_argv


def estimate_in_child(cfg: RunConfig, state: TaskState | None = None) -> Estimate:
    """Save ``cfg`` to a temporary file, run the CLI's probe on it and read its JSON answer; a
    cancelled ``state`` kills the child and raises ``Cancelled``."""
    folder = Path(tempfile.mkdtemp(prefix="igrag-estimate-config-"))
    try:
        path = cfg.copy().save(folder / "run.yaml")
        child = Child(child_argv("estimate", path, events=False, json_answer=True))
        if state is not None:
            state.set_status("Probing a few training steps…")
        code = child.wait_or_cancel(state)
        lines = list(child.tail)
        if code == 2:
            raise UserError(*child.errors() or lines[-1:])
        if code != 0:
            how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
            raise RuntimeError(f"the estimate's probe {how}: {lines[-1] if lines else 'no message'}")
        if not child.output:
            raise RuntimeError("the estimate's probe printed no answer")
        return Estimate.from_json(json.loads(child.output[-1]))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
