"""Caption scoring at COCO val size: ours against pycocoevalcap's own pipeline, side by side.

    .venv/bin/python benchmarks/score_speed.py [--images 5000] [--refs 5] [--rounds 3] [--meteor] [--hard]

A synthetic set of IMAGES images with REFS reference captions each and one result each (COCO-like
sentences: capitals, a final period, some commas and numbers; ``--hard`` uses the tokenizer
test's corpus of punctuation, quotes, brackets, contractions and abbreviations instead). Every
round times, in one process:

- pipeline: COCOEvalCap's steps: PTBTokenizer (Java) on references and results, then Bleu(4),
  Rouge, Cider (and Meteor with ``--meteor``);
- ours (Java): ``core.metrics.score(..., java=True)``: the same library calls through our code;
- ours (Python): ``core.metrics.score(..., java=False)``: our PTB tokenizer, then the same scorers;
- the two tokenizers alone (references and results), which is the only part that differs.

Prints every round, the median and min-max, the ratios and the tokenizer's share.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from igrag_gui.core.metrics import score  # noqa: E402
from igrag_gui.core.metrics.java import has_java  # noqa: E402
from igrag_gui.core.metrics.ptb import tokenize_all  # noqa: E402

def dataset(images: int, refs: int, hard: bool, seed: int = 0) -> tuple[dict, dict]:
    from tests.core.caption_corpus import captions, coco_like_captions

    pool = (captions if hard else coco_like_captions)(images * (refs + 1), seed=seed)
    make = iter(pool).__next__
    references = {i: [make() for _ in range(refs)] for i in range(images)}
    results = {i: make() for i in range(images)}
    return results, references


def pipeline(results: dict, references: dict, meteor: bool) -> tuple[float, float]:
    """COCOEvalCap.evaluate's steps (without SPICE): (total seconds, tokenizer seconds)."""
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.meteor.meteor import Meteor
    from pycocoevalcap.rouge.rouge import Rouge
    from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer

    start = time.perf_counter()
    gts = {i: [{"caption": c} for c in refs] for i, refs in references.items()}
    res = {i: [{"caption": results[i]}] for i in references}
    with quiet():
        gts, res = PTBTokenizer().tokenize(gts), PTBTokenizer().tokenize(res)
    tokens = time.perf_counter() - start
    scorers = [Bleu(4), Rouge(), Cider()] + ([Meteor()] if meteor else [])
    with quiet():
        for scorer in scorers:
            scorer.compute_score(gts, res, verbose=0) if isinstance(scorer, Bleu) else scorer.compute_score(gts, res)
    return time.perf_counter() - start, tokens


@contextlib.contextmanager
def quiet():
    saved = os.dup(2)
    with open(os.devnull, "wb") as null:
        os.dup2(null.fileno(), 2)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def summary(name: str, values: list[float]) -> str:
    rounds = " ".join(f"{v:7.3f}" for v in values)
    return f"  {name:<28} {rounds}   median {statistics.median(values):7.3f}  min-max {min(values):.3f}-{max(values):.3f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=5000)
    parser.add_argument("--refs", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--meteor", action="store_true", help="include METEOR on both sides (needs Java)")
    parser.add_argument("--hard", action="store_true", help="the tokenizer test's punctuation-heavy corpus")
    args = parser.parse_args()
    if not has_java():
        print("score_speed: no Java runtime: pycocoevalcap's pipeline (PTBTokenizer) cannot run here", file=sys.stderr)
        return 2
    results, references = dataset(args.images, args.refs, args.hard)
    metrics = ("bleu1", "bleu2", "bleu3", "bleu4", "rouge_l", "cider") + (("meteor",) if args.meteor else ())
    gts = {i: [{"caption": c} for c in refs] for i, refs in references.items()}
    res = {i: [{"caption": results[i]}] for i in references}
    rows: dict[str, list[float]] = {k: [] for k in ("pipeline", "ours (Java)", "ours (Python)", "tokenizer: Java",
                                                      "tokenizer: Python")}
    from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer

    for _ in range(args.rounds):
        total, _tokens = pipeline(results, references, args.meteor)
        rows["pipeline"].append(total)
        rows["ours (Java)"].append(timed(lambda: score(results, references, metrics, java=True)))
        rows["ours (Python)"].append(timed(lambda: score(results, references, metrics, java=False)))
        with quiet():
            rows["tokenizer: Java"].append(timed(lambda: (PTBTokenizer().tokenize(gts), PTBTokenizer().tokenize(res))))
        rows["tokenizer: Python"].append(timed(lambda: (tokenize_all(gts), tokenize_all(res))))
    n_captions = args.images * (args.refs + 1)
    print(f"score_speed: {args.images:,} images x {args.refs} references + 1 result ({n_captions:,} captions, "
          f"{'hard' if args.hard else 'COCO-like'}), metrics {', '.join(metrics)}; seconds per round")
    for name, values in rows.items():
        print(summary(name, values))
    med = {k: statistics.median(v) for k, v in rows.items()}
    print(f"  ours (Java) / pipeline        {med['ours (Java)'] / med['pipeline']:.2f}x the time")
    print(f"  ours (Python) / pipeline      {med['ours (Python)'] / med['pipeline']:.2f}x the time")
    print(f"  tokenizer Java / Python       {med['tokenizer: Java'] / med['tokenizer: Python']:.1f}x "
          f"(the Python tokenizer is that many times faster)")
    print(f"  tokenizer share: pipeline {med['tokenizer: Java'] / med['pipeline']:.0%}, "
          f"ours (Python) {med['tokenizer: Python'] / med['ours (Python)']:.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
