"""How close ``igrag estimate`` comes to the run it predicts: peak memory and time per step.

    .venv/bin/python benchmarks/estimate_accuracy.py [--size demo|flan-t5-small|both] [--steps 60]
                                                     [--threads 2] [--val 64]

For each model (the demo, and a FLAN-T5-small-shaped model with random weights, see _common.py)
on the demo data: ``igrag estimate CONFIG --json`` in one child (the prediction), then the run it
predicts in another (``core.training.train.train``, the engine ``igrag train`` runs, for ``--steps``
steps with one evaluation at the end on ``--val`` validation examples, no checkpoints), whose own
peak memory (CUDA: ``torch.cuda.max_memory_allocated``; CPU: the child's peak resident set from
``wait4``) and mean time per optimizer step (every step after the first, timed by a callback from
step begin to step end, as the probe times its steps) are measured. Printed: both sides and the
relative errors (goal: within 15 %). Same thread count on both sides.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import ROOT, make_flan_t5_small, run_child  # noqa: E402

CONFIG = ROOT / "configs" / "demo.yaml"

RUN = r'''
import json, sys, time
sys.path.insert(0, {root!r})
from transformers import Trainer, TrainerCallback
times = []
class Clock(TrainerCallback):
    def on_step_begin(self, args, state, control, **kw):
        self.start = time.perf_counter()
    def on_step_end(self, args, state, control, **kw):
        import torch
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        times.append(time.perf_counter() - self.start)
original = Trainer.train
def timed(self, *a, **k):
    self.add_callback(Clock())
    return original(self, *a, **k)
Trainer.train = timed
from igrag_gui.core.config import load_config
from igrag_gui.core.training.train import train
cfg, _ = load_config({config!r}, {sets!r})
start = time.perf_counter()
closing = train(cfg, lambda e: None)
import torch
out = dict(times=times, seconds=time.perf_counter() - start, kind=type(closing).__name__,
           cuda_peak_mb=torch.cuda.max_memory_allocated() / 2**20 if torch.cuda.is_available() else None)
print(json.dumps(out))
'''


def side(label: str, model: Path | None, work: Path, steps: int, val: Path, env: dict) -> dict:
    sets = [f"training.output_dir={work / label / 'run'}", f"training.max_steps={steps}",
            "training.eval_strategy=steps", f"training.eval_steps={steps}", "training.save_strategy=no",
            f"data.val_path={val}", "training.logging_steps=10"]
    if model is not None:
        sets.append(f"model.base_model_path={model}")
    predicted_out, predicted_rss = run_child([sys.executable, "-m", "igrag_gui", "estimate", str(CONFIG), "--json",
                                              *[a for s in sets for a in ("--set", s)]], env)
    predicted = json.loads(predicted_out.strip().splitlines()[-1])
    code = RUN.format(root=str(ROOT), config=str(CONFIG), sets=sets)
    measured_out, measured_rss = run_child([sys.executable, "-c", code], env)
    measured = json.loads(measured_out.strip().splitlines()[-1])
    if measured["kind"] != "Finished":
        raise SystemExit(f"{label}: the run did not finish ({measured['kind']})")
    step_times = measured["times"][1:]
    cuda = predicted["device"] == "cuda"
    peak = measured["cuda_peak_mb"] if cuda else measured_rss
    return dict(label=label, device=predicted["device_name"], predicted_peak=predicted["peak_mb"], measured_peak=peak,
                predicted_step=predicted["seconds_per_step"], measured_step=statistics.mean(step_times),
                step_spread=(min(step_times), max(step_times)), predicted_total=predicted["total_seconds"],
                measured_total=measured["seconds"], steps=len(measured["times"]), probe_rss=predicted_rss,
                verdict=predicted["verdict"])


def error(predicted: float, measured: float) -> str:
    return f"{100 * (predicted - measured) / measured:+.1f} %"


def show(r: dict) -> None:
    print(f"  {r['label']} on {r['device']} (verdict {r['verdict']}):")
    print(f"    peak memory    predicted {r['predicted_peak']:9.1f} MB   measured {r['measured_peak']:9.1f} MB   "
          f"error {error(r['predicted_peak'], r['measured_peak'])}")
    print(f"    time per step  predicted {r['predicted_step']:9.4f} s    measured {r['measured_step']:9.4f} s    "
          f"error {error(r['predicted_step'], r['measured_step'])}  (measured steps {r['step_spread'][0]:.4f}"
          f"-{r['step_spread'][1]:.4f} s)")
    print(f"    whole run      predicted {r['predicted_total']:9.1f} s    measured {r['measured_total']:9.1f} s    "
          f"error {error(r['predicted_total'], r['measured_total'])}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", choices=["demo", "flan-t5-small", "both"], default="both")
    parser.add_argument("--steps", type=int, default=60, help="steps of the measured run")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--val", type=int, default=64, help="validation examples (one evaluation at the end)")
    args = parser.parse_args()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONWARNINGS": "ignore", "OMP_NUM_THREADS": str(args.threads),
           "MKL_NUM_THREADS": str(args.threads)}
    rows = []
    print(f"igrag estimate vs the run it predicts ({args.steps} steps, one evaluation of {args.val} examples, "
          f"{args.threads} thread(s)):", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        val = work / "val.jsonl"
        lines = (ROOT / "resources" / "demo" / "data" / "val.jsonl").read_text(encoding="utf-8").splitlines()
        val.write_text("\n".join(lines[: args.val]) + "\n", encoding="utf-8")
        sizes = ["demo", "flan-t5-small"] if args.size == "both" else [args.size]
        for size in sizes:
            model = make_flan_t5_small(work / "flan-t5-small") if size == "flan-t5-small" else None
            rows.append(side(size, model, work, args.steps, val, env))
            show(rows[-1])
    worst = max(abs(p - m) / m for r in rows for p, m in ((r["predicted_peak"], r["measured_peak"]),
                                                           (r["predicted_step"], r["measured_step"])))
    print(f"largest relative error (peak memory, time per step): {100 * worst:.1f} %  (goal within 15 %)")


if __name__ == "__main__":
    main()
