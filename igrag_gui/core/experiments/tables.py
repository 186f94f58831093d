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
