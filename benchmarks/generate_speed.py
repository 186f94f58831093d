"""Playground generation speed: a streamed generation through our code versus a bare
``model.generate``, and switching between the base model and an adapter without reloading.
Plain script; prints tokens/s, the median ratio and switch times.

    .venv/bin/python benchmarks/generate_speed.py [--rounds 9] [--tokens 64] [--switches 40]
        [--size demo|small|both] [--small-tokens 32] [--threads N]

Sizes: the demo model (1.5M parameters) and a FLAN-T5-small-shaped model with random weights
(77M; built into a temporary folder, nothing downloaded), where the per-token costs of streaming
weigh what they weigh for users. Every round of each side is printed with the median and the
spread (min-max); the ratio is the median of the per-round ratios (both sides back to back).

Each side runs in a process of its own (a long-lived child that loads once and answers one
generation per request), as a user's script or the app would: two sides generating in one process
share PyTorch's OpenMP helpers, and libgomp then stops them spinning (see
``igrag_gui/core/torch_thread.py``), slowing both. Both load the demo model (or the
FLAN-T5-small-shaped one) with the same fresh LoRA adapter (r 16 on every Linear layer, non-zero
B so it changes outputs), the same prompt (the first validation example) and greedy decoding
forced to exactly ``--tokens`` new tokens (``min_new_tokens``).

- ours: ``Session.load`` + ``add_adapter``, then ``Session.stream`` consumed to the end on the
  main thread (generation on the torch thread, TextIteratorStreamer decoding every token, the
  stop-event StoppingCriteria, the model lock), timed from the ``stream`` call to the last piece;
- bare: ``PeftModel.from_pretrained`` on ``AutoModelForSeq2SeqLM.from_pretrained``, then
  ``model.generate(**inputs, max_new_tokens=N, min_new_tokens=N)`` on the main thread, no streamer.
Rounds alternate which side goes first. Goal: ratio ours/bare >= 0.95 (demo), >= 0.98 (small).
The process CPU time per token is printed too.

Switching: ``Session.switch_seconds`` (adapter -> base: entering PEFT's ``disable_adapter()``;
base -> adapter: leaving it + ``set_adapter``), and PEFT's own ``set_adapter`` and
``disable_adapter()`` context for reference, against loading the base model again.
Goal: under 50 ms.
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import make_flan_t5_small, ratio_line, spread  # noqa: E402
from igrag_gui.core.playground import GenerationSettings, Session  # noqa: E402
from igrag_gui.resources import demo_model_path, resource_path  # noqa: E402


def fresh_adapter(folder: Path, base: Path) -> Path:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForSeq2SeqLM

    torch.manual_seed(0)
    model = get_peft_model(AutoModelForSeq2SeqLM.from_pretrained(base),
                           LoraConfig(r=16, lora_alpha=32, target_modules=["q", "k", "v", "o", "wi_0", "wi_1", "wo"],
                                      task_type="SEQ_2_SEQ_LM", init_lora_weights=False))
    model.save_pretrained(folder)
    return folder


SERVE = "--serve"


def serve(side: str, base: str, adapter: str, tokens: int) -> None:
    """A child process for one side: load, warm up, then one generation per "go" line on stdin,
    answered with a JSON line. Each side has a process to itself, as a user's script or the app
    would: two sides in one process would share (and slow down) PyTorch's OpenMP helpers."""
    import torch

    prompt = json.loads(resource_path("demo", "data", "val.jsonl").read_text().splitlines()[0])["prompt"]
    n = tokens
    if side == "ours":
        session = Session.load(base, demo_folder=demo_model_path())
        name = session.add_adapter(adapter, name="fresh")
        settings = GenerationSettings(max_new_tokens=n, min_new_tokens=n)

        def once() -> None:
            stream = session.stream(prompt, settings, name)
            for _ in stream:
                pass
            assert stream.stats.new_tokens == n, stream.stats
    else:
        from peft import PeftModel
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        folder = str(demo_model_path()) if base == "demo" else base
        model = PeftModel.from_pretrained(AutoModelForSeq2SeqLM.from_pretrained(folder), adapter).eval()
        inputs = AutoTokenizer.from_pretrained(folder)(prompt, return_tensors="pt")

        def once() -> None:
            with torch.no_grad():
                out = model.generate(**inputs, max_new_tokens=n, min_new_tokens=n, do_sample=False)
            assert out.shape[1] - 1 == n

    once()  # warm up (first calls allocate caches)
    print(json.dumps({"ready": True, "threads": torch.get_num_threads()}), flush=True)
    for line in sys.stdin:
        if line.strip() != "go":
            break
        start, cpu = time.perf_counter(), time.process_time()
        once()
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        print(json.dumps({"wall": n / elapsed, "cpu": n / cpu}), flush=True)


