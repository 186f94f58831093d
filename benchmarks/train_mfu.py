"""Training against the machine's limit: the FLOPs of a LoRA step counted from the model's shapes,
the step time, the machine's fp32 GEMM peak measured in the same run, and the MFU; with variants
(fused AdamW, the other attention path, a thread count, torch.compile; bf16 autocast where the CPU
has native bf16) side by side against plain PyTorch + PEFT.

    .venv/bin/python benchmarks/train_mfu.py [--size small|demo] [--batch 8] [--source 128]
        [--target 24] [--rounds 5] [--steps 3] [--threads N] [--profile STEPS] [--compile]

The model: a FLAN-T5-small-shaped T5 with random weights (77M, ``_common.FLAN_T5_SMALL``) or the
demo model, LoRA r 8 on q and v (IGRAG's), AdamW lr 1e-4; every step is ``loss = model(**batch).loss;
loss.backward(); opt.step(); opt.zero_grad()`` on a fixed batch sequence of random token ids
(source and target at full length, no padding), the same for every variant; dropout is off so
that the variants' losses compare (the last column: a variant that changed the maths would show).

FLOPs of a step (matmuls only; softmax, norms, activations and the optimizer are left out, as
MFU figures do):
- every ``nn.Linear`` (frozen base, LoRA A and B, the LM head): forward ``2 * rows * in * out``,
  where ``rows`` is the number of token vectors it saw, taken from a real forward pass (forward
  hooks); backward ``2 * rows * in * out`` for the input's gradient when its input requires grad
  (not for each stack's first q, k and v, whose input is the frozen embedding) plus the same
  again for the weight's gradient when the weight is trainable (LoRA only);
- attention, per layer: ``2 * 2 * B * H * Lq * Lk * d_kv`` forward (scores and the weighted sum),
  twice that backward: encoder self (Lq = Lk = source), decoder self (target, target) and cross
  (target, source).
So a frozen matmul costs 2x its forward FLOPs per step and a trainable one 3x: a LoRA step is
about 2x the forward, not the 3x of full fine-tuning.

Peak: the best of ``torch.mm`` on 2048x2048 float32 matrices (``2 n^3`` FLOPs per call) with the
same threads, measured before and after the steps (the higher is used). Rounds alternate the
order of the variants; each round runs ``--steps`` steps of each. Printed: each variant's median
step time with its min-max over rounds, GFLOP/s, MFU, its ratio to plain (plain / variant: above
1 is faster) and its loss after the last step relative to plain's.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def step_flops(model, batch, config) -> tuple[float, dict[str, float]]:
    """FLOPs of one training step, and the share of each part (see the module docstring)."""
    import torch

    parts = {"linear forward": 0.0, "linear input grads": 0.0, "LoRA weight grads": 0.0, "attention": 0.0}

    def hook(module, inputs, _output):
        x = inputs[0]
        rows = x.numel() // module.in_features
        f = 2.0 * rows * module.in_features * module.out_features
        parts["linear forward"] += f
        if x.requires_grad:
            parts["linear input grads"] += f
        if module.weight.requires_grad:
            parts["LoRA weight grads"] += f

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, torch.nn.Linear)]
    try:
        model.train()
        model(**batch).loss.backward()
    finally:
        for h in handles:
            h.remove()
        model.zero_grad(set_to_none=True)
    b, s = batch["input_ids"].shape
    t = batch["labels"].shape[1]
    h, d = config.num_heads, config.d_kv
    fwd = 4.0 * b * h * d * (config.num_layers * s * s + config.num_decoder_layers * (t * t + t * s))
    parts["attention"] = 3 * fwd
    return sum(parts.values()), parts


def make_variant(base: Path, attn: str | None, fused: bool, seed: int = 0):
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForSeq2SeqLM

    torch.manual_seed(seed)
    # dropout off: every variant then computes the same function, so their losses compare
    model = AutoModelForSeq2SeqLM.from_pretrained(base, dropout_rate=0.0,
                                                  **({"attn_implementation": attn} if attn else {}))
    model = get_peft_model(model, LoraConfig(r=8, lora_alpha=32, lora_dropout=0.0, target_modules=["q", "v"],
                                             task_type="SEQ_2_SEQ_LM"))
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-4, fused=True) if fused else torch.optim.AdamW(params, lr=1e-4)
    return model, opt


# torch operators by kind (self time, names matched whole): the matrix products MFU counts, and what it does not
KINDS = (
    ("matrix products (mm, addmm, bmm)", r"aten::(mm|addmm|bmm|baddbmm)"),
    ("attention kernels (sdpa, softmax)", r"aten::(_scaled_dot_product\w*|_?softmax|_softmax_backward_data|_flash\w*)"),
    ("optimizer (AdamW)", r"aten::(_foreach\w*|_fused_adam\w*)|Optimizer\.step.*"),
    ("copies and layout (copy, cat, transpose, contiguous)",
     r"aten::(copy_|cat|clone|contiguous|t|transpose|view|reshape|permute|expand|as_strided|_unsafe_view)"),
    ("embedding, loss", r"aten::(embedding\w*|nll_loss\w*|_?log_softmax\w*|_log_softmax_backward_data|cross_entropy\w*)"),
)
OTHER = "elementwise and norms (mul, add, pow, mean, rsqrt, relu, dropout, the rest)"


def profile_steps(step, count: int) -> tuple[dict[str, float], float, dict[str, float]]:
    """``count`` steps under torch.profiler: (self seconds per step of each kind, wall seconds per
    step, self seconds per step of each operator of the last kind). Self times add up across the
    main and the autograd thread, which take turns."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU]) as prof:
        start = time.perf_counter()
        for _ in range(count):
            step()
        wall = (time.perf_counter() - start) / count
    per_kind = {name: 0.0 for name, _ in KINDS} | {OTHER: 0.0}
    others: dict[str, float] = {}
    for event in prof.key_averages():
        if event.key.startswith(("ProfilerStep", "autograd::engine", "Optimizer.zero_grad")):
            continue
        kind = next((name for name, pattern in KINDS if re.fullmatch(pattern, event.key)), OTHER)
        per_kind[kind] += event.self_cpu_time_total / 1e6 / count
        if kind == OTHER:
            others[event.key] = others.get(event.key, 0.0) + event.self_cpu_time_total / 1e6 / count
    return per_kind, wall, others


