"""Model references, families and module listing, from config.json alone."""

from __future__ import annotations

import pytest

from igrag_gui.core.config import load_config
from igrag_gui.core.errors import UserError
from igrag_gui.core.models.loading import describe_model, resolve_model_ref

from tests.conftest import FLAN_T5_BASE


def test_t5_modules_are_flan_t5_names(make_config):
    cfg, _ = load_config(make_config())
    info, model = describe_model(cfg)
    assert info.kind == "seq2seq" and info.architecture == "T5ForConditionalGeneration"
    assert info.module_names == ["q", "k", "v", "o", "wi_0", "wi_1", "wo", "lm_head"]
    # 12 encoder self-attention + 12 decoder self-attention + 12 decoder cross-attention blocks
    assert info.modules["q"] == 36 and info.modules["wi_0"] == 24 and info.modules["lm_head"] == 1
    assert info.shapes["wi_0"] == (768, 2048)
    assert info.output_layer == "lm_head"
    assert next(model.parameters()).device.type == "meta"


def test_causal_gpt2_modules(make_config, tiny_gpt2):
    cfg, _ = load_config(make_config(model={"base_model_path": str(tiny_gpt2), "type": "auto"}))
    info, _ = describe_model(cfg)
    assert info.kind == "causal" and info.architecture == "GPT2LMHeadModel"
    assert info.module_names == ["c_attn", "c_proj", "c_fc", "lm_head"]
    assert info.shapes["c_attn"] == (32, 96)


def test_causal_llama_modules(make_config, tiny_llama):
    cfg, _ = load_config(make_config(model={"base_model_path": str(tiny_llama), "type": "causal"}))
    info, _ = describe_model(cfg)
    assert info.kind == "causal"
    assert info.module_names == ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                                 "down_proj", "lm_head"]


def test_declared_type_must_match_the_model(make_config, tiny_gpt2):
    cfg, _ = load_config(make_config(model={"base_model_path": str(tiny_gpt2), "type": "seq2seq"}))
    with pytest.raises(UserError) as err:
        describe_model(cfg)
    assert str(err.value) == ("model.type is 'seq2seq' but the model (GPT2LMHeadModel) is a causal "
                              "model; set model.type to 'causal' or 'auto'")


def test_target_module_the_model_lacks_suggests_its_real_name(make_config):
    cfg, _ = load_config(make_config(lora={"target_modules": ["q_proj", "v"]}))
    info, _ = describe_model(cfg)
    assert [str(p) for p in cfg.validate(model=info)] == [
        "lora.target_modules: the model has no module named 'q_proj'; did you mean 'q'? its modules "
        "are: q, k, v, o, wi_0, wi_1, wo, lm_head"
    ]


def test_t5_names_on_a_llama_suggest_proj_names(make_config, tiny_llama):
    cfg, _ = load_config(make_config(model={"base_model_path": str(tiny_llama), "type": "auto"},
                                     lora={"target_modules": ["q"]}))
    info, _ = describe_model(cfg)
    assert "did you mean 'q_proj'?" in str(cfg.validate(model=info)[0])


def test_hub_id_missing_offline_is_one_clear_message(make_config, monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    from igrag_gui.core.models import loading as models

    models.hub_reachable.cache_clear()
    cfg, _ = load_config(make_config(model={"base_model_path": "someone/not-downloaded"}))
    assert resolve_model_ref(cfg).hub_id == "someone/not-downloaded"
    with pytest.raises(UserError) as err:
        describe_model(cfg)
    assert str(err.value) == (
        "model 'someone/not-downloaded' is not in the local Hugging Face cache and the hub cannot be "
        "reached; on a machine with internet run `hf download someone/not-downloaded` (it fills "
        "~/.cache/huggingface), or set model.base_model_path to a local model folder")
    models.hub_reachable.cache_clear()


def test_folder_without_config_json(make_config, tmp_path):
    (tmp_path / "empty-model").mkdir()
    cfg, _ = load_config(make_config(model={"base_model_path": str(tmp_path / "empty-model")}))
    assert [str(p) for p in cfg.validate()] == [
        f"model.base_model_path: '{tmp_path / 'empty-model'}' has no config.json, so it is not a "
        f"Hugging Face model folder; choose the folder that holds config.json and the weights"]


def test_flan_fixture_is_a_local_folder(make_config):
    cfg, _ = load_config(make_config())
    assert resolve_model_ref(cfg).folder == FLAN_T5_BASE
