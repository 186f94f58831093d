"""``igrag inspect`` as a user runs it: text, JSON, stats, compare, and one-line errors (exit 2)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.cli.test_cli import ROOT, assert_user_error, igrag
from tests.core.adapter_factory import factory, tensor_numels


@pytest.fixture(scope="session")
def adapter(tmp_path_factory):
    return factory(tmp_path_factory)


def test_text_report(adapter):
    folder = adapter("dora")
    result = igrag("inspect", str(folder))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"DoRA  [peft_type LORA]  {folder}"
    assert lines[1] == '  why   peft_type "LORA" in adapter_config.json'
    assert "        lora_magnitude_vector present in 12 modules → DoRA" in lines
    assert "  scaling             2" in lines
    assert "  warnings none" in lines
    assert "lora_A.weight" not in result.stdout  # the tensor table is behind --tensors
    assert result.stderr == ""


def test_tensor_table(adapter):
    result = igrag("inspect", str(adapter("lora") / "adapter_model.safetensors"), "--tensors")
    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines()]
    assert ["base_model.model.encoder.block.1.layer.0.SelfAttention.v.lora_B.weight", "(8,", "4)", "F32", "32",
            "128", "B"] in rows


def test_json_single_and_several(adapter):
    folder = adapter("lora")
    result = igrag("inspect", str(folder), "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    for key in ("peft_type", "method", "task_type", "base_model", "r", "lora_alpha", "target_modules",
                "num_tensors", "num_params", "tensors", "warnings", "evidence", "details"):
        assert key in doc
    numels = tensor_numels(folder / "adapter_model.safetensors")
    assert (doc["peft_type"], doc["method"], doc["r"], doc["lora_alpha"]) == ("LORA", "LoRA", 4, 8)
    assert doc["num_tensors"] == len(numels) and doc["num_params"] == sum(numels.values())
    assert {"name", "shape", "dtype"} <= set(doc["tensors"][0])
    several = json.loads(igrag("inspect", str(folder), str(adapter("ia3") / "adapter_config.json"),
                               "--json").stdout)
    assert [d["method"] for d in several] == ["LoRA", "IA³"]


def test_stats(adapter):
    result = igrag("inspect", str(adapter("lora")), "--stats", "--json")
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)["stats"]
    assert stats["quantity"] == "update" and len(stats["modules"]) == 12
    assert stats["heatmap"]["layers"] == [0, 1] and len(stats["heatmap"]["module_types"]) == 6
    text = igrag("inspect", str(adapter("lora_untrained")), "--stats").stdout
    assert "  ! 12 of 12 modules have an all-zero lora_B: untrained (PEFT initialises B to zero)" in text


def test_compare(adapter):
    a, b = str(adapter("lora")), str(adapter("lora_r8"))
    result = igrag("inspect", a, b, "--compare")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:2] == [f"A  {a}", f"B  {b}"]
    assert "config differences (2)" in result.stdout
    assert "update norms, largest differences first (12 modules in both)" in result.stdout
    doc = json.loads(igrag("inspect", a, b, "--compare", "--json").stdout)
    assert {"key": "r", "a": 4, "b": 8} in doc["comparison"]["config_diff"]
    assert len(doc["comparison"]["norm_diff"]) == 12 and doc["a"]["method"] == "LoRA"


def test_compare_needs_two_paths(adapter):
    lines = assert_user_error(igrag("inspect", str(adapter("lora")), "--compare"))
    assert lines == ["igrag: error: --compare needs exactly two adapters, got 1; e.g. igrag inspect runs/a "
                     "runs/b --compare"]


def test_errors_are_one_line_each_and_exit_2(tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "adapter_model.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all}")
    empty = tmp_path / "empty"
    empty.mkdir()
    lines = assert_user_error(igrag("inspect", str(tmp_path / "missing"), str(bad), str(empty)))
    assert lines == [
        f"igrag: error: '{tmp_path / 'missing'}' does not exist; give a folder with adapter_config.json and "
        f"adapter_model.safetensors (as PEFT's save_pretrained writes), or one of those two files",
        f"igrag: error: {bad / 'adapter_model.safetensors'}: corrupt safetensors file: the header is not valid "
        f"JSON; copy the file again, or save the adapter again with save_pretrained",
        f"igrag: error: '{empty}' holds no adapter: expected adapter_config.json and adapter_model.safetensors in "
        f"it (as PEFT's save_pretrained writes); check the path"]


def test_broken_config_exit_2(tmp_path):
    (tmp_path / "adapter_config.json").write_text('{"peft_type": "LORA", "r": -4}')
    lines = assert_user_error(igrag("inspect", str(tmp_path)))
    assert lines == [f"igrag: error: {tmp_path / 'adapter_config.json'}: field 'r' should be a whole number (0 or "
                     f"more), not -4; fix the field, or save the adapter again with save_pretrained"]


def test_cli_header_report_does_not_import_torch(adapter):
    code = ("import sys\n"
            "from igrag_gui.cli.main import main\n"
            f"rc = main(['inspect', {str(adapter('lora'))!r}, '--json', '--tensors'])\n"
            "assert rc == 0 and 'torch' not in sys.modules, rc\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_help():
    result = igrag("inspect", "--help")
    assert result.returncode == 0
    assert "igrag inspect runs/a runs/b --compare" in result.stdout
