"""Data preparation at scale: time to the first training step and peak memory, our engine versus
a plain script that tokenizes into Python lists the usual way. Plain script; prints a table.

    .venv/bin/python benchmarks/data_scale.py [--sizes 1000,20000,200000] [--rounds 1]

JSONL files of each size are made from the demo data (rows repeated with new image ids, about
950 bytes a row, IGRAG-style prompts). Every measurement is a fresh Python process (so peak
memory is that process's own, ``ru_maxrss``), timed from the process start to the end of the
first optimizer step (and, apart, the data preparation alone: ours from the first to the last
preparation event, plain from reading the file to the list of dicts), on the demo model (LoRA on every Linear layer, batch 8, fp32, CPU):

- ours, first run: ``igrag_gui.core.training.train.train`` with an empty data cache (streams the file,
  tokenizes into a memory-mapped Arrow file);
- ours, second run: the same with the cache the first run left (the sweep-trial / rerun case);
- plain: ``json.loads`` every line into lists, one batched tokenizer call per side, a list of
  dicts, ``Seq2SeqTrainer`` with the same collator, model and LoRA (no cache: every run pays).
Goals (issue #18): peak memory at 200k rows within 300 MB of the 1k rows' peak; second run's
time to first step at 200k within 5 s of the 1k rows'.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO_TRAIN = ROOT / "resources" / "demo" / "data" / "train.jsonl"

OURS = textwrap.dedent("""
    import json, resource, sys, time
    t0 = float(sys.argv[2])
    sys.path.insert(0, sys.argv[3])
    from igrag_gui.core.config import load_config
    from igrag_gui.core.training.events import Preparing, Progress
    from igrag_gui.core.training.train import RunState, train
    cfg, _ = load_config(sys.argv[3] + "/configs/demo.yaml", [
        "data.train_path=" + sys.argv[1], "training.output_dir=" + sys.argv[4],
        "training.eval_strategy=no", "training.save_strategy=no"])
    first = []
    state = RunState()
    prep = []
    def sink(e):
        if isinstance(e, Preparing):
            prep.append(time.time())
        if isinstance(e, Progress) and not first:
            first.append(time.time() - t0)
            state.stop.set()
    train(cfg, sink, state, max_steps=1)
    print(json.dumps({"first_step": first[0], "data": prep[-1] - prep[0],
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
""")

PLAIN = textwrap.dedent("""
    import json, resource, sys, time
    t0 = float(sys.argv[2])
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import (AutoModelForSeq2SeqLM, AutoTokenizer, DataCollatorForSeq2Seq,
                              Seq2SeqTrainer, Seq2SeqTrainingArguments, TrainerCallback)
    model_dir = sys.argv[3] + "/resources/demo/model"
    tok = AutoTokenizer.from_pretrained(model_dir)
    t_data = time.time()
    rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8") if line.strip()]
    enc = tok([r["prompt"] for r in rows], truncation=True, max_length=256)["input_ids"]
    lab = tok([r["caption"] for r in rows], truncation=True, max_length=48)["input_ids"]
    data = [{"input_ids": i, "labels": l} for i, l in zip(enc, lab)]
    t_data = time.time() - t_data
    torch.manual_seed(42)
    model = get_peft_model(AutoModelForSeq2SeqLM.from_pretrained(model_dir),
        LoraConfig(r=16, lora_alpha=32, lora_dropout=0.05, task_type="SEQ_2_SEQ_LM",
                   target_modules=["q", "k", "v", "o", "wi_0", "wi_1", "wo"]))
    first = []
    class First(TrainerCallback):
        def on_step_end(self, args, state, control, **kw):
            first.append(time.time() - t0)
            control.should_training_stop = True
    args = Seq2SeqTrainingArguments(output_dir=sys.argv[4], max_steps=1, per_device_train_batch_size=8,
        learning_rate=2e-3, save_strategy="no", report_to=[], disable_tqdm=True, use_cpu=True,
        remove_unused_columns=False, dataloader_num_workers=0)
    Seq2SeqTrainer(model=model, args=args, train_dataset=data, callbacks=[First()],
        data_collator=DataCollatorForSeq2Seq(tok, model=model, label_pad_token_id=-100)).train()
    print(json.dumps({"first_step": first[0], "data": t_data,
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
""")


def make_file(folder: Path, rows: int) -> Path:
    """``rows`` IGRAG-style rows: the demo's, repeated with new image ids."""
    demo = [json.loads(line) for line in DEMO_TRAIN.read_text(encoding="utf-8").splitlines() if line.strip()]
    path = folder / f"train_{rows}.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for i in range(rows):
            row = dict(demo[i % len(demo)], image_id=i)
            fh.write(json.dumps(row) + "\n")
    return path


def measure(script: str, data: Path, work: Path, cache: Path) -> dict:
    import time

    out = work / "out"
    shutil.rmtree(out, ignore_errors=True)
    env = dict(os.environ, IGRAG_DATA_CACHE=str(cache), HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1",
               TRANSFORMERS_VERBOSITY="error")
    done = subprocess.run([sys.executable, "-c", script, str(data), repr(time.time()), str(ROOT), str(out)],
                          capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        sys.exit(f"benchmark run failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def spread(values: list[float], fmt: str) -> str:
    if len(values) == 1:
        return fmt.format(values[0])
    return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}-{fmt.format(max(values))})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,20000,200000")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    results: dict[int, dict[str, list[dict]]] = {}
    with tempfile.TemporaryDirectory(prefix="igrag-data-scale-") as tmp:
        work = Path(tmp)
        for rows in sizes:
            data = make_file(work, rows)
            mb = data.stat().st_size / 1e6
            runs: dict[str, list[dict]] = {"ours first": [], "ours second": [], "plain": []}
            for r in range(args.rounds):
                cache = work / f"cache-{rows}-{r}"
                runs["ours first"].append(measure(OURS, data, work, cache))
                runs["ours second"].append(measure(OURS, data, work, cache))
                runs["plain"].append(measure(PLAIN, data, work, cache))
                for name, got in runs.items():
                    print(f"  {rows:>7,} rows ({mb:.0f} MB) round {r + 1} {name:<12}: first step "
                          f"{got[-1]['first_step']:6.1f} s (data {got[-1]['data']:5.1f} s), peak "
                          f"{got[-1]['peak_mb']:6.0f} MB", flush=True)
            results[rows] = runs
            data.unlink()
    print()
    print("| rows | first step: ours 1st run | ours 2nd run | plain | data preparation: ours 1st | ours 2nd | plain "
          "| peak MB: ours 1st | ours 2nd | plain |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for rows, runs in results.items():
        t = [spread([g["first_step"] for g in runs[k]], "{:.1f} s") for k in runs]
        d = [spread([g["data"] for g in runs[k]], "{:.1f} s") for k in runs]
        m = [spread([g["peak_mb"] for g in runs[k]], "{:.0f}") for k in runs]
        print(f"| {rows:,} | {' | '.join(t)} | {' | '.join(d)} | {' | '.join(m)} |")
    small, big = min(results), max(results)
    if small != big:
        med = lambda rows, k, f: statistics.median(g[f] for g in results[rows][k])  # noqa: E731
        print()
        for k in results[big]:
            print(f"{k:<12}: {big:,} rows vs {small:,}: peak memory {med(big, k, 'peak_mb') - med(small, k, 'peak_mb'):+.0f} MB "
                  f"(goal for ours: <= 300), time to first step {med(big, k, 'first_step') - med(small, k, 'first_step'):+.1f} s "
                  f"(goal for ours' 2nd run: <= 5), data preparation "
                  f"{med(big, k, 'data') - med(small, k, 'data'):+.1f} s")
        plain_mem, ours_mem = med(big, "plain", "peak_mb"), med(big, "ours first", "peak_mb")
        print(f"at {big:,} rows: plain/ours peak memory {plain_mem / ours_mem:.2f}x; plain/ours-2nd time to first step "
              f"{med(big, 'plain', 'first_step') / med(big, 'ours second', 'first_step'):.2f}x")


if __name__ == "__main__":
    main()
