"""Routing a path the user gave: adapter (Inspect) or YAML config (Train)."""

from __future__ import annotations

import subprocess
import sys

from igrag_gui.core.adapters.files import looks_like_adapter


def test_adapter_paths_and_config_paths(tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    assert not looks_like_adapter(folder)  # an empty folder is nothing yet
    (folder / "adapter_model.safetensors").write_bytes(b"")
    assert looks_like_adapter(folder)
    only_config = tmp_path / "cfg_only"
    only_config.mkdir()
    (only_config / "adapter_config.json").write_text("{}")
    assert looks_like_adapter(only_config)
    for name in ("adapter_config.json", "w.safetensors", "adapter_model.bin", "x.pt", "x.pth"):
        assert looks_like_adapter(tmp_path / name), name
    for name in ("run.yaml", "demo.yml", "config.json", "notes.txt"):
        assert not looks_like_adapter(tmp_path / name), name


def test_routing_a_path_or_reading_a_header_loads_neither_the_inspector_nor_torch():
    code = ("import sys; from igrag_gui.core.adapters.files import looks_like_adapter; "
            "from igrag_gui.core.files.safetensors_header import read_header; "
            "print(sorted(m for m in sys.modules if m.startswith('igrag_gui.core.adapters.') "
            "or m in ('torch', 'transformers', 'peft')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['igrag_gui.core.adapters.files']"


def test_the_inspectors_names_load_on_first_use_whatever_was_imported_before():
    code = ("import igrag_gui.core.adapters.comparison, igrag_gui.core.adapters.update_stats\n"
            "from igrag_gui.core.adapters import compare, weight_stats, inspect_path\n"
            "print(callable(compare), callable(weight_stats), callable(inspect_path))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True True True"
