"""Side by side: which config fields differ between runs, each run's results, and how sure those
results are (95% intervals, and whether each pair's difference is distinguishable from noise)."""

from __future__ import annotations

from typing import Any

from ..metrics.bootstrap import (BOOTSTRAPPED, CONFIDENCE, DEFAULT_RESAMPLES, DEFAULT_SEED, NOT_BOOTSTRAPPED,
                                 paired_bootstrap)
from ..metrics.eval_captions import EvalCaptions, read_eval_captions
from .runs import Run

# fields that differ between any two runs and say nothing about the experiment
IGNORED = {"training.output_dir", "versions"}


def flatten(config: dict[str, Any]) -> dict[str, Any]:
    """``{"lora": {"r": 8}}`` -> ``{"lora.r": 8}`` (the top-level ``method`` stays as it is)."""
    flat: dict[str, Any] = {}
    for key, value in config.items():
        if key in IGNORED:
            continue
        if isinstance(value, dict):
            for inner, v in value.items():
                if f"{key}.{inner}" not in IGNORED:
                    flat[f"{key}.{inner}"] = v
        else:
            flat[key] = value
    flat.setdefault("method", "lora")
    return flat


def differences(runs: list[Run]) -> dict[str, list[Any]]:
    """Only the config fields whose values are not the same in every run, each with one value per
    run (``None`` where a run's config lacks the field)."""
    flats = [flatten(r.config) for r in runs]
    keys = sorted({k for f in flats for k in f})
    out: dict[str, list[Any]] = {}
    for key in keys:
        values = [f.get(key) for f in flats]
        if any(v != values[0] for v in values[1:]):
            out[key] = values
    return out


def metric_names(runs: list[Run]) -> list[str]:
    """Every validation metric any run computed, loss first, the rest by name."""
    names = {m for r in runs for m in r.metrics()}
    return sorted(names, key=lambda n: (n != "loss", n))


def comparison(runs: list[Run], resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED) -> dict[str, Any]:
    """The JSON of ``igrag runs compare``: ``runs``, ``differences``, ``results``, ``intervals``."""
    return {"runs": [str(r.path) for r in runs],
            "differences": differences(runs),
            "results": [r.summary() for r in runs],
            "intervals": intervals(runs, resamples, seed)}


def intervals(runs: list[Run], resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED) -> dict[str, Any]:
    """95% intervals of each run's caption metrics at its last evaluation, and of each pair's
    differences, from one paired bootstrap over the validation images every run captioned (see
    ``core/metrics/bootstrap.py``). A run without a per-image evaluation is listed in
    ``unavailable`` with the reason; a pair is ``distinguishable`` where the interval of its
    difference excludes 0."""
    kept: list[tuple[Run, EvalCaptions]] = []
    unavailable: dict[str, str] = {}
    for run in runs:
        got = read_eval_captions(run.path)
        if isinstance(got, str):
            if not any(e.get("event") == "eval" for e in run.events):
                got = "it never evaluated on validation data (no data.val_path, or eval_strategy: no)"
            elif got.startswith("it kept no"):
                got += (", which igrag keeps since the runs with seeds and intervals; train it again to get "
                        "intervals")
            unavailable[str(run.path)] = got
        else:
            kept.append((run, got))
    images: list[Any] = []
    if kept:
        first = kept[0][1]
        images = [i for i in first.captions if all(i in e.captions and e.references.get(i) for _, e in kept)]
        if not images and len(kept) > 1:
            for run, _ in kept[1:]:
                unavailable[str(run.path)] = (f"its validation images share none with {kept[0][0].name}'s; "
                                              f"intervals compare runs evaluated on the same images")
            kept = kept[:1]
            images = [i for i in first.captions if first.references.get(i)]
    metrics = sorted({m for _, e in kept for m in e.metrics} & set(BOOTSTRAPPED))
    paired = paired_bootstrap([(e.captions, e.references) for _, e in kept], metrics, images, resamples, seed)
    names = sorted({m for r in runs for m in r.metrics()} | {m for _, e in kept for m in e.metrics})
    result: dict[str, Any] = {
        "method": "paired bootstrap over the validation images, percentile interval; corpus metrics recomputed "
                  "on each resample",
        "confidence": CONFIDENCE, "resamples": paired.resamples, "seed": paired.seed, "images": len(paired.images),
        "metrics": paired.metrics,
        "not_bootstrapped": {m: NOT_BOOTSTRAPPED[m] for m in names if m in NOT_BOOTSTRAPPED},
        "runs": {}, "pairs": [], "unavailable": unavailable,
    }
    for (run, evaluation), scores in zip(kept, paired.systems):
        result["runs"][str(run.path)] = {"name": run.name, "step": evaluation.step,
                                         "metrics": {m: v.to_json() for m, v in scores.items()}}
    for (a, b), scores in paired.differences.items():
        for metric, diff in scores.items():
            result["pairs"].append({"a": str(kept[a][0].path), "b": str(kept[b][0].path), "metric": metric,
                                    "difference": diff.value, "low": diff.low, "high": diff.high,
                                    "distinguishable": bool(diff.low > 0 or diff.high < 0)})
    return result
