"""Plain-text tables for the terminal (the window draws its own)."""

from __future__ import annotations

from typing import Any


def cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, (list, dict)):
        import json

        return json.dumps(value)
    return str(value)


def render(header: list[str], rows: list[list[Any]]) -> str:
    """Columns padded to their widest cell, a rule under the header."""
    text = [[cell(v) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in text]) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in text]
    return "\n".join(lines)


def results_table(summaries: list[dict[str, Any]], metrics: list[str]) -> str:
    header = ["run", "method", "status", "steps", "trainable", "seconds", "samples/s"]
    header += [f"{m} best/last" for m in metrics]
    rows = []
    for s in summaries:
        row = [s["name"], s["method"], s["status"], s["steps"], s["trainable"],
               None if s["seconds"] is None else round(s["seconds"], 1), s["samples_per_second"]]
        for m in metrics:
            got = s["metrics"].get(m)
            row.append(f"{got['best']:.4g}/{got['last']:.4g}" if got else None)
        rows.append(row)
    return render(header, rows)


def intervals_text(data: dict[str, Any], names: dict[str, str]) -> str:
    """``igrag runs compare``'s intervals: each run's metrics as value [low, high], then each
    pair's difference and whether it is distinguishable from noise."""
    runs = data["runs"]
    lines = [f"95% intervals (paired bootstrap over {data['images']} validation images, "
             f"{data['resamples']} resamples, seed {data['seed']}):" if runs else "No 95% intervals:"]
    if runs and data["metrics"]:
        rows = [[names.get(path, path), got["step"],
                 *[_bounds(got["metrics"][m]["value"], got["metrics"][m]["low"], got["metrics"][m]["high"])
                   for m in data["metrics"]]] for path, got in runs.items()]
        lines.append(render(["run", "step", *data["metrics"]], rows))
    for pair in data["pairs"]:
        verdict = "distinguishable" if pair["distinguishable"] else "not distinguishable from noise"
        lines.append(f"{names.get(pair['a'], pair['a'])} - {names.get(pair['b'], pair['b'])}: {pair['metric']} "
                     f"{_bounds(pair['difference'], pair['low'], pair['high'], sign=True)}, {verdict}")
    for metric, reason in data["not_bootstrapped"].items():
        lines.append(f"{metric}: no interval ({reason})")
    for path, reason in data["unavailable"].items():
        lines.append(f"{names.get(path, path)}: no intervals ({reason})")
    return "\n".join(lines)


def _bounds(value: float, low: float, high: float, sign: bool = False) -> str:
    f = "+.3f" if sign else ".3f"
    return f"{value:{f}} [{low:{f}}, {high:{f}}]"