def print_profile(profiled: tuple[dict[str, float], float, dict[str, float]], flops: float, peak: float) -> None:
    per_kind, wall, others = profiled
    total = sum(per_kind.values())
    print(f"where a plain step's time goes (torch.profiler, self time by kind; {wall:.3f} s a step profiled, "
          f"{total:.3f} s of operator time):")
    for name, seconds in sorted(per_kind.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<56} {seconds:7.3f} s  {100 * seconds / total:5.1f}%")
    top = sorted(others.items(), key=lambda kv: -kv[1])[:6]
    print("  the largest of the elementwise rest: " + ", ".join(f"{k} {100 * v / total:.1f}%" for k, v in top))
    products = per_kind[KINDS[0][0]] + per_kind[KINDS[1][0]]
    print(f"  the matrix products and attention kernels do the step's {flops / 1e9:.1f} GFLOP in {products:.3f} s: "
          f"{flops / products / 1e9:.1f} GFLOP/s, {100 * flops / products / 1e9 / peak:.1f}% of the GEMM peak; "
          f"everything else is {100 * (total - products) / total:.1f}% of the step")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=("small", "demo"), default="small")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--source", type=int, default=128)
    parser.add_argument("--target", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=3, help="steps of each variant per round")
    parser.add_argument("--threads", type=int, default=None,
                        help="also a variant with this many torch threads (default: none)")
    parser.add_argument("--profile", type=int, default=0, metavar="STEPS",
                        help="after the rounds, profile this many plain steps (torch.profiler) and print where "
                             "the time goes, by kind of operator")
    parser.add_argument("--compile", action="store_true",
                        help="also a variant whose model is wrapped in torch.compile (inductor; its first step "
                             "compiles, about a minute at the small shape, and is printed apart)")
    args = parser.parse_args()

    import torch

    from benchmarks._common import gemm_peak, make_flan_t5_small, spread
    from igrag_gui.core.training.precision import cpu_bf16
    from igrag_gui.resources import demo_model_path

    default_threads = torch.get_num_threads()
    print(f"cores: {os.cpu_count()}; torch {torch.__version__}, threads {default_threads}; "
          f"load average at start: {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        base = make_flan_t5_small(Path(tmp) / "flan-t5-small-shape") if args.size == "small" else demo_model_path()
        from transformers import AutoConfig

        config = AutoConfig.from_pretrained(base)
        probe, _ = make_variant(base, None, False)
        default_attn = probe.config._attn_implementation or "eager"
        other_attn = "eager" if default_attn != "eager" else (
            "sdpa" if getattr(type(probe.base_model.model), "_supports_sdpa", False) else None)
        variants: dict[str, dict] = {"plain": {"attn": None, "fused": False, "threads": default_threads},
                                     "fused AdamW": {"attn": None, "fused": True, "threads": default_threads}}
        if other_attn:
            variants[f"{other_attn} attention"] = {"attn": other_attn, "fused": False, "threads": default_threads}
            variants[f"fused AdamW + {other_attn}"] = {"attn": other_attn, "fused": True, "threads": default_threads}
        if args.threads and args.threads != default_threads:
            variants[f"{args.threads} threads"] = {"attn": None, "fused": False, "threads": args.threads}
        if args.compile:
            variants["torch.compile"] = {"attn": None, "fused": False, "threads": default_threads, "compile": True}
        bf16_feature = cpu_bf16()
        if bf16_feature:  # lower precision: timed beside the rest, never counted as the float32 best
            variants["bf16 autocast"] = {"attn": None, "fused": False, "threads": default_threads, "bf16": True}
        g = torch.Generator().manual_seed(1)
        vocab = config.vocab_size
        steps = args.rounds * args.steps + 1 + args.profile
        batches = [{"input_ids": torch.randint(2, vocab, (args.batch, args.source), generator=g),
                    "attention_mask": torch.ones(args.batch, args.source, dtype=torch.long),
                    "labels": torch.randint(2, vocab, (args.batch, args.target), generator=g)} for _ in range(steps)]
        flops, parts = step_flops(probe, batches[0], config)
        del probe
        peak_before = gemm_peak()
        built = {name: make_variant(base, v["attn"], v["fused"]) for name, v in variants.items()}
        for name, v in variants.items():
            if v.get("compile"):
                built[name] = (torch.compile(built[name][0]), built[name][1])  # the same module and optimizer
        first_step: dict[str, float] = {}
        times: dict[str, list[float]] = {name: [] for name in variants}
        losses: dict[str, float] = {}
        cursor = {name: 0 for name in variants}

        def one_step(name: str) -> float:
            model, opt = built[name]
            batch = batches[cursor[name]]
            cursor[name] += 1
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=variants[name].get("bf16", False)):
                loss = model(**batch).loss
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
            return float(loss.detach())

        for name in variants:  # warm-up: the first step allocates, or compiles (the same batch for all)
            torch.set_num_threads(variants[name]["threads"])
            start = time.perf_counter()
            one_step(name)
            first_step[name] = time.perf_counter() - start
        names = list(variants)
        for r in range(args.rounds):
            for name in (names if r % 2 == 0 else names[::-1]):
                torch.set_num_threads(variants[name]["threads"])
                per = []
                for _ in range(args.steps):
                    start = time.perf_counter()
                    losses[name] = one_step(name)
                    per.append(time.perf_counter() - start)
                times[name].append(statistics.median(per))
        torch.set_num_threads(default_threads)
        profiled = profile_steps(lambda: one_step("plain"), args.profile) if args.profile else None
        peak = max(peak_before, gemm_peak())
        bf16_peak = gemm_peak(dtype="bfloat16") if bf16_feature else None
    print(f"{args.size} T5 + LoRA r8 (q, v), batch {args.batch}, source/target {args.source}/{args.target} tokens, "
          f"float32, AdamW; {args.rounds} rounds x {args.steps} steps per variant, alternating; "
          f"the model's default attention: {default_attn}")
    print(f"FLOPs per step: {flops / 1e9:.1f} GFLOP ("
          + ", ".join(f"{k} {v / 1e9:.1f}" for k, v in parts.items()) + ")")
    print(f"fp32 GEMM peak (torch.mm 2048^2, {default_threads} threads): {peak:.1f} GFLOP/s "
          f"(before {peak_before:.1f})")
    plain = statistics.median(times["plain"])
    print(f"  {'variant':<20} {'step s (median, min-max)':<28} {'GFLOP/s':>8} {'MFU':>7} {'vs plain':>9} "
          f"{'loss rel. to plain':>19}")
    for name in variants:
        med = statistics.median(times[name])
        rel = abs(losses[name] - losses["plain"]) / abs(losses["plain"])
        print(f"  {name:<20} {med:6.3f} ({min(times[name]):.3f}-{max(times[name]):.3f}){'':<10} "
              f"{flops / med / 1e9:8.1f} {100 * flops / med / 1e9 / peak:6.1f}% {plain / med:9.3f} {rel:19.1e}")
    print(f"  rounds, plain: {spread(times['plain'], '{:.3f}')}")
    if profiled:
        print_profile(profiled, flops, peak)
    if args.compile:
        print(f"  torch.compile: its first step (compiling) took {first_step['torch.compile']:.1f} s, plain's "
              f"{first_step['plain']:.1f} s; the steps after reuse the compiled graph (these batches all have one "
              f"shape)")
    if bf16_feature:
        med = statistics.median(times["bf16 autocast"])
        print(f"  bf16 autocast (this CPU has {bf16_feature}): the Trainer's training.bf16 on a CPU; its MFU "
              f"against the bf16 GEMM peak (torch.mm 2048^2, {bf16_peak:.1f} GFLOP/s) is "
              f"{100 * flops / med / 1e9 / bf16_peak:.1f}%; lower precision, so its loss is not the float32 curve "
              f"(docs/performance.md) and it is not a candidate for the ratio below")
    else:
        print("  bf16 autocast: not timed (this CPU has no native bf16 arithmetic: emulated, it is slower than "
              "float32, and training.bf16 trains in float32 here)")
    best = min((n for n in variants if not variants[n].get("bf16")), key=lambda n: statistics.median(times[n]))
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    print(f"train step ratio: {plain / statistics.median(times[best]):.3f} (best: {best}; plain PyTorch + PEFT "
          f"/ best, {args.size}, batch {args.batch}); MFU plain {100 * flops / plain / 1e9 / peak:.1f}%")


if __name__ == "__main__":
    main()
