"""``igrag score RESULTS --references REFS``: COCO caption metrics of a results file.

The figures are pycocoevalcap's (BLEU-1..4, METEOR, ROUGE-L, CIDEr, SPICE), on its 0-1 scale,
computed as IGRAG's evaluator computes them; METEOR and SPICE need Java and show as
unavailable, with the reason, where it is missing.
"""

from __future__ import annotations

import argparse
import json
import sys

from .common import warn


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("score", help="COCO caption metrics (BLEU, METEOR, ROUGE-L, CIDEr, SPICE) of a results file",
                       description="Score generated captions against reference captions with pycocoevalcap, "
                                   "as IGRAG's evaluator does. RESULTS: COCO results "
                                   '([{"image_id": ..., "caption": ...}]) or JSONL with one such object a line. '
                                   "REFS: COCO caption annotations (images, annotations) or JSONL whose rows "
                                   "sharing an image_id are that image's references. Values are on "
                                   "pycocoevalcap's 0-1 scale (CIDEr can exceed 1).")
    p.add_argument("results", metavar="RESULTS", help="the generated captions, one per image")
    p.add_argument("--references", "-r", required=True, metavar="REFS", help="the reference captions")
    p.add_argument("--metrics", metavar="LIST",
                   help="comma-separated subset (bleu1,bleu2,bleu3,bleu4,meteor,rouge_l,cider,spice); default all")
    p.add_argument("--json", action="store_true", help="print one JSON object (keys BLEU-1 ... SPICE, images, "
                                                       "unavailable) instead of a table")
    p.add_argument("--per-image", metavar="FILE", help="also write every image's scores to FILE (JSON, worst "
                                                        "CIDEr first)")
    p.set_defaults(func=run)


def parse_metrics(text: str | None) -> list[str]:
    from ..core.errors import UserError
    from ..core.metrics import METRICS, canonical
    from ..core.metrics.names import ordered

    if text is None:
        return list(METRICS)
    names = [t for t in (s.strip() for s in text.split(",")) if t]
    bad = [n for n in names if canonical(n) is None]
    if bad or not names:
        raise UserError(f"--metrics: unknown metric {', '.join(repr(b) for b in bad) or '(none given)'}; "
                        f"choose from {', '.join(METRICS)}")
    return ordered(canonical(n) for n in names)


def run(args: argparse.Namespace) -> int:
    from ..core.metrics import LABELS, format_score
    from ..core.metrics.evaluate import evaluate_files

    metrics = parse_metrics(args.metrics)
    evaluation = evaluate_files(args.results, args.references, metrics, download_spice=True)
    for line in evaluation.warnings:
        warn(line)
    if args.per_image:
        path = evaluation.write_per_image(args.per_image)
        print(f"igrag: wrote per-image scores to {path}", file=sys.stderr)
    if args.json:
        print(json.dumps(evaluation.to_json(), ensure_ascii=False, indent=1))
        return 0
    scores = evaluation.scores
    tokenizer = "PTBTokenizer (Java)" if scores.tokenizer == "java" else "PTB tokens in Python"
    print(f"{scores.images:,} images scored with pycocoevalcap; {tokenizer}; 0-1 scale")
    for metric in metrics:
        reason = scores.unavailable.get(metric)
        value = format_score(scores.overall.get(metric)) if reason is None else f"unavailable: {reason}"
        print(f"  {LABELS[metric]:<8} {value}")
    return 0
