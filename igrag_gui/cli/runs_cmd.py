"""``igrag runs [FOLDER...]`` lists runs with their results; ``igrag runs compare RUN...`` prints
the fields that differ between runs and their results side by side; ``label`` and ``delete`` are
the Compare page's Rename and Delete."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import sys

from ..core.errors import UserError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("runs", help="list training runs, or compare several ('runs compare RUN...')",
                       description="igrag runs [FOLDER...]: the runs found in each folder and below it "
                                   "(default: the current folder), newest first, with their results. "
                                   "igrag runs compare RUN...: the config fields that differ between "
                                   "the runs, and a results table.")
    p.add_argument("folders", nargs="*", metavar="FOLDER",
                   help="folders to search; or 'compare RUN RUN...'; 'label RUN TEXT' (rename, '' removes); "
                        "'delete RUN... --yes' (to the system's trash)")
    p.add_argument("--json", action="store_true",
                   help="print JSON (compare: keys runs, differences, results)")
    p.add_argument("--yes", action="store_true", help="delete: really move the runs to the trash")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..core.experiments.compare import comparison, metric_names
    from ..core.experiments.runs import find_runs, load_run
    from ..core.experiments.tables import render, results_table

    if args.folders[:1] == ["compare"]:
        paths = args.folders[1:]
        if len(paths) < 2:
            raise UserError("runs compare needs at least two run folders, e.g. igrag runs compare runs/a runs/b")
        runs = [load_run(p) for p in paths]
        data = comparison(runs)
        if args.json:
            print(json.dumps(data, indent=2))
            return 0
        names = [r.name for r in runs]
        if data["differences"]:
            print(render(["field"] + names, [[k] + v for k, v in data["differences"].items()]))
        else:
            print("The runs' configs are the same (apart from output_dir).")
        print()
        print(results_table(data["results"], metric_names(runs)))
        return 0
    if args.folders[:1] == ["label"]:
        if len(args.folders) != 3:
            raise UserError("runs label needs a run folder and a label, e.g. igrag runs label runs/a 'r8 baseline'")
        from ..core.experiments.runs import set_label

        load_run(args.folders[1])  # a run folder, or the one-line reason it is not
        set_label(args.folders[1], args.folders[2])
        return 0
    if args.folders[:1] == ["delete"]:
        from ..core.experiments.runs import delete_run

        runs = [load_run(p) for p in args.folders[1:]]
        if not runs:
            raise UserError("runs delete needs run folders, e.g. igrag runs delete runs/a --yes")
        if not args.yes:
            raise UserError(f"runs delete moves {len(runs)} run folder(s) to the trash; add --yes to confirm")
        for r in runs:
            delete_run(r.path)
            print(f"moved {r.path} to the trash", file=sys.stderr)
        return 0
    folders = args.folders or ["."]
    for folder in folders:
        if not Path(folder).expanduser().is_dir():
            raise UserError(f"folder '{folder}' does not exist; give folders that hold run folders")
    runs = [load_run(p) for p in find_runs(folders)]
    if args.json:
        print(json.dumps({"runs": [r.summary() for r in runs]}, indent=2))
        return 0
    if not runs:
        print(f"No runs (folders holding metrics.jsonl) in {', '.join(folders)}.", file=sys.stderr)
        return 0
    print(results_table([r.summary() for r in runs], metric_names(runs)))
    return 0
