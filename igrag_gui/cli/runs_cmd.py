"""``igrag runs [FOLDER...]`` lists runs with their results; ``igrag runs compare RUN...`` prints
the fields that differ between runs and their results side by side; ``label`` and ``delete`` are
the Compare page's Rename and Delete; ``pack``/``unpack`` share a run as one zip (docs/trackers-and-sharing.md);
``export-tb`` writes TensorBoard event files for runs recorded without ``report_to``."""

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
                                   "the runs, a results table, and 95%% intervals of each caption metric "
                                   "(paired bootstrap over the validation images) with whether each pair's "
                                   "difference is distinguishable from noise.")
    p.add_argument("folders", nargs="*", metavar="FOLDER",
                   help="folders to search (or 'list FOLDER...'); or 'compare RUN RUN...'; 'label RUN TEXT' "
                        "(rename, '' removes); 'delete RUN... --yes' (to the system's trash); 'pack RUN --out "
                        "run.zip' (adapter, config, metrics and a model card, no local paths); 'unpack run.zip "
                        "[--into DIR]'; 'export-tb RUN...' (TensorBoard event files from the recorded metrics)")
    p.add_argument("--out", metavar="ZIP", help="pack: the zip to write (default: ./<run folder name>.zip)")
    p.add_argument("--into", metavar="DIR", help="unpack: the new run folder (default: ./<zip name>)")
    p.add_argument("--base-model", metavar="HUB_ID",
                   help="pack: the Hugging Face id a local base model stands for (the card names it)")
    p.add_argument("--json", action="store_true",
                   help="print JSON (compare: keys runs, differences, results, intervals)")
    p.add_argument("--yes", action="store_true", help="delete: really move the runs to the trash")
    p.add_argument("--resamples", type=int, default=None, metavar="N",
                   help="compare: bootstrap resamples for the 95%% intervals (default 1000; the seed is fixed, "
                        "so the same runs give the same intervals)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..core.experiments.compare import comparison, metric_names
    from ..core.experiments.runs import find_runs, load_run
    from ..core.experiments.tables import intervals_text, render, results_table

    if args.folders[:1] == ["compare"]:
        paths = args.folders[1:]
        if len(paths) < 2:
            raise UserError("runs compare needs at least two run folders, e.g. igrag runs compare runs/a runs/b")
        from ..core.metrics.bootstrap import DEFAULT_RESAMPLES

        resamples = DEFAULT_RESAMPLES if args.resamples is None else args.resamples
        if resamples < 1:
            raise UserError(f"--resamples {resamples}: give at least 1 (1000 is usual)")
        runs = [load_run(p) for p in paths]
        data = comparison(runs, resamples)
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
        print()
        print(intervals_text(data["intervals"], {str(r.path): r.name for r in runs}))
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
    if args.folders[:1] in (["pack"], ["unpack"], ["export-tb"]):
        return _share(args.folders[0], args.folders[1:], args)
    folders = (args.folders[1:] if args.folders[:1] == ["list"] else args.folders) or ["."]
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


def _share(command: str, paths: list[str], args: argparse.Namespace) -> int:
    """pack, unpack, export-tb: a run to share, a shared run restored, a run for TensorBoard."""
    if command == "export-tb":
        from ..core.experiments.runs import load_run
        from ..core.experiments.tb_export import export_tensorboard

        if not paths:
            raise UserError("runs export-tb needs run folders, e.g. igrag runs export-tb runs/a runs/b")
        for folder in export_tensorboard([load_run(p) for p in paths]):
            print(f"wrote TensorBoard events to {folder}", file=sys.stderr)
        return 0
    if len(paths) != 1:
        example = "igrag runs pack runs/a --out a.zip" if command == "pack" else "igrag runs unpack a.zip --into runs/a"
        raise UserError(f"runs {command} takes one {'run folder' if command == 'pack' else 'zip'}, e.g. {example}")
    from ..core.experiments import packs

    if command == "pack":
        out = args.out or f"{Path(paths[0]).resolve().name}.zip"
        written = packs.pack(paths[0], out, args.base_model)
        print(f"packed {paths[0]} into {written}", file=sys.stderr)
    else:
        folder = packs.unpack(paths[0], args.into)
        print(f"unpacked {paths[0]} into {folder}", file=sys.stderr)
    return 0
