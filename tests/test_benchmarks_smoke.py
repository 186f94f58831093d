"""The benchmarks still run (one short round each): a benchmark broken by a change elsewhere went
unnoticed once (async_stream.py). No time is asserted; only that each prints its ratio line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

RUNS = {
    "train_overhead": (["benchmarks/train_overhead.py", "--size", "demo", "--rounds", "1", "--steps", "2", "--no-padding"],
                       "speed ratio per round"),
    "startup": (["benchmarks/startup.py", "--rounds", "1"], "ratio"),
    "async_stream": (["benchmarks/async_stream.py", "--rounds", "1", "--tokens", "4"], "ratio async/thread"),
    "generate_speed": (["benchmarks/generate_speed.py", "--size", "demo", "--rounds", "1", "--tokens", "4",
                        "--switches", "2"], "ratio per round"),
    "caption_speed": (["benchmarks/caption_speed.py", "--size", "demo", "--rounds", "1", "--images", "4",
                       "--tokens", "4"], "caption speed ratio: "),
    "caption_memory": (["benchmarks/caption_memory.py", "--size", "demo", "--batch", "2", "--max-source", "64",
                        "--tokens", "4"], "caption memory ratio: "),
    "train_mfu": (["benchmarks/train_mfu.py", "--size", "demo", "--rounds", "1", "--steps", "1", "--source", "16",
                   "--target", "4"], "train step ratio: "),
}
NEEDS = {"caption_speed": "ctranslate2", "caption_memory": "ctranslate2"}


@pytest.mark.parametrize("name", list(RUNS))
def test_the_benchmark_runs(name):
    args, expected = RUNS[name]
    if name in NEEDS:
        pytest.importorskip(NEEDS[name])
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert expected in out.stdout, out.stdout[-3000:]
