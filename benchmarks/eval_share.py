"""Validation's share of a demo run: how much of `igrag train configs/demo.yaml`'s wall time goes
to evaluation (validation loss, caption generation, scoring) at the demo's own cadence.
Plain script; prints every round, the median and the spread.

    .venv/bin/python benchmarks/eval_share.py [--rounds 3] [--set KEY=VALUE ...]

Each round is one whole demo run in this process (the engine's own ``prepare`` + ``train``), with
``Trainer.evaluate`` (the whole evaluation), ``generation.generate_texts`` (caption generation)
and ``metrics.score`` (pycocoevalcap) timed by wrapping them. Goal: evaluation under a quarter of
the run.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import ROOT, spread  # noqa: E402


def timed(owner, name: str, bucket: list[float]):
    original = getattr(owner, name)

    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            bucket.append(time.perf_counter() - start)

    setattr(owner, name, wrapper)
    return original


def one_run(overrides: list[str]) -> dict[str, float]:
    from igrag_gui.core.models import generation
    from igrag_gui.core import metrics
    from igrag_gui.core.config import load_config
    from igrag_gui.core.training.train import prepare

    evals: list[float] = []
    gens: list[float] = []
    scoring: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        cfg, _ = load_config(ROOT / "configs" / "demo.yaml", [f"training.output_dir={tmp}", *overrides])
        from igrag_gui.core.training.events import Evaluated

        seen: list = []
        start = time.perf_counter()
        run = prepare(cfg, lambda e: seen.append(e) if isinstance(e, Evaluated) else None)
        ready = time.perf_counter()
        originals = [(generation, "generate_texts", timed(generation, "generate_texts", gens)),
                     (metrics, "score", timed(metrics, "score", scoring))]
        timed(run.trainer, "evaluate", evals)
        try:
            run.trainer.train()
        finally:
            for owner, name, fn in originals:
                setattr(owner, name, fn)
        end = time.perf_counter()
    last = seen[-1] if seen else None
    scores = {"eval_loss": last.eval_loss, **last.scores} if last else {}
    return dict(scores=scores, run=end - start, prepare=ready - start, train_loop=end - ready, evaluate=sum(evals),
                generate=sum(gens), score=sum(scoring), evaluations=len(evals))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    rounds = [one_run(args.overrides) for _ in range(args.rounds)]
    print(f"demo run (configs/demo.yaml{', ' + ', '.join(args.overrides) if args.overrides else ''}), "
          f"{rounds[0]['evaluations']} evaluations per run, {args.rounds} rounds, seconds:")
    for key in ("run", "prepare", "train_loop", "evaluate", "generate", "score"):
        print(f"  {key:<10}: {spread([r[key] for r in rounds], '{:.2f}')}")
    shares = [r["evaluate"] / r["run"] for r in rounds]
    print(f"  evaluation's share of the run: {spread(shares, '{:.3f}')}  (goal < 0.25)")
    for name in rounds[0]["scores"]:
        print(f"  last evaluation {name}: {spread([r['scores'][name] for r in rounds], '{:.4f}')}")
    gen_shares = [r["generate"] / r["evaluate"] for r in rounds]
    print(f"  generation's share of evaluation: {spread(gen_shares, '{:.3f}')}")


if __name__ == "__main__":
    main()
