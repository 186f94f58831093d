"""``igrag data import SRC --out FILE.jsonl``: what users have, in the training layout.
``igrag data cache [--trim SIZE | --clear]``: what the prepared-data cache holds, and keeping it small.
``igrag data check CONFIG [--json] [--strict]``: leakage and duplicates in the config's data
(``core/data/checks.py``); exit 0 clean, 1 leakage found, 2 a user error.

Import is the twin of the Train tab's Import data dialog: the same sources, the same column
guesses, the same mapping checks (errors stop before anything is written; warnings are printed).
"""

from __future__ import annotations

import argparse
import sys

from ..core.data.coco_context import CONTEXT_CAPTIONS, MAX_CAPTIONS_PER_IMAGE
from ..core.data.importing import KINDS, ROLES
from ..core.errors import UserError
from .common import add_config_args, warn


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("data", help="import data into the training layout",
                       description="Work with training data files.")
    data_sub = p.add_subparsers(dest="data_command", metavar="ACTION", parser_class=type(p))
    imp = data_sub.add_parser(
        "import", help="turn CSV/TSV, JSONL, Parquet, a Hugging Face dataset or COCO captions into JSONL",
        description="Write SRC as JSONL of {image_id, prompt, caption}, one row per line. SRC is a CSV, "
                    "TSV, JSONL/JSON, Parquet or COCO captions file (captions_train2017.json: one row per "
                    "caption, at most 10 an image; the prompt holds captions of other images, the most "
                    "similar by TF-IDF or those of --neighbours), a folder holding a "
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
    imp.add_argument("--neighbours", metavar="FILE",
                     help="COCO: each image's similar images, best first (JSON {image_id: [ids]} or JSONL of "
                          "{image_id, neighbours}); their captions make the prompt instead of TF-IDF retrieval")
    imp.add_argument("--context-captions", dest="context", type=_positive, default=CONTEXT_CAPTIONS, metavar="K",
                     help=f"COCO: captions of other images in each prompt (default {CONTEXT_CAPTIONS})")
    imp.add_argument("--max-captions-per-image", dest="max_captions", type=_positive,
                     default=MAX_CAPTIONS_PER_IMAGE, metavar="N",
                     help=f"COCO: rows kept per image, the rest left out with a warning "
                          f"(default {MAX_CAPTIONS_PER_IMAGE})")
    imp.set_defaults(func=run_import)
    cache = data_sub.add_parser(
        "cache", help="list the prepared-data cache; trim or clear it",
        description="List the tokenized data files kept in the cache (IGRAG_DATA_CACHE, default "
                    "~/.cache/igrag-gui/data), most recently used first. Training trims it to "
                    "IGRAG_DATA_CACHE_MAX (default 20GB, 0 for no limit) after each new entry.")
    what = cache.add_mutually_exclusive_group()
    what.add_argument("--trim", metavar="SIZE", help="remove least recently used entries down to SIZE (e.g. 5GB)")
    what.add_argument("--clear", action="store_true", help="remove every entry (the next run prepares again)")
    cache.set_defaults(func=run_cache)
    check = data_sub.add_parser(
        "check", help="look for leakage and duplicates in the config's training and validation data",
        description="Report, with counts and examples: validation images also in training (same image_id "
                    "or image file), validation rows that are training rows, prompts holding their own "
                    "caption (ignoring case and punctuation) or most of it, duplicate and near-duplicate "
                    "rows, empty captions. Exit code 0: no leakage; 1: leakage found; 2: a user error.")
    add_config_args(check)
    check.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    check.add_argument("--strict", action="store_true",
                       help="count prompts holding most of their caption as leakage too")
    check.set_defaults(func=run_check)
    p.set_defaults(func=lambda args: p.error("choose an action: import, cache, check"))


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got '{text}'")
    return int(text)


def run_import(args: argparse.Namespace) -> int:
    from ..core.data.importing import check_mapping, guess_mapping, open_source, write_jsonl

    source = open_source(args.src, args.format, args.split, neighbours=args.neighbours, context=args.context,
                         max_captions=args.max_captions)
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


def run_cache(args: argparse.Namespace) -> int:
    import time

    from ..core.data.cache import cache_root
    from ..core.data.cache_admin import clear, human, list_entries, parse_size, trim

    root = cache_root()
    if args.clear or args.trim is not None:
        keep = 0 if args.clear else parse_size(args.trim, "--trim")
        done = clear(root) if keep == 0 else trim(root, keep)  # --trim 0 keeps nothing
        freed = sum(e.bytes for e in done.removed)
        print(f"removed {len(done.removed)} entr{'y' if len(done.removed) == 1 else 'ies'} ({human(freed)}); "
              f"{root} now holds {human(done.kept_bytes)}")
        return 0
    entries = list_entries(root)
    if not entries:
        print(f"the data cache {root} is empty")
        return 0
    now = time.time()
    for e in entries:
        age = now - e.last_used
        when = f"{age / 86400:.0f} d" if age >= 86400 else f"{age / 3600:.0f} h" if age >= 3600 else \
            f"{age / 60:.0f} min"
        print(f"{human(e.bytes):>10}  {e.rows:>10,} rows  used {when:>6} ago  {e.source}")
    print(f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}, {human(sum(e.bytes for e in entries))} in {root}")
    return 0


def run_check(args: argparse.Namespace) -> int:
    import json

    from ..core.data.checks import check_data, format_report
    from .common import load_checked

    cfg, _ = load_checked(args, need_model=False, scope=("data",))
    report = check_data(cfg.train_file, cfg.val_file, cfg.data.prompt_field, cfg.data.caption_field,
                        strict=args.strict)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        print("\n".join(format_report(report)))
    return 1 if report.leakage else 0
