"""Every PEFT method on the embedded demo, the same steps for each: trainable parameters,
samples/s, final training loss, validation metrics (whatever ``eval_*`` keys the run reports)
and adapter size on disk. The data behind IGRAG's question "LoRA, adapters or prompt tuning?".

    .venv/bin/python benchmarks/methods.py --steps 60 --rounds 1 [--methods lora,ia3] [--val 64]

Each method trains with its own defaults (``igrag train configs/demo.yaml --set method=NAME``),
evaluating once at the end on the first ``--val`` validation examples. samples/s is reported
per round with the median and min-max when ``--rounds`` > 1.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def run_method(method: str, steps: int, val_file: Path, out: Path) -> dict:
    from igrag_gui.core.config import load_config
    from igrag_gui.core.training.events import Collect, Finished
    from igrag_gui.core.training.train import train
    from igrag_gui.resources import demo_config_path

    cfg, _ = load_config(demo_config_path(), [
        f"method={method}", f"training.output_dir={out}", f"data.val_path={val_file}",
        f"training.max_steps={steps}", "training.eval_strategy=steps", f"training.eval_steps={steps}",
        "training.save_strategy=no", f"training.logging_steps={max(1, steps // 10)}"])
    from igrag_gui.core.errors import UserError

    try:
        closing = train(cfg, Collect())
    except UserError as exc:  # refused before Start (prefix tuning): the reason is the result
        return {"method": method, "error": str(exc)}
    if not isinstance(closing, Finished):
        return {"method": method, "error": getattr(closing, "message", str(closing))}
    events = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    started = next(e for e in events if e["event"] == "started")
    logs = [e for e in events if e["event"] == "log"]
    evals = [e for e in events if e["event"] == "eval"]
    metrics = {k: v for k, v in (evals[-1] if evals else {}).items() if k.startswith("eval_")}
    return {"method": method, "trainable": started["trainable"], "total": started["total"],
            "samples_per_second": closing.train_samples_per_second, "final_loss": logs[-1]["loss"],
            "metrics": metrics, "adapter_bytes": (out / "adapter_model.safetensors").stat().st_size}


def main() -> None:
    from igrag_gui.core.methods import METHODS
    from igrag_gui.resources import demo_config_path

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--val", type=int, default=64, help="validation examples evaluated at the end")
    parser.add_argument("--methods", default=",".join(METHODS))
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="igrag-methods-"))
    lines = (demo_config_path().parent / "../resources/demo/data/val.jsonl").resolve().read_text().splitlines()
    val_file = tmp / "val.jsonl"
    val_file.write_text("\n".join(lines[:args.val]) + "\n")
    rows = []
    for method in args.methods.split(","):
        rounds = [run_method(method, args.steps, val_file, tmp / f"{method}-{r}") for r in range(args.rounds)]
        row = rounds[-1]
        if "error" not in row:
            row["rounds"] = [r["samples_per_second"] for r in rounds]
        rows.append(row)
        print(f"done {method}: {json.dumps(row)}", file=sys.stderr, flush=True)

    keys = sorted({k for r in rows for k in r.get("metrics", {})})
    print(f"demo model, {args.steps} steps each, batch 8, evaluated on {args.val} validation examples, "
          f"{args.rounds} round(s)\n")
    head = ["method", "trainable", "% of total", "samples/s (median; min-max; rounds)", "final loss",
            *keys, "adapter size"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        if "error" in r:
            print(f"| {r['method']} | failed: {r['error']} |")
            continue
        sps = r["rounds"]
        speed = (f"{statistics.median(sps):.1f}; {min(sps):.1f}-{max(sps):.1f}; "
                 + ", ".join(f"{s:.1f}" for s in sps)) if len(sps) > 1 else f"{sps[0]:.1f}"
        metric_cells = [f"{r['metrics'].get(k, float('nan')):.3f}" for k in keys]
        print(f"| {r['method']} | {r['trainable']:,} | {100 * r['trainable'] / r['total']:.3f}% | {speed} | "
              f"{r['final_loss']:.3f} | " + " | ".join(metric_cells) + f" | {r['adapter_bytes'] / 1024:.1f} KiB |")
    lora = next((r for r in rows if r["method"] == "lora" and "error" not in r), None)
    if lora:
        print("\nratios to LoRA (samples/s): " + ", ".join(
            f"{r['method']} {statistics.median(r['rounds']) / statistics.median(lora['rounds']):.2f}"
            for r in rows if "error" not in r))


if __name__ == "__main__":
    main()
