"""The metric naming contract, shared by config, training events, the CLI and the window.

- config names (``training.metrics``, ``training.metric_for_best_model``): ``METRICS``;
- event and ``metrics.jsonl`` keys: ``eval_<name>`` (``eval_bleu4``, ``eval_cider``, ...);
- JSON keys of ``igrag score --json``: ``LABELS`` (pycocoevalcap's own spelling, ``BLEU-4``, ``CIDEr``);
- values on pycocoevalcap's 0-1 scale everywhere (CIDEr can exceed 1); ``format_score`` is the
  one way they are shown to people (the same 0-1 figure, 3 decimals).

Runs written before these names (``eval_bleu``, a 0-100 corpus BLEU-4) still open: ``legacy``.
"""

from __future__ import annotations

import math
from typing import Any, Iterable

METRICS = ("bleu1", "bleu2", "bleu3", "bleu4", "meteor", "rouge_l", "cider", "spice")
DEFAULT_METRICS = ("bleu4", "cider")
DEFAULT_BEST = "bleu4"
ALIASES = {"bleu": "bleu4"}  # IGRAG's metric_for_best_model spelling
LABELS = {"bleu1": "BLEU-1", "bleu2": "BLEU-2", "bleu3": "BLEU-3", "bleu4": "BLEU-4",
          "meteor": "METEOR", "rouge_l": "ROUGE-L", "cider": "CIDEr", "spice": "SPICE"}
NEEDS_JAVA = ("meteor", "spice")
LEGACY_KEY = "eval_bleu"  # 0-100 corpus BLEU-4 of runs before the COCO metrics


def canonical(name: Any) -> str | None:
    """The config name for ``name`` (``BLEU-4``, ``bleu``, ``eval_cider`` all work), or None."""
    if not isinstance(name, str):
        return None
    key = name.strip().lower().replace("-", "").replace("_", "")
    if key.startswith("eval"):
        key = key[4:]
    for metric in METRICS:
        if key == metric.replace("_", ""):
            return metric
    return ALIASES.get(key)


def event_key(metric: str) -> str:
    return f"eval_{metric}"


def label(metric: str) -> str:
    return LABELS.get(metric, metric)


def format_score(value: Any) -> str:
    """One figure as people see it: pycocoevalcap's 0-1 scale, three decimals; a dash when missing."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "\u2014"
    return f"{float(value):.3f}"


def describe(scores: dict[str, float], sep: str = ", ") -> str:
    """``BLEU-4 0.312, CIDEr 0.905``: the scores of one evaluation as people read them."""
    return sep.join(f"{label(m)} {format_score(scores[m])}" for m in ordered(scores))


def ordered(metrics: Iterable[str]) -> list[str]:
    """``metrics`` in the canonical order, each once."""
    wanted = set(metrics)
    return [m for m in METRICS if m in wanted]


def scores_of(record: dict) -> dict[str, float]:
    """The metric values an ``eval`` event or ``igrag.json`` holds, by config name; an old run's
    ``eval_bleu`` (0-100) comes back as ``bleu4`` on the 0-1 scale; NaN (not measured) is left out."""
    out: dict[str, float] = {}
    for metric in METRICS:
        value = record.get(event_key(metric))
        if _finite(value):
            out[metric] = float(value)
    legacy = record.get(LEGACY_KEY)
    if "bleu4" not in out and _finite(legacy):
        out["bleu4"] = float(legacy) / 100.0
    return out


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