def compare(label: str, base: str, adapter_base: Path, tokens: int, rounds: int, tmp: Path, goal: str) -> None:
    """Streamed (ours) against bare generate, each side in its own process, rounds alternating
    which goes first; prints the table."""
    adapter = fresh_adapter(tmp / f"fresh-{adapter_base.name}", adapter_base)
    children = {side: subprocess.Popen([sys.executable, __file__, SERVE, side, base, str(adapter), str(tokens)],
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                for side in ("ours", "bare")}
    try:
        threads = {side: json.loads(child.stdout.readline())["threads"] for side, child in children.items()}

        def one(side: str) -> dict:
            child = children[side]
            child.stdin.write("go\n")
            child.stdin.flush()
            line = child.stdout.readline()
            if not line:
                raise SystemExit(f"the {side} child ended early (exit code {child.wait()})")
            return json.loads(line)

        walls: dict[str, list[float]] = {"ours": [], "bare": []}
        cpus: dict[str, list[float]] = {"ours": [], "bare": []}
        for r in range(rounds):
            for side in (("ours", "bare") if r % 2 == 0 else ("bare", "ours")):
                result = one(side)
                walls[side].append(result["wall"])
                cpus[side].append(result["cpu"])
    finally:
        for child in children.values():
            child.stdin.close()
            child.wait(timeout=60)
    print(f"streamed generation, {label} + LoRA r16 (all Linear), {tokens} new tokens, "
          f"torch threads {threads['ours']} (ours) / {threads['bare']} (bare), each side in its own process, "
          f"{rounds} rounds alternating:")
    for what, table, g in (("tokens/s (wall clock)", walls, goal), ("tokens per CPU-second", cpus, "-")):
        print(f"  {what}:")
        print(f"    ours (Session.stream): {spread(table['ours'], '{:.0f}')}")
        print(f"    bare model.generate  : {spread(table['bare'], '{:.0f}')}")
        print(f"    {ratio_line(table['ours'], table['bare'], g)}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--small-tokens", type=int, default=32)
    parser.add_argument("--switches", type=int, default=40)
    parser.add_argument("--size", choices=("demo", "small", "both"), default="both")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    args = parser.parse_args()

    if args.threads:  # before torch is imported, here and in the children
        os.environ["OMP_NUM_THREADS"] = str(args.threads)
    print(f"cores: {os.cpu_count()}; load average at start: {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        if args.size in ("small", "both"):
            small = make_flan_t5_small(Path(tmp) / "flan-t5-small-shape")
            compare("FLAN-T5-small shape (77M, random weights)", str(small), small, args.small_tokens, args.rounds,
                    Path(tmp), ">= 0.98")
        if args.size in ("demo", "both"):
            compare("demo model (1.5M)", "demo", demo_model_path(), args.tokens, args.rounds, Path(tmp), ">= 0.95")
        print(f"load average at end: {os.getloadavg()[0]:.1f}")
        if args.switches <= 0:
            return
        started = time.perf_counter()
        session = Session.load("demo", demo_folder=demo_model_path())
        load_s = time.perf_counter() - started
        name = session.add_adapter(fresh_adapter(Path(tmp) / "fresh-switch", demo_model_path()), name="fresh")

        def median_ms(fn, count: int) -> tuple[float, float]:
            times = []
            for _ in range(count):
                times.append(fn() * 1000)
            return statistics.median(times), max(times)

        to_base = median_ms(lambda: session.switch_seconds(None), args.switches)
        to_adapter = median_ms(lambda: session.switch_seconds(name), args.switches)
        peft = session.model

        def timed(fn) -> float:
            start = time.perf_counter()
            fn()
            return time.perf_counter() - start

        def disable_context() -> None:
            with peft.disable_adapter():
                pass

        set_adapter = median_ms(lambda: timed(lambda: peft.set_adapter(name, inference_mode=True)), args.switches)
        disable_ctx = median_ms(lambda: timed(disable_context), args.switches)
        print(f"switching without reloading ({args.switches} times each; median / max ms):")
        print(f"  Session, adapter -> base : {to_base[0]:6.2f} / {to_base[1]:6.2f}")
        print(f"  Session, base -> adapter : {to_adapter[0]:6.2f} / {to_adapter[1]:6.2f}  (goal < 50)")
        print(f"  PEFT set_adapter         : {set_adapter[0]:6.2f} / {set_adapter[1]:6.2f}")
        print(f"  PEFT disable_adapter()   : {disable_ctx[0]:6.2f} / {disable_ctx[1]:6.2f}  (enter + exit)")
        print(f"  for comparison, Session.load of the base model: {load_s * 1000:.0f} ms (first load, imports included)")
        print(f"memory: {session.memory_bytes() / 2**20:.2f} MiB with the adapter attached (one copy of the base)")


if __name__ == "__main__":
    if sys.argv[1:2] == [SERVE]:
        serve(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    else:
        main()
