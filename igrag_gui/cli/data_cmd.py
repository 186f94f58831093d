"""``igrag data import SRC --out FILE.jsonl``: what users have, in the training layout.

The twin of the Train tab's Import data dialog: the same sources, the same column guesses, the
same mapping checks (errors stop before anything is written; warnings are printed).
"""

from __future__ import annotations

import argparse
import sys

from ..core.data.importing import KINDS, ROLES
from ..core.errors import UserError
from .common import warn


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("data", help="import data into the training layout",
                       description="Work with training data files.")
    data_sub = p.add_subparsers(dest="data_command", metavar="ACTION", parser_class=type(p))
    imp = data_sub.add_parser(
        "import", help="turn CSV/TSV, JSONL, Parquet, a Hugging Face dataset or COCO captions into JSONL",
        description="Write SRC as JSONL of {image_id, prompt, caption}, one row per line. SRC is a CSV, "
                    "TSV, JSONL/JSON, Parquet or COCO captions file (captions_train2017.json: one row per "
                    "caption, the prompt built from the image's other captions), a folder holding a "
                    "Hugging Face dataset, or the name of one in the local cache (read offline). Columns "
                    "named like prompt/caption/image_id are found by themselves; name others with "
                    "--prompt, --caption and --image-id.")
    imp.add_argument("src", metavar="SRC", help="file, dataset folder or cached dataset name")
    imp.add_argument("--out", required=True, metavar="FILE.jsonl", help="where to write the rows")
    imp.add_argument("--prompt", metavar="COL", help="the column holding the prompt (model input)")
    imp.add_argument("--caption", metavar="COL", help="the column holding the caption (target)")
    imp.add_argument("--image-id", dest="image_id", metavar="COL", help="the column holding the image id")
    imp.add_argument("--format", choices=KINDS, help="the source's format (default: from the name)")
    imp.add_argument("--split", help="the split of a Hugging Face dataset (default: train, else the first)")
    imp.set_defaults(func=run_import)
    p.set_defaults(func=lambda args: p.error("choose an action: import"))


def run_import(args: argparse.Namespace) -> int:
    from ..core.data.importing import check_mapping, guess_mapping, open_source, write_jsonl

    source = open_source(args.src, args.format, args.split)
    mapping = source.fixed or guess_mapping(source.columns)
    for role in ROLES:
        if getattr(args, role):
            setattr(mapping, role, getattr(args, role))
    for role in ("prompt", "caption"):
        if getattr(mapping, role) is None:
            flag = "--" + role
            raise UserError(f"{source.name}: no column looks like the {role}; name it with {flag} COL "
                            f"(the columns are {', '.join(source.columns)})")
    findings = check_mapping(source, mapping)
    errors = [f.text for f in findings if f.severity == "error"]
    if errors:
        raise UserError(*errors)
    for f in findings:
        warn(f.text)
    live = sys.stderr.isatty()

    def progress(done: int, total: int | None) -> None:
        if live:
            of = f" of {total:,}" if total else ""
            sys.stderr.write(f"\r\x1b[2Kimporting: {done:,}{of} rows")
            sys.stderr.flush()

    result = write_jsonl(source, mapping, args.out, progress)
    if live:
        sys.stderr.write("\r\x1b[2K")
    for line in result.warnings:
        warn(line)
    print(f"wrote {result.rows:,} rows to {result.out} ({mapping.describe()})")
    return 0
