"""Compare two adapters: what their configs set differently, and how their modules' updates differ.

Typical uses: two checkpoints of one run (same config, growing update norms), or two runs with
different r/targets (config differences, modules only one of them adapts). Module norms come
from ``weight_stats``; without stats the comparison covers configs, modules and ranks.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from .report import AdapterReport, format_value
from .update_stats import WeightStats

ABSENT = "(absent)"
# PEFT keeps these as sets and writes them in arbitrary order: ["q", "v"] and ["v", "q"] are equal.
SET_LIKE = frozenset({"target_modules", "modules_to_save", "exclude_modules", "feedforward_modules"})


@dataclass
class Comparison:
    a: str
    b: str
    summary: list[tuple[str, Any, Any]]  # method, peft_type, parameters... (key, a, b), differing or not
    config_diff: list[tuple[str, Any, Any]]  # (key, a, b) for every differing config key
    only_in_a: list[str] = field(default_factory=list)  # adapted modules
    only_in_b: list[str] = field(default_factory=list)
    rank_diff: list[tuple[str, int | None, int | None]] = field(default_factory=list)
    norm_diff: list[dict[str, Any]] = field(default_factory=list)  # both stats given: per module

    def to_json(self) -> dict[str, Any]:
        return {
            "a": self.a, "b": self.b,
            "summary": [{"key": k, "a": va, "b": vb, "same": _same(va, vb)} for k, va, vb in self.summary],
            "config_diff": [{"key": k, "a": va, "b": vb} for k, va, vb in self.config_diff],
            "only_in_a": list(self.only_in_a), "only_in_b": list(self.only_in_b),
            "rank_diff": [{"module": n, "a": ra, "b": rb} for n, ra, rb in self.rank_diff],
            "norm_diff": [{k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                           for k, v in row.items()} for row in self.norm_diff],
        }

    def to_text(self, top: int = 15) -> str:
        lines = [f"A  {self.a}", f"B  {self.b}", ""]
        width = max([len(k) for k, _, _ in self.summary + self.config_diff] + [8]) + 2
        for k, va, vb in self.summary:
            mark = " " if _same(va, vb) else "≠"
            lines.append(f"{mark} {k:<{width}}{format_value(va, 60):<30} {format_value(vb, 60)}")
        lines.append("")
        if self.config_diff:
            lines.append(f"config differences ({len(self.config_diff)})")
            for k, va, vb in self.config_diff:
                lines.append(f"  {k:<{width}}{format_value(va, 60):<30} {format_value(vb, 60)}")
        else:
            lines.append("config differences: none")
        for label, names in (("only in A", self.only_in_a), ("only in B", self.only_in_b)):
            if names:
                lines.append(f"{label}: {len(names)} modules, e.g. {', '.join(names[:3])}")
        if self.rank_diff:
            lines.append(f"rank differs in {len(self.rank_diff)} modules, e.g. "
                         + ", ".join(f"{n} ({ra}→{rb})" for n, ra, rb in self.rank_diff[:3]))
        if self.norm_diff:
            lines.append("")
            lines.append(f"update norms, largest differences first ({len(self.norm_diff)} modules in both)")
            shown = self.norm_diff[:top]
            w = max(len(r["name"]) for r in shown)
            lines.append(f"  {'module':<{w}}  {'A':>10}  {'B':>10}  {'B-A':>10}  {'B/A':>7}")
            for r in shown:
                ratio = "-" if r["ratio"] is None else f"{r['ratio']:.3g}"
                lines.append(f"  {r['name']:<{w}}  {r['norm_a']:>10.4g}  {r['norm_b']:>10.4g}  "
                             f"{r['diff']:>+10.4g}  {ratio:>7}")
        return "\n".join(lines)


def _same(a: Any, b: Any) -> bool:
    return _canon(a) == _canon(b)


def _as_set(value: Any) -> Any:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return sorted(set(value))
    return value


def _canon(value: Any) -> str:
    try:
        return json.dumps(value, sort_keys=True)
    except (TypeError, ValueError, RecursionError):
        return repr(value)


def compare(report_a: AdapterReport, report_b: AdapterReport, stats_a: WeightStats | None = None,
            stats_b: WeightStats | None = None) -> Comparison:
    """How adapter B differs from adapter A."""
    summary = [
        ("method", report_a.method, report_b.method),
        ("peft_type", report_a.peft_type, report_b.peft_type),
        ("base_model", report_a.base_model, report_b.base_model),
        ("adapted_modules", len(report_a.adapted_modules), len(report_b.adapted_modules)),
        ("num_tensors", report_a.totals["num_tensors"], report_b.totals["num_tensors"]),
        ("num_params", report_a.totals["num_params"], report_b.totals["num_params"]),
        ("warnings", len(report_a.warnings), len(report_b.warnings)),
    ]
    ca, cb = report_a.config or {}, report_b.config or {}
    config_diff = []
    for key in sorted(set(ca) | set(cb)):
        va, vb = ca.get(key, ABSENT), cb.get(key, ABSENT)
        if key in SET_LIKE and _same(_as_set(va), _as_set(vb)):
            continue
        if not _same(va, vb):
            config_diff.append((key, va, vb))
    ma = {m.name: m for m in report_a.adapted_modules}
    mb = {m.name: m for m in report_b.adapted_modules}
    comparison = Comparison(
        report_a.path, report_b.path, summary, config_diff,
        only_in_a=[n for n in ma if n not in mb], only_in_b=[n for n in mb if n not in ma],
        rank_diff=[(n, ma[n].rank, mb[n].rank) for n in ma if n in mb and ma[n].rank != mb[n].rank])
    if stats_a is not None and stats_b is not None:
        sa = {m.name: m for m in stats_a.modules}
        sb = {m.name: m for m in stats_b.modules}
        rows = []
        for name in sa:
            if name not in sb:
                continue
            na, nb = sa[name].norm, sb[name].norm
            rows.append({"name": name, "layer": sa[name].layer, "module_type": sa[name].module_type,
                         "norm_a": na, "norm_b": nb, "diff": nb - na,
                         "ratio": nb / na if na and math.isfinite(na) and math.isfinite(nb) else None})
        rows.sort(key=lambda r: abs(r["diff"]) if math.isfinite(r["diff"]) else -1.0, reverse=True)
        comparison.norm_diff = rows
    return comparison
