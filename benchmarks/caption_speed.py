"""Caption speed: transformers (the adapter on the base, as training evaluates) against CTranslate2
(the adapter merged and converted, ``core/playground/engines.py``) on the same images.

    .venv/bin/python benchmarks/caption_speed.py [--rounds 9] [--size demo|small] [--images 48]
        [--batch 16] [--tokens 24] [--threads N] [--quantization int8]

Sizes: the demo model (1.5M parameters) or a FLAN-T5-small-shaped model with random weights (77M;
built into a temporary folder, nothing downloaded), each with a fresh LoRA (r 16 on q and v,
non-zero B so it changes outputs). The images are the first ``--images`` of the demo validation
split; greedy decoding with ``max_new_tokens = --tokens`` (24: IGRAG's target length), batches of
``--batch``, float32 on both sides, the same torch thread count for both.

Both sides run in this process through the code ``igrag eval`` uses (``ModelUse.generate`` and
the label's engine, ``LabelEngine.generate``, handed prompts a step as ``run_batch`` hands them:
CTranslate2 runs one batch per worker thread at once, all of them together holding no more padded
prompt tokens than one batch of ``--batch`` at max_source_length 512), rounds alternating which
side goes first. Printed: each round's
seconds per side with medians and min-max, images/s, the conversion time (done once, cached
after), the share of identical captions, a roofline (the FLOPs of the base model's linear layers in
transformers' pass, counted with forward hooks, against the fp32 GEMM peak measured in the same
run: the most any engine doing that same work could gain; CTranslate2 does less, so it can go
under that time), and last ``caption speed ratio: X (greedy, float32,
SIZE)``: the median of the per-round ratios transformers/ct2 (above 1: CTranslate2 is faster).
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


def fresh_lora(folder: Path, base: Path) -> Path:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForSeq2SeqLM

    torch.manual_seed(0)
    model = get_peft_model(AutoModelForSeq2SeqLM.from_pretrained(base),
                           LoraConfig(r=16, lora_alpha=32, target_modules=["q", "v"], task_type="SEQ_2_SEQ_LM",
                                      init_lora_weights=False))
    model.save_pretrained(folder)
    return folder


def linear_flops(model, run) -> float:
    """Multiply-add FLOPs (2 per multiply-add) of the base model's linear layers in ``run()``, as
    the model computes them (padding included): what an engine with the adapter merged must do at
    least. LoRA's own small matrices (``lora_*``) and attention scores are not counted, so this is
    a lower bound of the work."""
    import torch

    total = [0.0]

    def hook(module, inputs, _output):
        total[0] += 2.0 * (inputs[0].numel() // module.in_features) * module.in_features * module.out_features

    handles = [m.register_forward_hook(hook) for name, m in model.named_modules()
               if isinstance(m, torch.nn.Linear) and "lora_" not in name]
    try:
        run()
    finally:
        for handle in handles:
            handle.remove()
    return total[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--size", choices=("demo", "small"), default="small")
    parser.add_argument("--images", type=int, default=48)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--tokens", type=int, default=24)
    parser.add_argument("--threads", type=int, default=None, help="torch and CTranslate2 threads (default: torch's)")
    parser.add_argument("--quantization", default=None, help="CTranslate2's weights (int8, int8_float32, ...; "
                                                             "default float32, as transformers)")
    args = parser.parse_args()
    if args.threads:
        os.environ["OMP_NUM_THREADS"] = str(args.threads)

    import torch

    from benchmarks._common import gemm_peak, make_flan_t5_small, spread
    from igrag_gui.core.playground import GenerationSettings, Session
    from igrag_gui.core.playground.engines import images_per_step, prepare
    from igrag_gui.resources import demo_model_path, resource_path

    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"cores: {os.cpu_count()}; torch threads: {torch.get_num_threads()}; "
          f"load average at start: {os.getloadavg()[0]:.1f}")
    lines = resource_path("demo", "data", "val.jsonl").read_text(encoding="utf-8").splitlines()
    seen, prompts = set(), []
    for line in lines:
        record = json.loads(line)
        key = record.get("image_id", len(seen))
        if key not in seen:
            seen.add(key)
            prompts.append(record["prompt"])
    prompts = prompts[:args.images]
    settings = GenerationSettings(max_new_tokens=args.tokens)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("IGRAG_CT2_CACHE", str(Path(tmp) / "ct2"))
        if args.size == "small":
            base = make_flan_t5_small(Path(tmp) / "flan-t5-small-shape")
            label = "FLAN-T5-small shape (77M, random weights)"
        else:
            base, label = demo_model_path(), "demo model (1.5M)"
        session = Session.load(str(base), max_source_length=512)
        name = session.add_adapter(fresh_lora(Path(tmp) / "lora", base), name="lora")
        with session.exclusive("the benchmark is using the model") as use:
            threads = torch.get_num_threads()
            started = time.perf_counter()
            engine = prepare(session, use, [name], settings, "ct2", args.quantization)[0]
            convert_s = time.perf_counter() - started
            torch_after = torch.get_num_threads()
            if engine.captioner is None:
                raise SystemExit(f"CTranslate2 cannot run here: {engine.reason}")
            step = images_per_step([engine], args.batch)  # as run_batch hands them
            most, tokens = engine.captioner.limits(args.batch)

            def fast() -> list[str]:
                return [text for start in range(0, len(prompts), step)
                        for text in engine.generate(use, prompts[start:start + step], settings, args.batch, start)]

            sides = {"transformers": lambda: use.generate(prompts, settings, name, args.batch), "ct2": fast}
            outputs = {side: run() for side, run in sides.items()}  # warm-up, and the captions compared
            flops = linear_flops(session.model, sides["transformers"])  # counted apart, not timed
            peak_before = gemm_peak()
            times: dict[str, list[float]] = {"transformers": [], "ct2": []}
            for r in range(args.rounds):
                for side in (("transformers", "ct2") if r % 2 == 0 else ("ct2", "transformers")):
                    start = time.perf_counter()
                    texts = sides[side]()
                    times[side].append(time.perf_counter() - start)
                    assert texts == outputs[side], f"{side} changed its captions between rounds"
            peak = max(peak_before, gemm_peak())
    same = sum(a == b for a, b in zip(outputs["transformers"], outputs["ct2"]))
    ratios = [t / c for t, c in zip(times["transformers"], times["ct2"])]
    kind = args.quantization or "float32"
    n = len(prompts)
    print(f"{n} images of the demo validation split, {label} + LoRA r16 (q, v), greedy, max_new_tokens "
          f"{args.tokens}, batch {args.batch}, transformers float32, CTranslate2 {kind}, {args.rounds} rounds "
          f"alternating:")
    print(f"  CTranslate2 conversion (merge + convert, once; cached after): {convert_s:.1f} s")
    workers = engine.captioner.workers
    print(f"  CTranslate2: {workers} worker(s) of {max(1, threads // workers)} thread(s), {step} images a step, "
          f"batches of at most {most} prompts and {tokens} padded tokens; torch threads after loading it: "
          f"{torch_after} (before: {threads})")
    for side in ("transformers", "ct2"):
        print(f"  {side:<12} seconds: {spread(times[side], '{:.2f}')}; "
              f"{n / statistics.median(times[side]):.1f} images/s")
    print(f"  identical greedy captions: {same} of {n} ({100 * same / n:.1f}%)")
    print(f"  ratio per round: {spread(ratios, '{:.2f}')}")
    at_peak = flops / (peak * 1e9)
    print(f"  roofline: transformers' pass does {flops / 1e9:.1f} GFLOP in the base's linear layers (its padding "
          f"included, every caption decoded as long as its batch's longest); at the fp32 GEMM peak (torch.mm "
          f"2048^2, {peak:.1f} GFLOP/s) that work takes {at_peak:.2f} s")
    for side in ("transformers", "ct2"):
        print(f"  {side:<12} takes {statistics.median(times[side]) / at_peak:.2f}x that time")
    print(f"  the most an engine doing the same work could gain over transformers here: "
          f"{statistics.median(times['transformers']) / at_peak:.2f}x (CTranslate2 does less: its batches are "
          f"sorted by length, so less padding, and a finished caption leaves its batch)")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    print(f"caption speed ratio: {statistics.median(ratios):.2f} (greedy, {kind}, {args.size})")


if __name__ == "__main__":
    main()
