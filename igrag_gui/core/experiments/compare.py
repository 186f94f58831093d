"""Side by side: which config fields differ between runs, and each run's results."""

from __future__ import annotations

from typing import Any

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


def comparison(runs: list[Run]) -> dict[str, Any]:
    """The JSON of ``igrag runs compare``: ``runs``, ``differences``, ``results``."""
    return {"runs": [str(r.path) for r in runs],
            "differences": differences(runs),
            "results": [r.summary() for r in runs]}
