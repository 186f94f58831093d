"""The design note's question with numbers: prompt tuning vs adapter tuning vs LoRA on the demo,
each trained with several seeds, every run's caption metrics with a 95% interval, and whether the
methods' differences are distinguishable from evaluation noise.

    .venv/bin/python benchmarks/methods_seeds.py [--seeds 1,2,3] [--methods prompt_tuning,adapter,lora]
        [--out DIR] [--resamples 1000] [--set key=value ...]

Each run is ``igrag train configs/demo.yaml --set method=M --set training.seed=S`` (the demo's
own settings: two epochs, an evaluation at each epoch's end) into its own folder under ``--out``
(a temporary folder by default), then ``igrag runs compare ... --json`` on all of them gives each
run's interval and the paired differences (the same validation images for every run). Prints a
Markdown table per metric: the mean and standard deviation over seeds (the spread of training),
each seed's value with its interval (the spread of evaluation), and for each pair of methods how
many seeds show a distinguishable difference.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "demo.yaml"
METRICS = ("cider", "bleu4", "rouge_l")


def igrag(*args: str) -> str:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONWARNINGS": "ignore"}
    done = subprocess.run([sys.executable, "-m", "igrag_gui", *args], capture_output=True, text=True, env=env,
                          cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"igrag {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done.stdout


def trainable(run: Path) -> int | None:
    for line in (run / "metrics.jsonl").read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        if isinstance(event.get("trainable"), int):  # the started event
            return event["trainable"]
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--methods", default="prompt_tuning,adapter,lora")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--set", action="append", default=[], dest="sets")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    methods = args.methods.split(",")
    out = args.out or Path(tempfile.mkdtemp(prefix="igrag-methods-"))
    runs: dict[tuple[str, int], Path] = {}
    for seed in seeds:  # seeds outermost: an interrupted table still has every method for the first seeds
        for method in methods:
            run = out / f"{method}-seed{seed}"
            sets = [f"method={method}", f"training.seed={seed}", f"training.output_dir={run}", *args.sets]
            if not (run / "metrics.jsonl").exists():
                print(f"training {method}, seed {seed} -> {run}", file=sys.stderr, flush=True)
                igrag("train", str(CONFIG), *[a for s in sets for a in ("--set", s)])
            runs[method, seed] = run
    report = json.loads(igrag("runs", "compare", *[str(p) for p in runs.values()], "--json",
                              "--resamples", str(args.resamples)))
    intervals = report["intervals"]
    by_path = {str(Path(k).resolve()): v for k, v in intervals["runs"].items()}
    if intervals.get("unavailable"):
        print(f"runs without intervals: {intervals['unavailable']}", file=sys.stderr)
    print(f"Demo ({intervals.get('images')} validation images), seeds {args.seeds}, "
          f"{intervals.get('confidence', 0.95):.0%} paired-bootstrap intervals, {intervals.get('resamples')} resamples.\n")
    print("| method | trainable parameters | metric | mean ± std over seeds | each seed: value [95% interval] |")
    print("|---|---|---|---|---|")
    for method in methods:
        count = trainable(runs[method, seeds[0]])
        for metric in METRICS:
            cells, values = [], []
            for seed in seeds:
                got = by_path.get(str(runs[method, seed].resolve()), {}).get("metrics", {}).get(metric)
                if got:
                    values.append(got["value"])
                    cells.append(f"{got['value']:.3f} [{got['low']:.3f}, {got['high']:.3f}]")
            if not values:
                continue
            std = statistics.stdev(values) if len(values) > 1 else 0.0
            shown = f"{count:,}" if count is not None else "?"
            print(f"| {method} | {shown} | {metric} | {statistics.fmean(values):.3f} ± {std:.3f} | {'; '.join(cells)} |")
    print("\n| pair (a − b) | metric | seeds where the difference is distinguishable | differences [95% interval] |")
    print("|---|---|---|---|")
    where = {str(p.resolve()): key for key, p in runs.items()}
    for i, a in enumerate(methods):
        for b in methods[i + 1:]:
            for metric in METRICS:
                found = []
                for pair in intervals.get("pairs", []):
                    ka, kb = where.get(str(Path(pair["a"]).resolve())), where.get(str(Path(pair["b"]).resolve()))
                    if pair["metric"] != metric or not ka or not kb or ka[1] != kb[1]:
                        continue
                    sign = 1 if (ka[0], kb[0]) == (a, b) else -1 if (ka[0], kb[0]) == (b, a) else 0
                    if sign:
                        low, high = sorted((sign * pair["low"], sign * pair["high"]))
                        found.append((pair["distinguishable"], f"{sign * pair['difference']:+.3f} [{low:+.3f}, {high:+.3f}]"))
                if found:
                    print(f"| {a} − {b} | {metric} | {sum(d for d, _ in found)} of {len(found)} | "
                          f"{'; '.join(text for _, text in found)} |")
    print(f"\nruns in {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
