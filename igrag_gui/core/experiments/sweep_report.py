"""What a finished (or running) sweep says: Optuna's own analyses as plain data.

The Sweep page draws these with the app's charts and ``igrag sweep --report SWEEP --json`` prints
them: parameter importance (``optuna.importance.get_param_importances`` with Optuna's PED-ANOVA
evaluator: deterministic, and unlike the default fANOVA it needs no scikit-learn), the
optimisation history (each complete trial's value and the best so far), parallel coordinates
(every complete trial's parameters and value) and one slice per parameter (value against that
parameter). Optuna computes; this module only reads the study and shapes the answer. The same study opens unchanged in
``optuna-dashboard <storage-url>``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import UserError
from .sweep import MARKER, _quiet_optuna, open_storage
from .sweep_ranking import counts, replaced as replaced_of


def locate(target: str | Path) -> tuple[str, str]:
    """(storage URL, study name) of a sweep given as its folder (holding ``sweep.json``) or its
    sweep file; a sweep that has not run yet is the user's to fix."""
    path = Path(target).expanduser()
    if path.is_dir():
        marker = path / MARKER
        if not marker.is_file():
            raise UserError(f"folder '{path}' holds no sweep ({MARKER} is missing); give a sweep file or the "
                            f"folder a sweep ran in")
        try:
            held = json.loads(marker.read_text(encoding="utf-8"))
            return str(held["storage"]), str(held["study"])
        except (ValueError, KeyError):
            raise UserError(f"'{marker}' is not a sweep marker igrag wrote (no storage and study); give the "
                            f"sweep file instead") from None
    if not path.is_file():
        raise UserError(f"sweep '{path}' does not exist; give a sweep file or the folder a sweep ran in")
    from .sweep_spec import load_sweep

    sweep = load_sweep(path)
    if not (sweep.folder / MARKER).is_file() and sweep.storage.startswith("sqlite:///") and \
            not Path(sweep.storage[len("sqlite:///"):]).is_file():
        raise UserError(f"sweep '{path}' has not run yet (no study in {sweep.storage}); run 'igrag sweep {path}' first")
    return sweep.storage, sweep.study


def load_study(target: str | Path) -> Any:
    import optuna

    _quiet_optuna()
    storage, name = locate(target)
    try:
        return optuna.load_study(study_name=name, storage=open_storage(storage))
    except KeyError:
        raise UserError(f"storage '{storage}' holds no study '{name}'; has the sweep run?") from None


def _plain(value: Any) -> Any:
    return value if isinstance(value, (bool, int, float, str, type(None))) else str(value)


def report(study: Any) -> dict[str, Any]:
    """The four analyses of ``study`` (see the module's docstring) plus what it is and how far it got."""
    from optuna.trial import TrialState

    trials = study.get_trials(deepcopy=False)
    replaced = replaced_of(trials)
    counted = [t for t in trials if counts(t, replaced)]
    complete = sorted((t for t in counted if t.state == TrialState.COMPLETE), key=lambda t: t.number)
    maximize = study.direction.name == "MAXIMIZE"
    states: dict[str, int] = {}
    for t in counted:
        states[t.state.name.lower()] = states.get(t.state.name.lower(), 0) + 1
    params = sorted({k for t in complete for k in t.params})

    history, best, best_trial = [], None, None
    for t in complete:
        if best is None or (t.value > best if maximize else t.value < best):
            best, best_trial = t.value, t.number
        history.append({"trial": t.number, "value": t.value, "best": best})
    parallel = {"params": params, "trials": [{"trial": t.number, "value": t.value,
                                              "params": {k: _plain(t.params.get(k)) for k in params}}
                                             for t in complete]}
    slices = {k: [{"trial": t.number, "x": _plain(t.params[k]), "value": t.value} for t in complete if k in t.params]
              for k in params}
    importance, why = _importance(study, complete, params)
    return {"study": study.study_name, "metric": study.user_attrs.get("metric", "value"),
            "direction": "maximize" if maximize else "minimize", "trials": states, "complete": len(complete),
            "best": {"trial": best_trial, "value": best} if complete else None,
            "importance": importance, "importance_note": why, "history": history, "parallel": parallel,
            "slices": slices}


def _importance(study: Any, complete: list[Any], params: list[str]) -> tuple[dict[str, float], str]:
    """Optuna's parameter importances, or an empty mapping and the reason there are none."""
    if len(complete) < 2:
        return {}, "parameter importance needs at least two complete trials"
    varied = [k for k in params if len({json.dumps(_plain(t.params.get(k))) for t in complete}) > 1]
    if not varied:
        return {}, "no parameter took two values among the complete trials"
    import optuna

    # PED-ANOVA: deterministic, and needs nothing beyond Optuna (its default fANOVA needs scikit-learn)
    evaluator = optuna.importance.PedAnovaImportanceEvaluator()
    found = optuna.importance.get_param_importances(study, evaluator=evaluator, params=varied)
    return {k: float(v) for k, v in found.items()}, ""


def text_lines(data: dict[str, Any]) -> list[str]:
    """The report for the terminal: importance, history, and the best trial."""
    done = ", ".join(f"{n} {state}" for state, n in sorted(data["trials"].items()))
    lines = [f"study '{data['study']}': {done or 'no trials'}; {data['direction']} {data['metric']}"]
    if data["importance"]:
        lines.append("parameter importance (Optuna, PED-ANOVA):")
        lines += [f"  {k:<28} {v:.3f}" for k, v in data["importance"].items()]
    elif data["importance_note"]:
        lines.append(f"parameter importance: none ({data['importance_note']})")
    if data["history"]:
        lines.append("history (trial: value, best so far):")
        lines += [f"  {h['trial']:>4}: {h['value']:.4g}  {h['best']:.4g}" for h in data["history"]]
    if data["best"]:
        lines.append(f"best: trial {data['best']['trial']} ({data['best']['value']:.4g})")
    return lines


def report_of(target: str | Path) -> dict[str, Any]:
    """``report`` of the study a sweep file or folder names (the CLI's and the Sweep page's one call)."""
    return report(load_study(target))
