"""``allocator.keep_freed_memory``: glibc keeps a training step's freed memory for the next step.

Each case runs in a fresh interpreter: malloc settings are process-wide and cannot be undone.
The effect is read from glibc's own ``mallinfo2``: a 20 MiB block is mmapped under the defaults
(and unmapped when freed); with the settings it comes from the heap and stays there once freed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc only")

PROBE = r"""
import ctypes, json, sys
from igrag_gui.core.training.allocator import keep_freed_memory

class MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
                 "fordblks", "keepcost")]

libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = MallInfo2
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
applied = keep_freed_memory()
size = 20 * 1024 * 1024
block = libc.malloc(size)
mapped = libc.mallinfo2().hblkhd >= size          # served by its own mmap
libc.free(block)
kept = libc.mallinfo2().keepcost >= size          # free at the top of the heap, not given back
print(json.dumps({"applied": applied, "again": keep_freed_memory(), "mapped": mapped, "kept": kept}))
"""


def probe(**env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_") and k != "GLIBC_TUNABLES"}
    out = subprocess.run([sys.executable, "-c", PROBE], env={**clean, **env}, capture_output=True, text=True,
                         check=True, timeout=60)
    return json.loads(out.stdout)


def test_the_thresholds_keep_a_freed_block_on_the_heap():
    assert probe() == {"applied": True, "again": True, "mapped": False, "kept": True}


@pytest.mark.parametrize("env", [{"MALLOC_TRIM_THRESHOLD_": "131072"}, {"MALLOC_MMAP_THRESHOLD_": "131072"},
                                 {"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=131072"},
                                 {"IGRAG_KEEP_FREED_MEMORY": "0"}])
def test_the_users_own_malloc_settings_and_the_opt_out_leave_glibc_as_it_is(env):
    result = probe(**env)
    assert result["applied"] is False and result["again"] is False
    if "IGRAG_KEEP_FREED_MEMORY" in env:  # glibc's defaults: the big block is mapped, then unmapped
        assert result["mapped"] is True and result["kept"] is False


def test_training_sets_them_before_the_model_loads(monkeypatch, tmp_path):
    from igrag_gui.core.training import allocator, train as training
    from igrag_gui.core.config import load_config
    from igrag_gui.resources import demo_config_path

    calls = []
    monkeypatch.setattr(allocator, "keep_freed_memory", lambda: calls.append("malloc") or True)
    real_load = training.load_model
    monkeypatch.setattr(training, "load_model", lambda *a, **k: calls.append("model") or real_load(*a, **k))
    cfg, _ = load_config(demo_config_path(), [f"training.output_dir={tmp_path}", "training.eval_strategy=no",
                                              "training.save_strategy=no"])
    training.prepare(cfg, lambda e: None, max_steps=1)
    assert calls == ["malloc", "model"]


@pytest.mark.parametrize("entry", [
    "from igrag_gui.cli.main import main; main(['validate', {demo!r}])",
    "from igrag_gui.app import main; main([])",  # no display here: it returns at once, after entry
])
def test_every_entry_point_sets_them_first(entry):
    import subprocess
    import sys

    from igrag_gui.resources import demo_config_path

    code = entry.format(demo=str(demo_config_path())) + "\nfrom igrag_gui.core.training import allocator; print(allocator._applied)"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
           and k not in allocator_user_settings()}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env,
                            cwd=Path(__file__).resolve().parents[2])
    assert result.stdout.strip().splitlines()[-1] == "True", result.stdout + result.stderr


def allocator_user_settings() -> tuple[str, ...]:
    from igrag_gui.core.training.allocator import USER_SETTINGS

    return USER_SETTINGS + ("IGRAG_KEEP_FREED_MEMORY",)
