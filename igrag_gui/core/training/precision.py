"""Which precision a run trains in, and why.

On a CUDA GPU ``training.fp16`` / ``training.bf16`` are used as asked. On a CPU, fp16 stays
refused (as before: it trains in fp32 with a warning) and bf16 is used only where the CPU has native
bf16 arithmetic: AVX512_BF16 or AMX-BF16 on x86, BF16 on Arm. There the Trainer's bf16 (a
``torch.autocast("cpu", bfloat16)`` around the forward; the weights, optimizer state and saved
adapter stay float32) runs the matrix products at several times the float32 rate
(``docs/performance.md``: a 2.07x faster LoRA step at the FLAN-T5-small shape, its loss curve
near float32's but not the same, so the user turns it on). Without
those instructions oneDNN emulates bf16 and the step is slower than float32, so the run trains in
float32 with a warning saying so.
"""

from __future__ import annotations

import platform
import subprocess
import sys
from pathlib import Path

from ..config import RunConfig
from .events import Message

# /proc/cpuinfo flag -> the name users know it by
X86_FLAGS = (("amx_bf16", "AMX-BF16"), ("avx512_bf16", "AVX512_BF16"))
NO_NATIVE_BF16 = ("training.bf16 is true but this CPU has no native bf16 arithmetic (AVX512_BF16 or AMX on x86, "
                  "BF16 on Arm), so bf16 would be emulated and slower than fp32; training in fp32 instead")


def bf16_from_cpuinfo(text: str) -> str | None:
    """The native bf16 feature a Linux ``/proc/cpuinfo`` lists (x86 ``flags``, Arm ``Features``), or None."""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() not in ("flags", "Features"):
            continue
        words = set(value.split())
        for flag, name in X86_FLAGS:
            if flag in words:
                return name
        if "bf16" in words:
            return "Arm BF16"
    return None


def cpu_bf16() -> str | None:
    """The name of this CPU's native bf16 feature, or None where it has none (or it cannot be told)."""
    if sys.platform.startswith("linux"):
        try:
            return bf16_from_cpuinfo(Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace"))
        except OSError:
            return None
    if sys.platform == "darwin" and platform.machine() == "arm64":
        try:
            out = subprocess.run(["sysctl", "-n", "hw.optional.arm.FEAT_BF16"], capture_output=True, text=True,
                                 timeout=5).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return None
        return "Arm BF16" if out == "1" else None
    return None


def choose(cfg: RunConfig, sink, cuda: bool) -> tuple[bool, bool, str]:
    """(fp16, bf16, the name shown with the run) for the Trainer; a warning to ``sink`` where the
    config asks for what this machine cannot do well. The CPU is asked only when the answer matters."""
    fp16, bf16 = cfg.training.fp16, cfg.training.bf16
    if cuda or not (fp16 or bf16):
        return fp16, bf16, "fp16" if fp16 else "bf16" if bf16 else "fp32"
    if fp16:
        sink(Message("warning", "training.fp16 is true but there is no CUDA GPU here; training in fp32 on the CPU "
                                "instead"))
        return False, False, "fp32"
    cpu_feature = cpu_bf16()
    if cpu_feature is None:
        sink(Message("warning", NO_NATIVE_BF16))
        return False, False, "fp32"
    sink(Message("note", f"training in bf16 mixed precision on the CPU ({cpu_feature}); the weights and the saved "
                         f"adapter stay fp32"))
    return False, True, "bf16"
