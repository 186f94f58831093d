"""Weight statistics against torch's own ‖scaling·B@A‖ and singular values; progress, cancel, compare."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest
import torch
from safetensors.torch import load_file, save_file

from igrag_gui.core.adapters import compare, inspect_path, weight_stats
from igrag_gui.core.adapters.update_stats import effective_rank
from igrag_gui.core.task_state import TaskState
from tests.conftest import ROOT
from tests.core.adapter_factory import copy_adapter, factory


@pytest.fixture(scope="session")
def adapter(tmp_path_factory):
    return factory(tmp_path_factory)


def torch_updates(folder, scale_of) -> dict[str, torch.Tensor]:
    """module name -> scaling·B@A, computed by torch from the saved tensors."""
    sd = load_file(str(folder / "adapter_model.safetensors"))
    out = {}
    for name, a in sd.items():
        if not name.endswith(".lora_A.weight"):
            continue
        module = name.split(".lora_A.")[0].removeprefix("base_model.model.")
        b = sd[name.replace(".lora_A.", ".lora_B.")]
        out[module] = scale_of(module) * (b.double() @ a.double())
    return out


@pytest.mark.parametrize("name, scale, tol", [
    ("lora", lambda m: 8 / 4, 1e-9),
    ("rslora", lambda m: 8 / math.sqrt(4), 1e-9),
    ("lora_patterns", lambda m: 8 / 2 if m.endswith(".q") else 32 / 4, 1e-9),
    ("lora_bias", lambda m: 8 / 4, 1e-9),
    ("lora_bf16", lambda m: 8 / 4, 1e-6),
    ("lora_f16", lambda m: 8 / 4, 1e-6),
    ("lora_gpt2", lambda m: 16 / 4, 1e-9),
])
def test_lora_stats_match_torch(adapter, name, scale, tol):
    folder = adapter(name)
    stats = weight_stats(inspect_path(folder))
    want = torch_updates(folder, scale)
    assert {m.name for m in stats.modules} == set(want)
    for m in stats.modules:
        delta = want[m.name]
        sv = torch.linalg.svdvals(delta)[: m.rank]
        assert m.norm == pytest.approx(float(torch.linalg.matrix_norm(delta)), rel=tol)
        assert m.singular_values == pytest.approx(sv.tolist(), rel=tol, abs=1e-12)
        assert m.zero_b is False and m.nonfinite is False
        assert 1 <= m.effective_rank <= m.rank
        assert m.rank_above_threshold == int((sv > 1e-3 * sv[0]).sum())
    assert stats.quantity == "update" and stats.skipped == [] and not stats.cancelled


def test_dora_stats_are_of_the_low_rank_part(adapter):
    folder = adapter("dora")
    stats = weight_stats(inspect_path(folder))
    want = torch_updates(folder, lambda m: 2.0)
    assert all(m.norm == pytest.approx(float(torch.linalg.matrix_norm(want[m.name])), rel=1e-9)
               for m in stats.modules)
    assert stats.notes == ["DoRA: the norms are of the low-rank part scaling·B·A; the magnitude vector rescales "
                           "the whole weight, which needs the base model"]


def test_untrained_adapter_has_zero_b(adapter):
    stats = weight_stats(inspect_path(adapter("lora_untrained")))
    assert len(stats.modules) == 12
    assert all(m.zero_b and m.norm == 0 and m.effective_rank == 0 and m.rank_above_threshold == 0
               for m in stats.modules)
    assert "12 of 12 modules have an all-zero lora_B: untrained" in stats.to_text()


def test_adalora_stats_include_singular_values_e(adapter, tmp_path):
    folder = copy_adapter(adapter("adalora"), tmp_path / "ada")
    sd = load_file(str(folder / "adapter_model.safetensors"))
    gen = torch.Generator().manual_seed(3)
    for k in sd:
        if k.endswith("lora_E"):
            sd[k] = torch.randn(sd[k].shape, generator=gen)
    save_file(sd, str(folder / "adapter_model.safetensors"))
    stats = weight_stats(inspect_path(folder))
    for m in stats.modules:
        p = f"base_model.model.{m.name}."
        delta = (8 / 6) * (sd[p + "lora_B"].double() @ (sd[p + "lora_A"].double() * sd[p + "lora_E"].double()))
        assert m.norm == pytest.approx(float(torch.linalg.matrix_norm(delta)), rel=1e-9)
        assert m.singular_values == pytest.approx(torch.linalg.svdvals(delta)[:6].tolist(), rel=1e-9, abs=1e-12)


def test_non_lora_methods_measure_their_parameters(adapter):
    folder = adapter("ia3")
    stats = weight_stats(inspect_path(folder))
    sd = load_file(str(folder / "adapter_model.safetensors"))
    assert stats.quantity == "parameters" and len(stats.modules) == 16
    for m in stats.modules:
        t = sd[f"base_model.model.{m.name}.ia3_l"]
        assert m.norm == pytest.approx(float(t.double().norm()), rel=1e-9)
        assert m.singular_values == [] and m.zero_b is None


def test_prompt_methods_have_no_module_stats(adapter):
    stats = weight_stats(inspect_path(adapter("prompt_tuning")))
    assert stats.modules == [] and stats.notes == ["prompt tuning has no per-module weights to measure"]


def test_nonfinite_values_are_flagged(adapter, tmp_path):
    folder = copy_adapter(adapter("lora"), tmp_path / "nan")
    sd = load_file(str(folder / "adapter_model.safetensors"))
    key = next(k for k in sd if k.endswith("lora_B.weight"))
    sd[key][0, 0] = float("nan")
    save_file(sd, str(folder / "adapter_model.safetensors"))
    stats = weight_stats(inspect_path(folder))
    bad = [m for m in stats.modules if m.nonfinite]
    assert [m.name for m in bad] == [key.removeprefix("base_model.model.").removesuffix(".lora_B.weight")]
    assert math.isnan(bad[0].norm) and bad[0].to_json()["norm"] is None
    json.dumps(stats.to_json(), allow_nan=False)


def test_heatmap(adapter):
    stats = weight_stats(inspect_path(adapter("lora")))
    layers, types, matrix = stats.heatmap()
    assert layers == [0, 1]
    assert sorted(types) == sorted(["decoder.SelfAttention.q", "decoder.SelfAttention.v", "decoder.EncDecAttention.q",
                                    "decoder.EncDecAttention.v", "encoder.SelfAttention.q", "encoder.SelfAttention.v"])
    by_cell = {(m.layer, m.module_type): m.norm for m in stats.modules}
    for i, layer in enumerate(layers):
        for j, kind in enumerate(types):
            assert matrix[i][j] == pytest.approx(by_cell[(layer, kind)])


def test_progress_and_cancel(adapter):
    report = inspect_path(adapter("lora"))
    calls, statuses = [], []
    stats = weight_stats(report, TaskState(on_progress=calls.append, on_status=statuses.append))
    assert calls == [i / 12 for i in range(13)] and len(stats.modules) == 12
    assert statuses[0] == "0 / 12 modules" and statuses[-1] == "12 / 12 modules"
    calls.clear()
    state = TaskState(on_progress=lambda f: (calls.append(f), len(calls) > 3 and state.cancel()))
    stats = weight_stats(report, state)
    assert stats.cancelled and len(stats.modules) == 3 and calls == [i / 12 for i in range(4)]


def test_effective_rank():
    assert effective_rank([1.0, 1.0, 1.0, 1.0]) == pytest.approx(4)
    assert effective_rank([5.0, 0.0, 0.0]) == pytest.approx(1)
    assert effective_rank([0.0, 0.0]) == 0
    assert 1 < effective_rank([3.0, 1.0]) < 2


def test_stats_do_not_import_torch(adapter):
    folder = adapter("lora_bf16")
    code = ("import sys, json\n"
            "from igrag_gui.core.adapters import inspect_path, weight_stats\n"
            f"s = weight_stats(inspect_path({str(folder)!r}))\n"
            "json.dumps(s.to_json()); s.to_text()\n"
            "assert 'torch' not in sys.modules\n"
            "print(len(s.modules), round(sum(m.norm for m in s.modules), 6))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    here = weight_stats(inspect_path(folder))
    assert result.stdout.split() == ["12", str(round(sum(m.norm for m in here.modules), 6))]


def test_compare_configs_ranks_and_norms(adapter):
    a, b = inspect_path(adapter("lora")), inspect_path(adapter("lora_r8"))
    sa, sb = weight_stats(a), weight_stats(b)
    c = compare(a, b, sa, sb)
    assert ("r", 4, 8) in c.config_diff and ("lora_dropout", 0.1, 0.0) in c.config_diff
    assert len(c.rank_diff) == 12 and c.rank_diff[0][1:] == (4, 8)
    assert c.only_in_a == [] and c.only_in_b == []
    assert len(c.norm_diff) == 12
    norms_a = {m.name: m.norm for m in sa.modules}
    norms_b = {m.name: m.norm for m in sb.modules}
    for row in c.norm_diff:
        assert row["diff"] == pytest.approx(norms_b[row["name"]] - norms_a[row["name"]])
    assert [abs(r["diff"]) for r in c.norm_diff] == sorted((abs(r["diff"]) for r in c.norm_diff), reverse=True)
    doc = json.loads(json.dumps(c.to_json()))
    assert {"key": "r", "a": 4, "b": 8} in doc["config_diff"]
    assert "config differences (" in c.to_text()


def test_compare_different_methods_without_stats(adapter):
    c = compare(inspect_path(adapter("lora")), inspect_path(adapter("ia3")))
    assert ("peft_type", "LORA", "IA3") in c.config_diff
    assert c.summary[0] == ("method", "LoRA", "IA³")
    assert c.norm_diff == [] and len(c.only_in_b) == 16 - 6


def test_compare_ignores_the_order_of_set_fields(adapter, tmp_path):
    def reverse(cfg):
        cfg["target_modules"] = sorted(cfg["target_modules"], reverse=True)
        return cfg

    a = inspect_path(adapter("lora"))
    b = inspect_path(copy_adapter(adapter("lora"), tmp_path / "rev", reverse))
    c = compare(a, b, weight_stats(a), weight_stats(b))
    assert c.config_diff == [] and all(r["diff"] == 0 for r in c.norm_diff)
    assert all(row[1] == row[2] for row in c.summary)
