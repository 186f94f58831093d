"""The adapter inspector on real adapters saved by PEFT: verdict, evidence, figures, warnings."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from igrag_gui.core.adapters import inspect_path
from igrag_gui.core.adapters.peft_types import PEFT_TYPES
from igrag_gui.core.adapters.tensor_names import layer_of, parse_tensor_name, split_site
from tests.conftest import FLAN_T5_BASE, ROOT
from tests.core.adapter_factory import NOT_BUILT, SPECS, copy_adapter, factory, tensor_numels


@pytest.fixture(scope="session")
def adapter(tmp_path_factory):
    return factory(tmp_path_factory)


# -- every PEFT type ---------------------------------------------------------------------------

def test_every_peft_type_is_known_by_name():
    import peft

    types = [t.value for t in peft.PeftType]
    assert len(types) >= 40
    assert sorted(t for t in types if t not in PEFT_TYPES) == []
    built = {s.peft_type for s in SPECS.values()}
    assert sorted(t for t in types if t not in built and t not in NOT_BUILT) == []


@pytest.mark.parametrize("name", [n for n in SPECS if not n.startswith("lora_llama_")])
def test_real_adapter_verdict_and_counts(adapter, name):
    spec = SPECS[name]
    folder = adapter(name)
    report = inspect_path(folder)
    assert report.peft_type == spec.peft_type
    assert report.peft_type_source == "config"
    assert report.method == spec.method
    assert report.evidence[0] == f'peft_type "{spec.peft_type}" in adapter_config.json'
    assert report.warnings == []
    numels = tensor_numels(folder / "adapter_model.safetensors")
    assert report.totals["num_tensors"] == len(numels)
    assert report.totals["num_params"] == sum(numels.values())
    assert sorted(t.name for t in report.tensors) == sorted(numels)
    if spec.modules is not None:
        assert len(report.adapted_modules) == spec.modules
    doc = json.loads(json.dumps(report.to_json()))
    assert doc["peft_type"] == spec.peft_type and doc["method"] == spec.method
    assert doc["num_params"] == sum(numels.values())
    assert report.to_text().splitlines()[0] == f"{spec.method}  [peft_type {spec.peft_type}]  {folder}"


# -- LoRA and its variants ---------------------------------------------------------------------

def test_lora_figures(adapter):
    report = inspect_path(adapter("lora"))
    d = report.details
    assert (d["r"], d["lora_alpha"], d["scaling"], d["scaling_rule"]) == (4, 8, 2.0, "alpha/r")
    assert d["lora_dropout"] == 0.1 and d["use_dora"] is False and d["use_rslora"] is False
    assert sorted(d["target_modules"]) == ["q", "v"]  # PEFT writes its set in any order
    assert d["adapted_modules"] == 12 and d["modules_by_target"] == {"q": 6, "v": 6}
    assert d["ranks_from_tensors"] == {"4": 12}
    assert report.evidence[1] == "12 lora_A/lora_B pairs, rank 4 read from their shapes"
    assert report.task_type == "SEQ_2_SEQ_LM"
    assert {g["module_type"]: g["modules"] for g in report.by_module_type} == {
        "decoder.SelfAttention.q": 2, "decoder.SelfAttention.v": 2, "decoder.EncDecAttention.q": 2,
        "decoder.EncDecAttention.v": 2, "encoder.SelfAttention.q": 2, "encoder.SelfAttention.v": 2}
    assert [(g["layer"], g["modules"]) for g in report.by_layer] == [(0, 6), (1, 6)]
    assert all(m.rank == 4 and m.config_rank == 4 and m.scaling == 2.0 for m in report.adapted_modules)
    doc = report.to_json()
    assert (doc["r"], doc["lora_alpha"], sorted(doc["target_modules"])) == (4, 8, ["q", "v"])
    assert doc["tensors"][0] == {"name": "base_model.model.decoder.block.0.layer.0.SelfAttention.q.lora_A.weight",
                                 "shape": [4, 16], "dtype": "F32", "params": 64, "bytes": 256,
                                 "module": "decoder.block.0.layer.0.SelfAttention.q", "param": "lora_A",
                                 "role": "adapter", "layer": 0}


def test_dora_evidence(adapter):
    report = inspect_path(adapter("dora"))
    assert report.peft_type == "LORA" and report.method == "DoRA"
    assert "lora_magnitude_vector present in 12 modules → DoRA" in report.evidence
    assert report.to_json()["peft_type"] == "LORA"


def test_rslora_scaling_is_alpha_over_sqrt_r(adapter):
    report = inspect_path(adapter("rslora"))
    assert report.details["scaling"] == 8 / math.sqrt(4) == 4.0
    assert report.details["scaling_rule"] == "alpha/sqrt(r)"
    assert "use_rslora true → scaling alpha/sqrt(r) (rsLoRA)" in report.evidence


def test_modules_to_save_are_counted_and_reported(adapter):
    report = inspect_path(adapter("lora_mts"))
    d = report.details
    assert d["modules_to_save"] == ["lm_head"]
    assert d["saved_modules"] == ["lm_head"] and d["saved_module_params"] == 64 * 16
    assert d["adapter_params"] == 12 * (4 * 16 + 8 * 4)
    assert report.totals["num_params"] == d["adapter_params"] + d["saved_module_params"]
    assert "full weights saved for 1 extra module (lm_head)" in report.evidence


def test_rank_and_alpha_patterns_are_respected(adapter):
    report = inspect_path(adapter("lora_patterns"))
    by_target = {}
    for m in report.adapted_modules:
        by_target.setdefault(m.target, set()).add((m.rank, m.config_rank, m.alpha, m.scaling))
    assert by_target == {"q": {(2, 2, 8.0, 4.0)}, "v": {(4, 4, 32.0, 8.0)}}
    assert report.details["ranks_from_tensors"] == {"2": 6, "4": 6}
    assert report.details["scalings_by_module"] == {"4.0": 6, "8.0": 6}
    assert report.warnings == []


def test_adalora_figures(adapter):
    report = inspect_path(adapter("adalora"))
    d = report.details
    assert (d["init_r"], d["target_r"], d["total_step"]) == (6, 4, 10)
    assert d["ranks_from_tensors"] == {"6": 12} and d["total_rank"] == 72
    assert report.evidence[1] == ("12 lora_A/lora_E/lora_B triples (SVD form P·Λ·Q), rank 6 read from "
                                  "their shapes → AdaLoRA")


def test_ia3_figures(adapter):
    report = inspect_path(adapter("ia3"))
    d = report.details
    assert sorted(d["target_modules"]) == ["k", "v", "wo"] and d["feedforward_modules"] == ["wo"]
    assert d["modules_by_target"] == {"k": 6, "v": 6, "wo": 4}
    assert "4 of them scale inputs (feed-forward modules)" in report.evidence


@pytest.mark.parametrize("name, shape, extra", [
    ("prompt_tuning", [10, 16], {"total_virtual_tokens": 10}),
    ("p_tuning", [10, 16], {"total_virtual_tokens": 10, "encoder_hidden_size": 8,
                            "encoder_reparameterization_type": "MLP"}),
    ("prefix_tuning", [5, 64], {"prefix_values_per_token": 64}),
])
def test_prompt_based_figures(adapter, name, shape, extra):
    report = inspect_path(adapter(name))
    d = report.details
    assert (d["num_virtual_tokens"], d["token_dim"], d["num_transformer_submodules"], d["num_layers"]) == (5, 16, 2, 2)
    assert d["prompt_embeddings_shape"] == shape
    for key, value in extra.items():
        assert d[key] == value
    assert f"prompt_embeddings of shape ({shape[0]}, {shape[1]})" in report.evidence
    assert report.by_layer == [] and report.adapted_modules == []


def test_prompt_tuning_init_text_is_shown(adapter, tmp_path):
    def with_text(cfg):
        cfg.update(prompt_tuning_init="TEXT", prompt_tuning_init_text="Describe the image:",
                   tokenizer_name_or_path="google/flan-t5-base")
        return cfg

    report = inspect_path(copy_adapter(adapter("prompt_tuning"), tmp_path / "pt", with_text))
    assert report.details["prompt_tuning_init"] == "TEXT"
    assert report.details["prompt_tuning_init_text"] == "Describe the image:"


def test_other_methods_show_their_key_fields(adapter):
    assert inspect_path(adapter("loha")).details["alpha"] == 4
    assert inspect_path(adapter("loha")).details["ranks_from_tensors"] == {"2": 12}
    assert inspect_path(adapter("oft")).details["oft_block_size"] == 4
    assert inspect_path(adapter("boft")).details["boft_block_size"] == 4
    vera = inspect_path(adapter("vera"))
    assert vera.details["r"] == 4 and vera.details["ranks_from_tensors"] == {"4": 12}
    assert "shared tensors: vera_A, vera_B" in vera.evidence
    assert inspect_path(adapter("xlora")).details["adapters"] == ["0", "1"]


def test_gpt2_layers_come_from_h_index(adapter):
    report = inspect_path(adapter("lora_gpt2"))
    assert [(g["layer"], g["modules"]) for g in report.by_layer] == [(0, 1), (1, 1)]
    assert [g["module_type"] for g in report.by_module_type] == ["attn.c_attn"]


def test_lora_with_trainable_tokens(adapter):
    report = inspect_path(adapter("lora_tokens"))
    assert report.method == "LoRA"
    assert "trainable_tokens_delta present: selected token embeddings are trained too" in report.evidence
    assert report.warnings == []


# -- names, layers, types ----------------------------------------------------------------------

@pytest.mark.parametrize("module, layer, site", [
    ("encoder.block.3.layer.0.SelfAttention.q", 3, ("encoder", "SelfAttention.q")),
    ("decoder.block.11.layer.1.EncDecAttention.v", 11, ("decoder", "EncDecAttention.v")),
    ("model.layers.7.self_attn.q_proj", 7, ("model", "self_attn.q_proj")),
    ("transformer.h.2.attn.c_attn", 2, ("transformer", "attn.c_attn")),
    ("bert.encoder.layer.5.attention.self.query", 5, ("encoder", "attention.self.query")),
    ("model.layers.1.mlp.experts.3.w1", 1, ("model", "mlp.experts.w1")),
    ("lm_head", None, ("", "lm_head")),
])
def test_layer_and_type_parsing(module, layer, site):
    assert layer_of(module) == layer
    assert split_site(module) == site


def test_tensor_name_roles():
    p = parse_tensor_name("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight")
    assert (p.module, p.param, p.role, p.marker, p.layer) == ("model.layers.0.self_attn.q_proj", "lora_A",
                                                             "adapter", "LORA", 0)
    assert parse_tensor_name("prompt_embeddings").role == "prompt"
    assert parse_tensor_name("base_model.vera_A").role == "shared"
    p = parse_tensor_name("base_model.model.lm_head.weight")
    assert (p.module, p.param, p.role) == ("lm_head", "weight", "saved")
    assert parse_tensor_name("x.lora_E").marker == "ADALORA"
    assert parse_tensor_name("x.pvera_lambda_b").marker == "PVERA"


# -- the FLAN-T5-base reference ----------------------------------------------------------------

def flan_t5_base_adapter(folder: Path, r: int = 16, config: bool = True) -> Path:
    """The IGRAG default (r=16, alpha=32, q and v) laid out as PEFT saves it for FLAN-T5-base."""
    from safetensors.numpy import save_file

    base = json.loads((FLAN_T5_BASE / "config.json").read_text())
    d_model, inner = base["d_model"], base["num_heads"] * base["d_kv"]
    sites = ([f"encoder.block.{i}.layer.0.SelfAttention" for i in range(base["num_layers"])]
             + [f"decoder.block.{i}.layer.{j}.{kind}" for i in range(base["num_decoder_layers"])
                for j, kind in ((0, "SelfAttention"), (1, "EncDecAttention"))])
    tensors = {}
    for site in sites:
        for proj in ("q", "v"):
            prefix = f"base_model.model.{site}.{proj}"
            tensors[f"{prefix}.lora_A.weight"] = np.zeros((r, d_model), np.float32)
            tensors[f"{prefix}.lora_B.weight"] = np.zeros((inner, r), np.float32)
    folder.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(folder / "adapter_model.safetensors"))
    if config:
        (folder / "adapter_config.json").write_text(json.dumps({
            "peft_type": "LORA", "task_type": "SEQ_2_SEQ_LM", "base_model_name_or_path": "google/flan-t5-base",
            "r": 16, "lora_alpha": 32, "lora_dropout": 0.1, "target_modules": ["q", "v"], "bias": "none",
            "use_dora": False, "use_rslora": False, "rank_pattern": {}, "alpha_pattern": {}}))
    return folder


def test_flan_t5_base_reference_counts(tmp_path):
    report = inspect_path(flan_t5_base_adapter(tmp_path / "flan"))
    assert report.method == "LoRA" and report.base_model == "google/flan-t5-base"
    assert len(report.adapted_modules) == 72
    assert report.totals["num_params"] == 1_769_472
    assert report.details["modules_by_target"] == {"q": 36, "v": 36}
    assert [g["modules"] for g in report.by_layer] == [6] * 12
    assert report.details["scaling"] == 2.0
    assert report.warnings == []
    assert "tensors  144, 1,769,472 parameters, 7.1 MB, F32" in report.to_text()


def test_header_report_does_not_import_torch(tmp_path):
    folder = flan_t5_base_adapter(tmp_path / "flan")
    code = ("import sys, json\n"
            "from igrag_gui.core.adapters import inspect_path\n"
            f"r = inspect_path({str(folder)!r})\n"
            "json.dumps(r.to_json()); r.to_text(tensors=True)\n"
            "bad = [m for m in ('torch', 'transformers', 'peft', 'numpy') if m in sys.modules]\n"
            "assert not bad, bad\n"
            "print(r.totals['num_params'])")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1769472"


# -- consistency warnings ----------------------------------------------------------------------

def test_weights_only_inference_and_warning(adapter, tmp_path):
    folder = copy_adapter(adapter("dora"), tmp_path / "w", config=lambda cfg: None)
    report = inspect_path(folder / "adapter_model.safetensors")
    assert (report.peft_type, report.peft_type_source, report.method) == ("LORA", "tensors", "DoRA")
    assert report.evidence[0] == "no adapter_config.json: LoRA, inferred from the tensor names"
    assert report.warnings == [
        f"no adapter_config.json next to {folder / 'adapter_model.safetensors'}: the method and figures "
        f"come from the tensor names alone, and PEFT cannot load the adapter without its config"]
    assert report.details["r"] == 4 and report.details["scaling"] is None


def test_prompt_weights_only_are_ambiguous(adapter, tmp_path):
    folder = copy_adapter(adapter("prompt_tuning"), tmp_path / "p", config=lambda cfg: None)
    report = inspect_path(folder)
    assert report.method == "prompt-based (prompt tuning, P-tuning or prefix tuning)"
    assert report.peft_type is None


def test_config_only(adapter, tmp_path):
    folder = copy_adapter(adapter("lora"), tmp_path / "c", weights=False)
    report = inspect_path(folder / "adapter_config.json")
    assert report.method == "LoRA" and report.totals["num_tensors"] == 0
    assert report.warnings == [
        f"no adapter_model.safetensors next to {folder / 'adapter_config.json'}: the report comes from the "
        f"config alone, and the adapter cannot be loaded without its weights"]


def test_config_and_weights_from_different_methods(adapter, tmp_path):
    folder = copy_adapter(adapter("prompt_tuning"), tmp_path / "mix",
                          config=lambda cfg: json.loads((adapter("lora") / "adapter_config.json").read_text()))
    report = inspect_path(folder)
    assert report.method == "LoRA"
    assert report.warnings[0] == (
        "adapter_config.json says peft_type LORA (LoRA) but the weights hold only prompt embeddings "
        "(prompt_embeddings), as the prompt-based methods save; the config and the weights may come "
        "from different adapters")


def edit(**changes):
    def apply(cfg):
        cfg.update(changes)
        return cfg
    return apply


def test_rank_mismatch_respects_rank_pattern(adapter, tmp_path):
    report = inspect_path(copy_adapter(adapter("lora_patterns"), tmp_path / "r", edit(r=8)))
    assert report.warnings == [
        "rank mismatch: adapter_config.json gives r=8 (rank_pattern applied) but the tensors have rank 4 in "
        "6 modules (e.g. decoder.block.0.layer.0.SelfAttention.v and 5 more); PEFT will refuse to load them "
        "with this config"]


def test_targets_without_tensors_and_tensors_without_targets(adapter, tmp_path):
    report = inspect_path(copy_adapter(adapter("lora"), tmp_path / "t", edit(target_modules=["q", "k"])))
    assert report.warnings == [
        "target_modules entry 'k' has no tensors in the weights: a name the base model does not have, or "
        "the weights come from another config",
        "6 modules have adapter tensors but are not targeted by adapter_config.json (e.g. "
        "decoder.block.0.layer.0.SelfAttention.v and 5 more); PEFT will not load those tensors with this config"]


def test_regex_target_modules(adapter, tmp_path):
    ok = inspect_path(copy_adapter(adapter("lora"), tmp_path / "ok", edit(target_modules=r".*\.(q|v)")))
    assert ok.warnings == []
    enc = inspect_path(copy_adapter(adapter("lora"), tmp_path / "enc", edit(target_modules=r"encoder\..*\.(q|v)")))
    assert enc.warnings == [
        "8 modules have adapter tensors but are not targeted by adapter_config.json (e.g. "
        "decoder.block.0.layer.0.SelfAttention.q and 7 more); PEFT will not load those tensors with this config"]


def test_hostile_regex_is_not_run(adapter, tmp_path):
    report = inspect_path(copy_adapter(adapter("lora"), tmp_path / "h", edit(target_modules="(a+)+$")))
    assert report.warnings == ["target_modules pattern '(a+)+$' repeats a group that itself repeats (it could "
                               "take exponential time), so it was not applied here"]


def test_dora_flag_without_magnitude(adapter, tmp_path):
    report = inspect_path(copy_adapter(adapter("lora"), tmp_path / "d", edit(use_dora=True)))
    assert report.method == "DoRA"
    assert report.warnings == ["use_dora is true in adapter_config.json but the weights hold no "
                               "lora_magnitude_vector; PEFT will fail to load them as DoRA"]


def test_environment_warnings(adapter, tmp_path):
    report = inspect_path(copy_adapter(adapter("lora"), tmp_path / "e", edit(
        base_model_name_or_path="/nonexistent/models/flan-t5-base", peft_version="99.1.0.dev0@abcdef")))
    from importlib.metadata import version

    assert report.warnings == [
        "base_model_name_or_path '/nonexistent/models/flan-t5-base' does not exist on this machine; load the "
        "base model yourself and pass it to PeftModel.from_pretrained",
        f"saved with PEFT 99.1.0.dev0@abcdef, newer than the installed {version('peft')}; loading may fail or "
        f"ignore new fields (pip install -U peft)"]


def test_pairs_mixed_dtypes_and_extra_saved_modules(tmp_path):
    from safetensors.numpy import save_file

    f = np.zeros
    save_file({
        "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight": f((2, 8), np.float32),
        "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight": f((8, 2), np.float32),
        "base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight": f((2, 8), np.float32),
        "base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight": f((8, 2), np.float16),
        "base_model.model.model.layers.1.self_attn.v_proj.lora_A.weight": f((2,), np.float32),
        "base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight": f((8, 2), np.float32),
        "base_model.model.model.embed_tokens.weight": f((4, 8), np.float32),
    }, str(tmp_path / "adapter_model.safetensors"))
    (tmp_path / "adapter_config.json").write_text(json.dumps(
        {"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["q_proj", "v_proj"]}))
    report = inspect_path(tmp_path)
    assert report.warnings == [
        "1 module has lora_A without lora_B (e.g. model.layers.0.self_attn.v_proj); the file is incomplete "
        "and PEFT cannot apply those modules",
        "1 module has lora_B without lora_A (e.g. model.layers.1.self_attn.q_proj); the file is incomplete "
        "and PEFT cannot apply those modules",
        "1 lora_A/lora_B tensor is 1-D or empty (e.g. base_model.model.model.layers.1.self_attn.v_proj."
        "lora_A.weight): typical of a DeepSpeed ZeRO-3 / FSDP save that did not gather the shards; save again "
        "with the full parameters gathered",
        "the weights hold full weights of modules outside the adapter and modules_to_save: model.embed_tokens "
        "(PEFT saves embedding layers when the vocabulary was resized)",
        "tensors use several floating dtypes: F32 (6), F16 (1); an adapter is normally saved in one"]


def test_unknown_peft_type(adapter, tmp_path):
    report = inspect_path(copy_adapter(adapter("lora"), tmp_path / "u", edit(peft_type="FUTURE_LORA")))
    assert report.method == "unknown (FUTURE_LORA)" and report.peft_type == "FUTURE_LORA"
    assert report.evidence == ['peft_type "FUTURE_LORA" in adapter_config.json is not a method PEFT 0.21 saves, '
                               'so the report covers tensors only', "its tensors follow the naming of LoRA"]
    assert report.totals["num_params"] == 12 * (64 + 32)


def test_prompt_shape_mismatch(adapter, tmp_path):
    report = inspect_path(copy_adapter(adapter("prompt_tuning"), tmp_path / "p", edit(num_virtual_tokens=7)))
    assert report.warnings == [
        "prompt_embeddings has shape (10, 16) but adapter_config.json implies (14, 16) (num_virtual_tokens × "
        "num_transformer_submodules, token_dim); the config and the weights may come from different adapters"]
