"""Playground generation speed: a streamed generation through our code versus a bare
``model.generate``, and switching between the base model and an adapter without reloading.
Plain script; prints tokens/s, the median ratio and switch times.

    .venv/bin/python benchmarks/generate_speed.py [--rounds 9] [--tokens 64] [--switches 40]
        [--size demo|small|both] [--small-tokens 32] [--threads N]

Sizes: the demo model (1.5M parameters) and a FLAN-T5-small-shaped model with random weights
(77M; built into a temporary folder, nothing downloaded), where the per-token costs of streaming
weigh what they weigh for users. Every round of each side is printed with the median and the
spread (min-max); the ratio is the median of the per-round ratios (both sides back to back).

Both sides use the same model object in one process: the demo model with a fresh LoRA adapter
(r 16 on every Linear layer, non-zero B so it changes outputs), attached with
``Session.add_adapter``, the same prompt (the first validation example) and greedy decoding forced
to exactly ``--tokens`` new tokens (``min_new_tokens``).

- ours: ``Session.stream`` consumed to the end (generation thread, TextIteratorStreamer decoding
  every token, the stop-event StoppingCriteria, the model lock), timed from the ``stream`` call
  to the last piece;
- bare: ``model.generate(**inputs, max_new_tokens=N, min_new_tokens=N)`` on the same PeftModel
  with the adapter active, no streamer.
Rounds alternate which side goes first. Goal: ratio ours/bare >= 0.95. Wall-clock figures on a
shared machine swing by tens of percent from round to round; the process CPU time per token (both
threads counted) is printed too, as the steadier measure of what our code adds.

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


def compare(label: str, base: str, adapter_base: Path, tokens: int, rounds: int, tmp: Path,
            goal: str) -> tuple[Session, str, float]:
    """Streamed (ours) against bare generate on one loaded model, alternating; prints the table."""
    import torch

    prompt = json.loads(resource_path("demo", "data", "val.jsonl").read_text().splitlines()[0])["prompt"]
    started = time.perf_counter()
    session = Session.load(base)
    load_s = time.perf_counter() - started
    name = session.add_adapter(fresh_adapter(tmp / f"fresh-{adapter_base.name}", adapter_base), name="fresh")
    settings = GenerationSettings(max_new_tokens=tokens, min_new_tokens=tokens)
    n = tokens

    def ours() -> tuple[float, float]:
        start, cpu = time.perf_counter(), time.process_time()
        stream = session.stream(prompt, settings, name)
        for _ in stream:
            pass
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        assert stream.stats.new_tokens == n, stream.stats
        return n / elapsed, n / cpu

    model, tokenizer = session.model, session.tokenizer
    inputs = tokenizer(prompt, return_tensors="pt")

    def bare() -> tuple[float, float]:
        with torch.no_grad():
            start, cpu = time.perf_counter(), time.process_time()
            out = model.generate(**inputs, max_new_tokens=n, min_new_tokens=n, do_sample=False)
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        assert out.shape[1] - 1 == n
        return n / elapsed, n / cpu

    ours(), bare()  # warm up both paths (first calls allocate caches)
    walls: dict[str, list[float]] = {"ours": [], "bare": []}
    cpus: dict[str, list[float]] = {"ours": [], "bare": []}
    for r in range(rounds):
        order = (("ours", ours), ("bare", bare)) if r % 2 == 0 else (("bare", bare), ("ours", ours))
        for side, fn in order:
            wall, cpu = fn()
            walls[side].append(wall)
            cpus[side].append(cpu)
    print(f"streamed generation, {label} + LoRA r16 (all Linear), {n} new tokens, "
          f"{torch.get_num_threads()} torch threads, {rounds} rounds alternating:")
    for what, table, g in (("tokens/s (wall clock)", walls, goal), ("tokens per CPU-second", cpus, "-")):
        print(f"  {what}:")
        print(f"    ours (Session.stream): {spread(table['ours'], '{:.0f}')}")
        print(f"    bare model.generate  : {spread(table['bare'], '{:.0f}')}")
        print(f"    {ratio_line(table['ours'], table['bare'], g)}", flush=True)
    return session, name, load_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--small-tokens", type=int, default=32)
    parser.add_argument("--switches", type=int, default=40)
    parser.add_argument("--size", choices=("demo", "small", "both"), default="both")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    args = parser.parse_args()

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"cores: {os.cpu_count()}; load average at start: {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        session = None
        if args.size in ("small", "both"):
            small = make_flan_t5_small(Path(tmp) / "flan-t5-small-shape")
            compare("FLAN-T5-small shape (77M, random weights)", str(small), small, args.small_tokens, args.rounds,
                    Path(tmp), ">= 0.98")[0].close()
        if args.size in ("demo", "both"):
            session, name, load_s = compare("demo model (1.5M)", "demo", demo_model_path(), args.tokens, args.rounds, Path(tmp),
                              ">= 0.95")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    if session is None:
        return

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
    main()
