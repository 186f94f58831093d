"""Judging ``training.metrics`` and ``training.metric_for_best_model`` (called by
``RunConfig.validate``), and turning them into the names training uses."""

from __future__ import annotations

from typing import Any

from .java import NO_JAVA, has_java
from .names import METRICS, NEEDS_JAVA, canonical, ordered


def metric_names(value: Any) -> list[str]:
    """``training.metrics`` as config names (a string may list them separated by commas)."""
    items = value.split(",") if isinstance(value, str) else list(value or [])
    return ordered(canonical(v) for v in items if canonical(v))


def best_metric(value: Any) -> str | None:
    return canonical(value)


def metric_problems(metrics: Any, best: Any) -> list[tuple[str, str, str]]:
    """(field, message, severity) for each problem with the two metric settings."""
    out: list[tuple[str, str, str]] = []
    items = metrics.split(",") if isinstance(metrics, str) else list(metrics)
    unknown = [v for v in items if canonical(v) is None]
    if unknown:
        out.append(("training.metrics", f"unknown metric {', '.join(repr(u) for u in unknown)}; choose from "
                                        f"{', '.join(METRICS)}", "error"))
    names = metric_names(metrics)
    chosen = canonical(best)
    if chosen is None:
        out.append(("training.metric_for_best_model", f"'{best}' is not a caption metric; choose one of "
                                                      f"{', '.join(METRICS)}", "error"))
    elif names and chosen not in names:
        out.append(("training.metric_for_best_model", f"'{best}' is not in training.metrics "
                                                      f"[{', '.join(names)}]; add it there or choose one of them",
                    "error"))
    java_ones = [m for m in names if m in NEEDS_JAVA]
    if java_ones and not has_java():
        out.append(("training.metrics", f"{' and '.join(m.upper() for m in java_ones)} {NO_JAVA}; "
                                        f"until then {'they are' if len(java_ones) > 1 else 'it is'} left out of "
                                        f"evaluations", "warning"))
    return out


def caption_metric_plan(cfg: Any) -> tuple[list[str], str | None]:
    """(the metrics each evaluation computes, the one that decides best/ or None). A metric that
    needs Java where there is none is left out (``validate`` warned); best/ then is not kept."""
    wanted = metric_names(cfg.training.metrics)
    if any(m in NEEDS_JAVA for m in wanted) and not has_java():
        wanted = [m for m in wanted if m not in NEEDS_JAVA]
    best = best_metric(cfg.training.metric_for_best_model)
    return wanted, best if best in wanted else None
