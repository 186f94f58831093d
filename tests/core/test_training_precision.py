"""Which precision a run trains in (``core/training/precision.py``): the CPU's bf16 detection from
/proc/cpuinfo texts, and the choice with its exact message for each kind of machine."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from igrag_gui.core.config import load_config
from igrag_gui.core.training.events import Collect, Message
from igrag_gui.core.training.precision import NO_NATIVE_BF16, bf16_from_cpuinfo, choose, cpu_bf16
from igrag_gui.resources import demo_config_path

ZEN4 = "processor\t: 0\nflags\t\t: fpu sse2 avx2 fma avx512f avx512bw avx512_bf16 avx512_vnni\nbogomips\t: 4800\n"
SAPPHIRE = "flags\t\t: avx2 avx512f avx512_bf16 amx_bf16 amx_tile amx_int8\n"
EPYC_AVX2 = "flags\t\t: fpu sse2 avx avx2 fma f16c\n"
SKYLAKE = "flags\t\t: avx2 avx512f avx512bw avx512_vnni\n"  # AVX-512 without bf16: emulated
GRAVITON3 = "processor\t: 0\nFeatures\t: fp asimd sve bf16 i8mm\nCPU implementer\t: 0x41\n"
GRAVITON2 = "Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp\n"


@pytest.mark.parametrize("text, expected", [
    (ZEN4, "AVX512_BF16"), (SAPPHIRE, "AMX-BF16"), (EPYC_AVX2, None), (SKYLAKE, None),
    (GRAVITON3, "Arm BF16"), (GRAVITON2, None), ("", None),
    ("model name\t: Fake avx512_bf16 Processor\nflags\t\t: avx2\n", None),  # only the flags line counts
])
def test_native_bf16_is_read_from_the_flags(text, expected):
    assert bf16_from_cpuinfo(text) == expected


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/cpuinfo is Linux's")
def test_this_machine_is_read_from_its_own_cpuinfo():
    assert cpu_bf16() == bf16_from_cpuinfo(Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace"))


def config(**training):
    cfg, _ = load_config(demo_config_path(), [f"training.{k}={str(v).lower()}" for k, v in training.items()])
    return cfg


@pytest.mark.parametrize("training, cuda, feature, expected, message", [
    ({}, False, None, (False, False, "fp32"), None),
    ({}, True, None, (False, False, "fp32"), None),
    ({"bf16": True}, True, None, (False, True, "bf16"), None),  # the GPU decides
    ({"fp16": True}, True, None, (True, False, "fp16"), None),
    ({"fp16": True}, False, "AVX512_BF16", (False, False, "fp32"),
     ("warning", "training.fp16 is true but there is no CUDA GPU here; training in fp32 on the CPU instead")),
    ({"bf16": True}, False, "", (False, False, "fp32"), ("warning", NO_NATIVE_BF16)),
    ({"bf16": True}, False, "AMX-BF16", (False, True, "bf16"),
     ("note", "training in bf16 mixed precision on the CPU (AMX-BF16); the weights and the saved adapter stay fp32")),
])
def test_the_precision_chosen_and_what_the_user_is_told(training, cuda, feature, expected, message, monkeypatch):
    from igrag_gui.core.training import precision

    monkeypatch.setattr(precision, "cpu_bf16", lambda: feature or None)  # each kind of CPU, on whichever this is
    sink = Collect()
    assert choose(config(**training), sink, cuda=cuda) == expected
    assert [(m.level, m.text) for m in sink.of(Message)] == ([message] if message else [])


def test_the_no_native_bf16_warning_says_what_happens():
    assert NO_NATIVE_BF16 == ("training.bf16 is true but this CPU has no native bf16 arithmetic (AVX512_BF16 or "
                              "AMX on x86, BF16 on Arm), so bf16 would be emulated and slower than fp32; training "
                              "in fp32 instead")
