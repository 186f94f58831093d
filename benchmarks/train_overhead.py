"""Engine overhead: `igrag train` versus a plain Trainer+PEFT script (benchmarks/plain_trainer.py,
the same config field for field), and per-batch padding versus padding to the maximum length.
Plain script; prints every round, the median and the spread (min-max), and the ratios.

    .venv/bin/python benchmarks/train_overhead.py [--steps 40] [--rounds 9] [--size demo|small|both]
        [--threads N] [--group-by-length] [--no-padding]

Each round runs both sides as fresh processes back to back, the order alternating every round
(ours first in even rounds), with the same thread count (OMP_NUM_THREADS / MKL_NUM_THREADS), the
same config (configs/demo.yaml, no evaluation, no checkpoints), seed and data seed. Speed is the
Trainer's own train_samples_per_second (the training loop alone: not imports or model loading);
peak memory is each child's own peak resident set (wait4's rusage). Sizes: the demo model
(1.5M parameters) and a FLAN-T5-small-shaped model with random weights (77M; built once into a
temporary folder, nothing downloaded), where per-step overheads weigh what they weigh for users.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import ROOT, make_flan_t5_small, ratio_line, run_child, spread  # noqa: E402

CONFIG = ROOT / "configs" / "demo.yaml"


def child_env(threads: int | None) -> dict[str, str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONWARNINGS": "ignore"}
    if threads:
        env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    return env


def igrag_once(steps: int, work: Path, model: Path | None, env: dict, group: str) -> tuple[float, float]:
    events = work / f"events-{time.monotonic_ns()}.jsonl"
    extra = ["--set", f"model.base_model_path={model}"] if model else []
    extra += ["--set", "training.group_by_length=true"] if group in ("both", "ours") else []
    _, rss = run_child([sys.executable, "-m", "igrag_gui", "train", str(CONFIG), "--max-steps", str(steps),
                        "--set", f"training.output_dir={work / 'igrag'}", "--set", "training.eval_strategy=no",
                        "--set", "training.save_strategy=no", "--events", str(events), *extra], env)
    finished = [json.loads(line) for line in events.read_text().splitlines()][-1]
    return float(finished["train_samples_per_second"]), rss


def plain_once(steps: int, work: Path, model: Path | None, env: dict, group: str) -> tuple[float, float]:
    out, rss = run_child([sys.executable, str(ROOT / "benchmarks" / "plain_trainer.py"), str(CONFIG), str(steps),
                          str(work / "plain"), *([str(model)] if model else []),
                          *(["--group-by-length"] if group == "both" else [])], env)
    return float(json.loads(out.strip().splitlines()[-1])["train_samples_per_second"]), rss


def compare(label: str, steps: int, rounds: int, work: Path, model: Path | None, env: dict, group: str,
            goal: str) -> None:
    speed = {"igrag": [], "plain": []}
    peak = {"igrag": [], "plain": []}
    sides = {"igrag": igrag_once, "plain": plain_once}
    for i in range(rounds):
        for name in (("igrag", "plain") if i % 2 == 0 else ("plain", "igrag")):
            sps, rss = sides[name](steps, work, model, env, group)
            speed[name].append(sps)
            peak[name].append(rss)
            print(f"  round {i + 1} {name}: {sps:.2f} samples/s, peak {rss:.0f} MB", file=sys.stderr, flush=True)
    print(f"{label}, {steps} steps, {rounds} rounds alternating"
          f"{'' if group == 'none' else ', group_by_length on ' + ('both sides' if group == 'both' else 'ours only')}:")
    print(f"  samples/s  igrag train : {spread(speed['igrag'], '{:.2f}')}")
    print(f"  samples/s  plain script: {spread(speed['plain'], '{:.2f}')}")
    print(f"  speed {ratio_line(speed['igrag'], speed['plain'], goal)}")
    print(f"  peak MB    igrag train : {spread(peak['igrag'], '{:.0f}')}")
    print(f"  peak MB    plain script: {spread(peak['plain'], '{:.0f}')}")
    print(f"  memory {ratio_line(peak['igrag'], peak['plain'], '<= 1.10')}", flush=True)


def padding_comparison(steps: int, rounds: int, length: int) -> tuple[list[float], list[float]]:
    """Per-batch padding versus padding every prompt to ``length`` tokens (IGRAG's 512)."""
    from transformers import DataCollatorForSeq2Seq

    from igrag_gui.core.config import load_config
    from igrag_gui.core.training.train import prepare

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
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--small-steps", type=int, default=12, help="steps at the FLAN-T5-small size")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--size", choices=("demo", "small", "both"), default="both")
    parser.add_argument("--threads", type=int, default=None, help="torch threads on both sides (default: torch's)")
    parser.add_argument("--group-by-length", choices=("none", "both", "ours"), default="none",
                        help="length-grouped batches on both sides, or on ours only (its speed-up over "
                             "the plain script)")
    parser.add_argument("--pad-length", type=int, default=512)
    parser.add_argument("--no-padding", action="store_true", help="skip the padding comparison")
    args = parser.parse_args()
    env = child_env(args.threads)
    print(f"threads: {args.threads or 'torch default'}; cores: {os.cpu_count()}; "
          f"load average at start: {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.size in ("demo", "both"):
            compare("demo model (1.5M parameters)", args.steps, args.rounds, work, None, env,
                    args.group_by_length, ">= 0.97")
        if args.size in ("small", "both"):
            small = make_flan_t5_small(work / "flan-t5-small-shape")
            compare("FLAN-T5-small shape (77M parameters, random weights)", args.small_steps, args.rounds, work,
                    small, env, args.group_by_length, ">= 0.99")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    if args.no_padding:
        return
    per_batch, to_max = padding_comparison(max(10, args.steps // 3), 2, args.pad_length)
    print(f"padding, max_source_length={args.pad_length} (samples/s):")
    print(f"  per batch : {spread(per_batch)}")
    print(f"  to maximum: {spread(to_max)}")
    print(f"  ratio per-batch/max: {statistics.median(per_batch) / statistics.median(to_max):.2f}x")


if __name__ == "__main__":
    main()
