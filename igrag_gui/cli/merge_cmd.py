"""``igrag merge``: merge an adapter into its base model, save a full model folder, verify it."""

from __future__ import annotations

import argparse
import sys

from ..core.errors import UserError
from .common import warn


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("merge", help="merge an adapter into its base model and save a full model",
                       description="Merge the adapter's weights into a copy of the base model and save it "
                                   "(safetensors, config, tokenizer) to DIR; then load DIR back and check "
                                   "that it generates what base+adapter generates (greedy outputs on a few "
                                   "prompts, and the largest logit difference).")
    p.add_argument("--base", required=True, metavar="MODEL",
                   help="base model: a folder with config.json, a Hugging Face id in the local cache, or 'demo'")
    p.add_argument("--adapter", required=True, metavar="PATH", help="the adapter folder to merge")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the merged model (new or empty)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace DIR when it holds a merged model igrag wrote (the old one goes to the "
                        "trash); never the adapter or base it reads, never files igrag did not write")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..core.playground import Session, merge_and_save
    from ..resources import demo_model_path
    from ..core.playground.merge import check_out_dir

    out = Path(args.out).expanduser().resolve()
    base = Path(args.base).expanduser()
    # before loading anything: never the adapter or base it reads, never files igrag did not write
    check_out_dir(out, args.overwrite, sources=[args.adapter, base if base.exists() else None],
                  ask=", or add --overwrite to replace it")
    session = Session.load(args.base, demo_folder=demo_model_path())
    name = session.add_adapter(args.adapter, warn=warn)
    report = merge_and_save(session, name, args.out, overwrite=args.overwrite,
                            progress=lambda line: print(f"igrag: {line}", file=sys.stderr, flush=True))
    for line in report.lines():
        print(line)
    if not report.verified:
        raise UserError(f"the merged model in {report.out_dir} does not behave like base+adapter (greedy "
                        f"outputs {'match' if report.same_outputs else 'differ'}, max logit difference "
                        f"{report.max_logit_diff:.2e}); it was kept for inspection, do not use it as is")
    return 0
