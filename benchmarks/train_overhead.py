"""Engine overhead: `igrag train` versus a plain Trainer+PEFT script, and per-batch padding versus
padding to the maximum length. Plain script; prints samples/s and ratios measured side by side.

    .venv/bin/python benchmarks/train_overhead.py [--steps 60] [--rounds 3]

Both sides run as fresh processes, alternating, with the same config (configs/demo.yaml, no
evaluation, no checkpoints) and report the Trainer's own train_samples_per_second, which times
the training loop alone (not imports or model loading).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "demo.yaml"
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONWARNINGS": "ignore"}


def igrag_once(steps: int, work: Path) -> float:
    events = work / f"events-{time.monotonic_ns()}.jsonl"
    subprocess.run([sys.executable, "-m", "igrag_gui", "train", str(CONFIG), "--max-steps", str(steps),
                    "--set", f"training.output_dir={work / 'igrag'}", "--set", "training.eval_strategy=no",
                    "--set", "training.save_strategy=no", "--events", str(events)],
                   check=True, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    finished = [json.loads(line) for line in events.read_text().splitlines()][-1]
    return float(finished["train_samples_per_second"])


def plain_once(steps: int, work: Path) -> float:
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "plain_trainer.py"), str(CONFIG), str(steps),
                          str(work / "plain")], check=True, env=ENV, capture_output=True, text=True).stdout
    return float(json.loads(out.strip().splitlines()[-1])["train_samples_per_second"])


def padding_comparison(steps: int, rounds: int, length: int) -> tuple[list[float], list[float]]:
    """Per-batch padding versus padding every prompt to ``length`` tokens (IGRAG's 512)."""
    from transformers import DataCollatorForSeq2Seq

    from igrag_gui.core.config import load_config
    from igrag_gui.core.training import prepare

    per_batch, to_max = [], []
    for _ in range(rounds):
        for mode in ("batch", "max"):
            with tempfile.TemporaryDirectory() as tmp:
                cfg, _ = load_config(CONFIG, [f"training.output_dir={tmp}", "training.eval_strategy=no",
                                              "training.save_strategy=no", f"data.max_source_length={length}"])
                run = prepare(cfg, lambda e: None, max_steps=steps)
                if mode == "max":
                    run.trainer.data_collator = DataCollatorForSeq2Seq(
                        run.trainer.processing_class, model=run.trainer.model, padding="max_length",
                        max_length=length, label_pad_token_id=-100)
                result = run.trainer.train()
                (per_batch if mode == "batch" else to_max).append(result.metrics["train_samples_per_second"])
    return per_batch, to_max


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pad-length", type=int, default=512)
    args = parser.parse_args()
    ours, plain = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.rounds):
            # alternate which side goes first, so drift on a noisy machine hits both
            order = (("igrag", igrag_once), ("plain", plain_once)) if i % 2 == 0 else \
                    (("plain", plain_once), ("igrag", igrag_once))
            for name, fn in order:
                (ours if name == "igrag" else plain).append(fn(args.steps, Path(tmp)))
    print(f"demo training, {args.steps} steps, {args.rounds} rounds alternating (samples/s):")
    print(f"  igrag train : {', '.join(f'{v:.1f}' for v in ours)}  (median {statistics.median(ours):.1f})")
    print(f"  plain script: {', '.join(f'{v:.1f}' for v in plain)}  (median {statistics.median(plain):.1f})")
    print(f"  ratio igrag/plain: {statistics.median(ours) / statistics.median(plain):.3f}  (goal >= 0.97)")
    per_batch, to_max = padding_comparison(max(10, args.steps // 3), 2, args.pad_length)
    print(f"padding, max_source_length={args.pad_length} (samples/s):")
    print(f"  per batch : {', '.join(f'{v:.1f}' for v in per_batch)}")
    print(f"  to maximum: {', '.join(f'{v:.1f}' for v in to_max)}")
    print(f"  ratio per-batch/max: {statistics.median(per_batch) / statistics.median(to_max):.2f}x")


if __name__ == "__main__":
    main()
