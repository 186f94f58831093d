"""What the benchmarks share: every round printed with its median and spread, a child process's
own peak memory, and a FLAN-T5-small-shaped model with random weights (nothing downloaded)."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import time
from pathlib import Path
from typing import Sequence

ROOT = Path(__file__).resolve().parents[1]

# google/flan-t5-small's config.json, shape for shape (vocabulary included: its output layer is
# a large share of each step); the demo tokenizer's 766 ids are a subset of its 32,128.
FLAN_T5_SMALL = dict(d_model=512, d_ff=1024, d_kv=64, num_heads=6, num_layers=8, num_decoder_layers=8,
                     vocab_size=32128, feed_forward_proj="gated-gelu", tie_word_embeddings=False,
                     relative_attention_num_buckets=32, relative_attention_max_distance=128,
                     dropout_rate=0.1, layer_norm_epsilon=1e-6, decoder_start_token_id=0, pad_token_id=0,
                     eos_token_id=1, is_encoder_decoder=True)


def spread(values: Sequence[float], fmt: str = "{:.1f}") -> str:
    """All rounds, then median and min-max."""
    rounds = ", ".join(fmt.format(v) for v in values)
    return (f"{rounds}  (median {fmt.format(statistics.median(values))}, "
            f"min-max {fmt.format(min(values))}-{fmt.format(max(values))})")


def ratio_line(ours: Sequence[float], theirs: Sequence[float], goal: str) -> str:
    """Median of the per-round ratios (each round ran both sides back to back) and their spread."""
    ratios = [o / t for o, t in zip(ours, theirs)]
    return (f"ratio per round: {spread(ratios, '{:.3f}')}; of medians "
            f"{statistics.median(ours) / statistics.median(theirs):.3f}  (goal {goal})")


def run_child(cmd: list[str], env: dict[str, str] | None = None) -> tuple[str, float]:
    """Run ``cmd``; return its stdout and its own peak resident memory in MB (``wait4``'s
    rusage is this child's alone, not the maximum over every child so far)."""
    import tempfile

    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd[:4])} ... failed:\n{stderr[-3000:]}")
    return stdout, usage.ru_maxrss / 1024


def make_flan_t5_small(folder: Path) -> Path:
    """A FLAN-T5-small-shaped model (random weights, seed 0) with the demo tokenizer."""
    import torch
    from transformers import T5Config, T5ForConditionalGeneration

    from igrag_gui.resources import demo_model_path

    if (folder / "model.safetensors").is_file():
        return folder
    torch.manual_seed(0)
    model = T5ForConditionalGeneration(T5Config(**FLAN_T5_SMALL))
    model.save_pretrained(folder)
    demo = demo_model_path()
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(demo / name, folder / name)
    return folder


def gemm_peak(n: int = 2048, calls: int = 8, repeats: int = 5, dtype: str = "float32") -> float:
    """The best matmul rate in GFLOP/s (float32 unless ``dtype`` names another torch dtype)."""
    import torch

    a, b = torch.randn(n, n, dtype=getattr(torch, dtype)), torch.randn(n, n, dtype=getattr(torch, dtype))
    torch.mm(a, b)
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            torch.mm(a, b)
        best = max(best, 2 * n ** 3 * calls / (time.perf_counter() - start) / 1e9)
    return best
