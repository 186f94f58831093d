"""Adapter inspection at scale: the header-only report versus loading the weights, for LoRA
adapters of about 10 MB, 100 MB and 1 GB. Plain script; prints a table and the ratios.

    .venv/bin/python benchmarks/inspect_speed.py [--repeats 7] [--sizes 10,100,1000] [--keep DIR]

Each adapter has the same layout (32 layers × q,k,v,o = 128 LoRA modules, 256 F32 tensors, so the
header is about the same size); the hidden size and rank grow with the file:
10 MB: d=1280, r=8; 100 MB: d=3072, r=32; 1 GB: d=4096, r=256. The files are written to a
temporary folder (random bytes, streamed tensor by tensor) and deleted afterwards.

Columns (medians over the repeats, one process, warm page cache for both sides):
- report: ``igrag_gui.core.adapters.inspect_path`` (config + safetensors header + verdict, figures,
  consistency checks), what ``igrag inspect`` and the Inspector tab do;
- header: ``read_header`` alone (8-byte length + JSON, checked);
- load: ``safetensors.numpy.load_file``, reading every tensor into memory.
The goal: report flat in file size, under 50 ms at 1 GB.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import struct
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from igrag_gui.core.adapters import inspect_path  # noqa: E402
from igrag_gui.core.files.safetensors_header import read_header  # noqa: E402

LAYOUTS = {10: (1280, 8), 100: (3072, 32), 1000: (4096, 256)}  # MB -> (hidden, rank)
LAYERS, TARGETS = 32, ("q_proj", "k_proj", "v_proj", "o_proj")


def write_adapter(folder: Path, hidden: int, rank: int) -> int:
    """A LoRA adapter as PEFT lays it out, written tensor by tensor; returns the file size."""
    import numpy as np

    folder.mkdir(parents=True)
    shapes = {}
    for layer in range(LAYERS):
        for target in TARGETS:
            prefix = f"base_model.model.model.layers.{layer}.self_attn.{target}"
            shapes[f"{prefix}.lora_A.weight"] = (rank, hidden)
            shapes[f"{prefix}.lora_B.weight"] = (hidden, rank)
    header, offset = {}, 0
    for name, shape in shapes.items():
        size = shape[0] * shape[1] * 4
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + size]}
        offset += size
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)  # safetensors pads the header to 8 bytes
    rng = np.random.default_rng(0)
    path = folder / "adapter_model.safetensors"
    with path.open("wb") as fh:
        fh.write(struct.pack("<Q", len(raw)) + raw)
        for shape in shapes.values():
            fh.write(rng.bytes(shape[0] * shape[1] * 4))
    (folder / "adapter_config.json").write_text(json.dumps({
        "peft_type": "LORA", "task_type": "CAUSAL_LM", "r": rank, "lora_alpha": 2 * rank, "lora_dropout": 0.05,
        "target_modules": list(TARGETS), "base_model_name_or_path": "meta-llama/Llama-2-7b-hf",
        "peft_version": "0.21.2", "use_dora": False, "use_rslora": False, "rank_pattern": {}, "alpha_pattern": {}}))
    return path.stat().st_size


def median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--sizes", default="10,100,1000", help="MB, from 10, 100, 1000")
    parser.add_argument("--keep", type=Path, help="write the adapters here and keep them")
    args = parser.parse_args()
    from safetensors.numpy import load_file

    work = args.keep or Path(tempfile.mkdtemp(prefix="igrag-inspect-bench-"))
    rows = []
    try:
        for mb in (int(s) for s in args.sizes.split(",")):
            hidden, rank = LAYOUTS[mb]
            folder = work / f"lora-{mb}mb"
            size = write_adapter(folder, hidden, rank) if not folder.exists() else \
                (folder / "adapter_model.safetensors").stat().st_size
            weights = folder / "adapter_model.safetensors"
            report = inspect_path(folder)  # warm: imports, page cache of the header
            assert report.totals["file_bytes"] == size and report.warnings == [], report.warnings
            load_file(str(weights))  # warm the page cache for the loading side too
            t_report = median_ms(lambda: inspect_path(folder), args.repeats)
            t_header = median_ms(lambda: read_header(weights), args.repeats)
            t_load = median_ms(lambda: load_file(str(weights)), max(3, args.repeats // 2))
            rows.append((size, report.totals["header_bytes"], report.totals["num_tensors"],
                         len(report.adapted_modules), t_report, t_header, t_load))
            print(f"  {size / 1e6:,.0f} MB done", file=sys.stderr)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    print(f"{'file':>10} {'header':>9} {'tensors':>8} {'modules':>8} {'report':>10} {'header':>10} "
          f"{'load':>10} {'load/report':>12}")
    for size, hbytes, ntensors, nmodules, t_report, t_header, t_load in rows:
        print(f"{size / 1e6:>7,.0f} MB {hbytes / 1e3:>6.1f} kB {ntensors:>8} {nmodules:>8} {t_report:>7.2f} ms "
              f"{t_header:>7.2f} ms {t_load:>7.1f} ms {t_load / t_report:>11.0f}x")
    if len(rows) > 1:
        print(f"report at {rows[-1][0] / 1e6:,.0f} MB / report at {rows[0][0] / 1e6:,.0f} MB: "
              f"{rows[-1][4] / rows[0][4]:.2f}x for a {rows[-1][0] / rows[0][0]:.0f}x larger file")


if __name__ == "__main__":
    main()
