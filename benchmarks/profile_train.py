"""Where a training step's time goes: `igrag train`'s engine and the plain Trainer+PEFT script
(benchmarks/plain_trainer.py) under cProfile, side by side, in the same process setup.

    .venv/bin/python benchmarks/profile_train.py [--steps 30] [--threads 1] [--model DIR] [--top 25]

Each side runs in its own child process (same thread count, same config: configs/demo.yaml, no
evaluation, no checkpoints) with only ``Trainer.train`` profiled. Printed per side: the train
loop's total, then the cumulative seconds of each piece the engine adds or replaces (callbacks and
event writing, the loss, the collator, data fetching, logging) and the plain side's counterpart,
then each side's top functions by own time.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import ROOT  # noqa: E402

CONFIG = ROOT / "configs" / "demo.yaml"

# (label, regular expression over "file:line(function)") of the pieces to compare
PIECES = [
    ("callbacks (all, incl. ours)", r"trainer_callback.py:\d+\(call_event\)"),
    ("our EngineCallback.on_step_end", r"core/training/train.py:\d+\(on_step_end\)"),
    ("our EngineCallback.on_log", r"core/training/train.py:\d+\(on_log\)"),
    ("our event writing (_emit)", r"core/training/train.py:\d+\(_emit\)"),
    ("loss: ours (token_mean_loss)", r"core/training/train.py:\d+\(token_mean_loss\)"),
    ("loss: compute_loss (both)", r"trainer.py:\d+\(compute_loss\)"),
    ("collator (both)", r"data_collator.py:\d+\(__call__\)"),
    ("data fetching (both)", r"data/fetch.py:\d+\(fetch\)"),
    ("Trainer.log (both)", r"trainer.py:\d+\(log\)"),
    ("training_step (both)", r"trainer.py:\d+\(training_step\)"),
    ("optimizer step (both)", r"optimizer.py:\d+\(wrapper\)"),
]

CHILD = r'''
import cProfile, os, sys, json, time
sys.path.insert(0, {root!r})
from transformers import Trainer
original = Trainer.train
def profiled(self, *a, **k):
    prof = cProfile.Profile()
    start = time.perf_counter()
    prof.enable()
    try:
        return original(self, *a, **k)
    finally:
        prof.disable()
        prof.dump_stats({out!r})
        open({out!r} + ".wall", "w").write(str(time.perf_counter() - start))
Trainer.train = profiled
side = {side!r}
if side == "igrag":
    from igrag_gui.core.config import load_config
    from igrag_gui.core.training.train import train
    cfg, _ = load_config({config!r}, ["training.output_dir=" + {work!r} + "/igrag", "training.eval_strategy=no",
                                      "training.save_strategy=no", *{extra!r}])
    train(cfg, lambda e: None, max_steps={steps})
else:
    sys.argv = ["plain_trainer.py", {config!r}, str({steps}), {work!r} + "/plain", *{model_arg!r}]
    import runpy
    runpy.run_path({plain!r}, run_name="__main__")
'''


def run_side(side: str, steps: int, work: Path, model: str | None, env: dict) -> Path:
    out = work / f"{side}.prof"
    code = CHILD.format(root=str(ROOT), out=str(out), side=side, config=str(CONFIG), work=str(work),
                        steps=steps, extra=[f"model.base_model_path={model}"] if model else [],
                        model_arg=[model] if model else [], plain=str(ROOT / "benchmarks" / "plain_trainer.py"))
    subprocess.run([sys.executable, "-c", code], check=True, env=env, stdout=subprocess.DEVNULL)
    return out


def cumulative(stats, pattern: str) -> tuple[float, int]:
    import re

    total, calls = 0.0, 0
    rx = re.compile(pattern)
    for (file, line, fn), (cc, nc, tt, ct, callers) in stats.stats.items():
        if rx.search(f"{file}:{line}({fn})"):
            # count only outermost calls: skip entries whose callers include the same pattern
            total += ct
            calls += nc
    return total, calls


def main() -> None:
    import pstats

    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--model", default=None, help="a model folder instead of the demo model")
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONWARNINGS": "ignore",
           "OMP_NUM_THREADS": str(args.threads), "MKL_NUM_THREADS": str(args.threads)}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        stats = {}
        walls = {}
        for side in ("igrag", "plain"):
            path = run_side(side, args.steps, work, args.model, env)
            stats[side] = pstats.Stats(str(path))
            walls[side] = float(Path(str(path) + ".wall").read_text())
        print(f"Trainer.train under cProfile, {args.steps} steps, {args.threads} thread(s), "
              f"{'model ' + args.model if args.model else 'demo model'}; seconds (cumulative, calls):")
        print(f"  {'piece':<34} {'igrag':>16} {'plain':>16}")
        print(f"  {'train loop, wall (profiled)':<34} {walls['igrag']:>16.3f} {walls['plain']:>16.3f}")
        for label, pattern in PIECES:
            cells = []
            for side in ("igrag", "plain"):
                t, n = cumulative(stats[side], pattern)
                cells.append(f"{t:8.3f} ({n:>5})" if n else f"{'-':>16}")
            print(f"  {label:<34} {cells[0]:>16} {cells[1]:>16}")
        for side in ("igrag", "plain"):
            print(f"\n{side}: top {args.top} by own time")
            stats[side].sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
