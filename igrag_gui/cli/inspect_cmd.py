"""``igrag inspect PATH...``: what a saved adapter is, from its config and safetensors header.

``--stats`` adds per-module weight statistics (reads the tensors, memory-mapped), ``--compare``
compares two adapters, ``--json`` prints the same as data. Unreadable files are reported all at
once, one ``igrag: error:`` line each, before anything is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from ..core.errors import UserError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "inspect", help="what a saved adapter is: method, figures, tensors, consistency warnings",
        description="Report on saved PEFT adapters from adapter_config.json and the safetensors header "
                    "alone (no tensor data, no torch, milliseconds for any size): the method and why, "
                    "its key figures, tensors by layer and module type, and consistency warnings.",
        epilog="examples:\n"
               "  igrag inspect runs/demo                     # a folder saved by save_pretrained\n"
               "  igrag inspect runs/demo/checkpoint-120 --stats --tensors\n"
               "  igrag inspect runs/a runs/b --compare       # config and update-norm differences\n"
               "  igrag inspect runs/*/adapter_config.json --json",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="an adapter folder, its adapter_config.json, or its adapter_model.safetensors")
    p.add_argument("--json", action="store_true",
                   help="print JSON: one object per PATH (a list for several), or the comparison")
    p.add_argument("--tensors", action="store_true", help="list every tensor (name, shape, dtype, size)")
    p.add_argument("--stats", action="store_true",
                   help="also read the tensors for per-module update norms, singular values and "
                        "effective ranks (memory-mapped, one tensor at a time)")
    p.add_argument("--compare", action="store_true",
                   help="compare the two PATHs: config differences and per-module update norms")
    p.add_argument("--top", type=int, default=10, metavar="N",
                   help="modules shown in the statistics and comparison tables (default 10)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..core.adapters import compare, inspect_path, weight_stats

    if args.compare and len(args.paths) != 2:
        raise UserError(f"--compare needs exactly two adapters, got {len(args.paths)}; e.g. "
                        f"igrag inspect runs/a runs/b --compare")
    reports, errors = [], []
    for path in args.paths:
        try:
            reports.append(inspect_path(path))
        except UserError as exc:
            errors.extend(exc.lines)
    if errors:
        raise UserError(*errors)
    stats = [weight_stats(r) for r in reports] if (args.stats or args.compare) else [None] * len(reports)

    if args.compare:
        comparison = compare(reports[0], reports[1], stats[0], stats[1])
        if args.json:
            return _emit(json.dumps({"a": _report_json(reports[0], stats[0], args),
                                     "b": _report_json(reports[1], stats[1], args),
                                     "comparison": comparison.to_json()}))
        return _emit(comparison.to_text(top=args.top))
    if args.json:
        docs = [_report_json(r, s, args) for r, s in zip(reports, stats)]
        return _emit(json.dumps(docs[0] if len(docs) == 1 else docs))
    blocks = []
    for report, st in zip(reports, stats):
        text = report.to_text(tensors=args.tensors)
        if st is not None:
            text += "\n\n" + st.to_text(top=args.top)
        blocks.append(text)
    return _emit(("\n\n" + "=" * 72 + "\n\n").join(blocks))


def _emit(text: str) -> int:
    """Print the report; a closed pipe (``| head``) ends quietly, and a terminal that cannot show
    a character (σ, →) gets a replacement rather than an error."""
    try:
        if hasattr(sys.stdout, "reconfigure"):
            sys.stdout.reconfigure(errors="replace")
        print(text)
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # Python's own flush at exit must not fail again
    return 0


def _report_json(report: Any, stats: Any, args: argparse.Namespace) -> dict[str, Any]:
    doc = report.to_json()
    if stats is not None and args.stats:
        doc["stats"] = stats.to_json()
    return doc
