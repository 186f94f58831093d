"""Smoke test of a built bundle: everything a user does, run through the frozen executable.

    python packaging/smoke_test.py dist/igrag-gui

Checks, each against the frozen ``igrag-gui`` (no Python from the checkout is used):
``--version``; the CLI the window runs its training child with (``--cli``): params, a 3-step
training of the demo (exactly the child process the Train tab starts), inspect of the adapter it
saved, generate with base and adapter; ``--self-test`` (the same through the window: Start in the
Train tab, Inspect, Playground); and ``--screenshot`` rendering every tab (needs a display
or QT_QPA_PLATFORM=offscreen). Prints one line per check with its time; exits 1 on the first
failure with the command's output.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    bundle = Path(sys.argv[1] if len(sys.argv) > 1 else "dist/igrag-gui").resolve()
    exe = bundle / ("igrag-gui.exe" if sys.platform == "win32" else "igrag-gui")
    internal = bundle / "_internal"
    if not exe.is_file():
        print(f"smoke: no executable at {exe}; build the bundle first (bash scripts/build_bundle.sh)")
        return 1
    work = Path(tempfile.mkdtemp(prefix="igrag-smoke-"))
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
           "HF_HUB_OFFLINE": "1", "XDG_CONFIG_HOME": str(work / "config"), "IGRAG_LOG_DIR": str(work / "logs"),
           "IGRAG_SCREENSHOT_DELAY_MS": "5000"}
    env.pop("PYTHONPATH", None)
    demo = internal / "configs" / "demo.yaml"
    run_dir = work / "run"

    def check(name: str, args: list[str], expect: str, timeout: int = 600) -> str:
        start = time.monotonic()
        result = subprocess.run([str(exe), *args], cwd=work, env=env, capture_output=True, text=True,
                                timeout=timeout)
        seconds = time.monotonic() - start
        output = result.stdout + result.stderr
        if result.returncode != 0 or expect not in output:
            print(f"smoke: FAILED {name} (exit {result.returncode}, {seconds:.1f} s): expected {expect!r} in:\n"
                  f"{output[-4000:]}")
            raise SystemExit(1)
        print(f"smoke: ok {name} ({seconds:.1f} s)")
        return output

    check("version", ["--version"], "igrag-gui ")
    check("cli params", ["--cli", "params", str(demo)], "237,568")
    check("cli train (the Train tab's child process)",
          ["--cli", "train", str(demo), "--max-steps", "3", "--events", "-",
           "--set", f"training.output_dir={run_dir}", "--set", "training.eval_strategy=no",
           "--set", "training.logging_steps=1"], '"event": "finished"')
    if not (run_dir / "adapter_model.safetensors").is_file():
        print(f"smoke: FAILED cli train: no adapter in {run_dir}")
        return 1
    check("cli inspect", ["--cli", "inspect", str(run_dir)], "LoRA")
    check("cli generate", ["--cli", "generate", "--base", str(internal / "resources" / "demo" / "model"),
                           "--adapter", str(run_dir), "--max-new-tokens", "8", "--side-by-side",
                           "Write one caption for the image."], "tokens/s")
    check("self-test through the window (Train tab training via the frozen child, Inspect, Playground)",
          ["--self-test", str(work / "self-test")], "self-test: all checks passed", timeout=900)
    check("screenshot", ["--screenshot", str(work / "shots")], "train.png", timeout=300)
    shots = sorted(p.name for p in (work / "shots").glob("*.png"))
    if shots != ["inspect.png", "playground.png", "train.png"]:
        print(f"smoke: FAILED screenshot: {shots}")
        return 1
    print(f"smoke: all checks passed ({bundle})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
