"""Caption memory: what a batch of captions adds to the process's resident memory, transformers at
the user's batch against CTranslate2 as ``Ct2Captioner`` plans its batches (one per worker at
once, all of them within the padded prompt tokens of the user's batch at max_source_length).

    .venv/bin/python benchmarks/caption_memory.py [--size small|demo] [--batch 16] [--max-source 512] [--tokens 24]

Each measurement runs in its own child process on a FLAN-T5-small-shaped model (random weights, a
fresh LoRA r16 on q and v, as ``caption_speed.py``; or the demo model), twice: the demo validation prompts as they are
(about 71 tokens) and long ones (several prompts joined, cut at ``--max-source``: the user's worst
case). A thread samples the resident set (``/proc/self/statm``) every millisecond while the batch
runs; printed is its peak minus the resident set just before (model loading and conversion, done
before, are not counted). Last line: ``caption memory ratio: X (ct2 / transformers, long prompts)``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PAGE = os.sysconf("SC_PAGE_SIZE")


def resident() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def peak_added(run) -> float:
    """MB the resident set rose above its level before ``run()``, at its highest during it."""
    before, peak, done = resident(), [0], threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], resident())
            time.sleep(0.001)

    thread = threading.Thread(target=sample)
    thread.start()
    try:
        run()
    finally:
        done.set()
        thread.join()
    return max(0, max(peak[0], resident()) - before) / 2 ** 20


def child(args) -> None:
    from benchmarks._common import make_flan_t5_small
    from benchmarks.caption_speed import fresh_lora
    from igrag_gui.core.playground import GenerationSettings, Session
    from igrag_gui.core.playground.engines import images_per_step, prepare
    from igrag_gui.resources import demo_model_path, resource_path

    tmp = Path(args.child_dir)
    os.environ["IGRAG_CT2_CACHE"] = str(tmp / "ct2")
    base = make_flan_t5_small(tmp / "base") if args.size == "small" else demo_model_path()
    lora = tmp / "lora"
    if not (lora / "adapter_config.json").is_file():
        fresh_lora(lora, base)
    prompts = [json.loads(line)["prompt"] for line in
               resource_path("demo", "data", "val.jsonl").read_text(encoding="utf-8").splitlines()]
    if args.long:
        prompts = [" ".join(prompts[i:i + 12]) for i in range(len(prompts))]
    session = Session.load(str(base), max_source_length=args.max_source)
    name = session.add_adapter(lora, name="lora")
    settings = GenerationSettings(max_new_tokens=args.tokens)
    with session.exclusive("the benchmark is using the model") as use:
        if args.side == "transformers":
            count = args.batch
            use.generate(prompts[:2], settings, name, 2)  # warm-up

            def run():
                use.generate(prompts[:count], settings, name, args.batch)
        else:
            engine = prepare(session, use, [name], settings, "ct2", None)[0]
            count = images_per_step([engine], args.batch)
            engine.generate(use, prompts[:2], settings, args.batch, 0)

            def run():
                engine.generate(use, prompts[:count], settings, args.batch, 0)
        lengths = [len(session.prepare_prompt(p).input_ids) for p in prompts[:count]]
        print(json.dumps({"mb": peak_added(run), "images": count, "tokens": sum(lengths) / len(lengths)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=("small", "demo"), default="small")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--max-source", type=int, default=512)
    parser.add_argument("--tokens", type=int, default=24)
    parser.add_argument("--side", choices=("transformers", "ct2"), help=argparse.SUPPRESS)
    parser.add_argument("--long", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        return child(args)
    found: dict[tuple[str, bool], dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for long in (False, True):
            for side in ("transformers", "ct2"):
                cmd = [sys.executable, __file__, "--side", side, "--child-dir", tmp, "--size", args.size,
                       "--batch", str(args.batch), "--max-source", str(args.max_source), "--tokens", str(args.tokens)]
                cmd += ["--long"] if long else []
                out = subprocess.run(cmd, capture_output=True, text=True)
                if out.returncode:
                    raise SystemExit(f"{side} failed:\n{out.stderr[-3000:]}")
                found[side, long] = json.loads(out.stdout.strip().splitlines()[-1])
    model = "FLAN-T5-small shape" if args.size == "small" else "the demo model"
    print(f"{model} + LoRA, batch {args.batch}, max_source_length {args.max_source}, "
          f"max_new_tokens {args.tokens}; memory a step of captions adds:")
    for long in (False, True):
        for side in ("transformers", "ct2"):
            f = found[side, long]
            print(f"  {'long' if long else 'demo'} prompts ({f['tokens']:.0f} tokens), {side:<12}: {f['images']:3} "
                  f"images at once, {f['mb']:6.0f} MB")
    ratio = found["ct2", True]["mb"] / max(1e-9, found["transformers", True]["mb"])
    print(f"caption memory ratio: {ratio:.2f} (ct2 / transformers, long prompts)")


if __name__ == "__main__":
    main()
