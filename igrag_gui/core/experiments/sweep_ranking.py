"""A sweep's ranking: which trials count against the budget, best first, and ``sweep.csv``."""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any

from .sweep_spec import Sweep


def counts(trial: Any, replaced: set[int]) -> bool:
    """Whether a trial uses up the budget (not a placeholder past it, nor one replaced by its retry)."""
    return (not trial.user_attrs.get("skipped") and not trial.user_attrs.get("interrupted")
            and trial.number not in replaced)


def replaced(trials: list[Any]) -> set[int]:
    """Trials failed for a stopped heartbeat (finished, so unmarkable) that a queued retry replaces."""
    return {int(t.user_attrs["requeued_from"]) for t in trials if "requeued_from" in t.user_attrs}


_ORDER = {"complete": 0, "pruned": 1, "running": 2, "waiting": 3, "failed": 4}
_STATE = {"COMPLETE": "complete", "PRUNED": "pruned", "FAIL": "failed", "RUNNING": "running", "WAITING": "waiting"}


def ranking(study: Any, sweep: Sweep) -> list[dict[str, Any]]:
    """Every trial that counts, best first: value, sampled parameters, run folder, reason."""
    rows = []
    trials = study.get_trials(deepcopy=False)
    gone = replaced(trials)
    for t in trials:
        if not counts(t, gone):
            continue
        state = _STATE.get(t.state.name, t.state.name.lower())
        value = t.value if state == "complete" else (
            t.intermediate_values[max(t.intermediate_values)] if t.intermediate_values else None)
        run = t.user_attrs.get("run", "")
        if run and not Path(run).is_dir():
            run = ""  # the trial ended before its folder was made: name no folder that does not exist
        rows.append({"trial": t.number, "state": state, "value": value,
                     # with seeds: value is the mean over n seeds, std their sample standard deviation
                     "std": t.user_attrs.get("std"), "n": t.user_attrs.get("n", 1 if state == "complete" else None),
                     "params": {k: t.params.get(k) for k in sweep.space}, "run": run,
                     "reason": t.user_attrs.get("reason", "")})
    sign = -1 if sweep.direction == "maximize" else 1
    rows.sort(key=lambda r: (_ORDER.get(r["state"], 5), sign * r["value"] if r["value"] is not None else 0, r["trial"]))
    return rows


def write_csv(rows: list[dict[str, Any]], path: Path) -> None:
    keys = sorted({k for r in rows for k in r["params"]})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["rank", "trial", "state", "value", "std", "n", *keys, "run", "reason"])
        for i, r in enumerate(rows, 1):
            out.writerow([i, r["trial"], r["state"], "" if r["value"] is None else r["value"],
                          "" if r.get("std") is None else r["std"], "" if r.get("n") is None else r["n"],
                          *[r["params"].get(k, "") for k in keys], r["run"], r["reason"]])
    os.replace(tmp, path)
