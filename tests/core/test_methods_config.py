"""Methods in the config: the schema taken from PEFT, defaults, problems by the field, and
parameter counts from config alone equal to PEFT's own on real weights."""

from __future__ import annotations

import json

import pytest

from igrag_gui.core.config import RunConfig, load_config
from igrag_gui.core.methods import METHOD_SPECS, PEFT_METHODS
from igrag_gui.core.methods.sections import SCHEMA_FILE
from igrag_gui.core.models.loading import describe_model
from igrag_gui.resources import demo_config_path


def test_schema_file_matches_the_installed_peft():
    """Fails after a PEFT upgrade that changed a field: run tools/make_peft_schema.py."""
    import importlib.util
    import sys
    from pathlib import Path

    tool = Path(__file__).resolve().parents[2] / "tools" / "make_peft_schema.py"
    spec = importlib.util.spec_from_file_location("make_peft_schema", tool)
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_peft_schema"] = module
    spec.loader.exec_module(module)
    assert json.loads(SCHEMA_FILE.read_text(encoding="utf-8")) == module.build_schema(), \
        "peft_schema.json is stale: run .venv/bin/python tools/make_peft_schema.py"


def test_fields_and_help_come_from_peft():
    from dataclasses import fields

    import peft

    cfg = RunConfig()
    for name in PEFT_METHODS[1:]:
        spec = METHOD_SPECS[name]
        peft_fields = {f.name: f for f in fields(getattr(peft, spec.peft_class))}
        ours = {f.name: f for f in fields(getattr(cfg, name))}
        assert list(ours)[:-1] == list(spec.fields) and list(ours)[-1] == "learning_rate"
        for field_name in spec.fields:
            theirs = " ".join(peft_fields[field_name].metadata["help"].split())
            assert ours[field_name].metadata["help"].startswith(theirs)


def test_method_and_its_section_from_set():
    cfg, warnings = load_config(demo_config_path(), ["method=vera", "vera.r=32"])
    assert cfg.method == "vera" and cfg.vera.r == 32 and cfg.learning_rate == METHOD_SPECS["vera"].learning_rate
    problems = cfg.validate()
    assert [p.severity for p in problems] == ["warning"]
    assert str(problems[0]) == ("lora: is ignored while method is 'vera' (its r, lora_alpha, dropout, "
                                "target_modules, ... apply to lora only)")
    saved = cfg.to_dict()
    assert saved["method"] == "vera" and saved["vera"]["r"] == 32


def test_unknown_method_lists_the_valid_ones():
    cfg, _ = load_config(demo_config_path(), ["method=compacter"])
    assert [str(p) for p in cfg.errors()] == [
        "method: 'compacter' is not a supported tuning method; use one of: lora, adalora, ia3, loha, lokr, "
        "vera, oft, prompt_tuning, prefix_tuning, p_tuning, adapter"]


def test_oft_block_size_must_divide_the_width():
    cfg, _ = load_config(demo_config_path(), ["method=oft", "oft.oft_block_size=24", "oft.target_modules=[q, v]"])
    info, _ = describe_model(cfg)
    errors = [str(p) for p in cfg.errors(model=info)]
    assert errors == ["oft.oft_block_size: 24 does not divide the width 128 of module 'q'; use a divisor "
                      "such as 8, 16, 32, 64, 128"]


def test_targets_of_another_family_are_named_by_the_method_field():
    cfg, _ = load_config(demo_config_path(), ["method=loha", "loha.target_modules=[q_proj]"])
    info, _ = describe_model(cfg)
    errors = cfg.errors(model=info)
    assert [p.field for p in errors] == ["loha.target_modules"]
    assert "did you mean 'q'?" in errors[0].message


def test_virtual_tokens_over_the_position_limit(tiny_gpt2, tmp_path):
    cfg, _ = load_config(demo_config_path(), ["method=prompt_tuning", f"model.base_model_path={tiny_gpt2}",
                                              "model.type=causal", "data.max_source_length=40",
                                              "data.max_target_length=8"])
    info, _ = describe_model(cfg)
    assert [str(p) for p in cfg.errors(model=info)] == [
        "prompt_tuning.num_virtual_tokens: 20 virtual tokens + data.max_source_length 40 + "
        "max_target_length 8 exceed the model's 64 positions; lower num_virtual_tokens or max_source_length"]


@pytest.mark.parametrize("method", PEFT_METHODS)  # bottleneck adapters: test_bottleneck.py
def test_count_from_config_equals_peft_on_real_weights(method):
    """The meta-device count (``igrag params``, the form) against PEFT on the loaded demo model."""
    import torch
    from peft import get_peft_model
    from transformers import AutoModelForSeq2SeqLM

    from igrag_gui.core.methods import build_peft_config
    from igrag_gui.core.methods.params import count_parameters

    cfg, _ = load_config(demo_config_path(), [f"method={method}"])
    counted = count_parameters(cfg)
    real = AutoModelForSeq2SeqLM.from_pretrained(cfg.resolve_path(cfg.model.base_model_path), dtype=torch.float32)
    peft_model = get_peft_model(real, build_peft_config(cfg, "seq2seq"))
    assert (counted.trainable, counted.total) == tuple(peft_model.get_nb_trainable_parameters())
    assert counted.trainable > 0


@pytest.mark.parametrize("method", PEFT_METHODS)  # bottleneck adapters: test_bottleneck.py
def test_causal_count_equals_peft_on_real_weights(method, make_config, tiny_llama):
    import transformers
    from peft import get_peft_model
    from transformers import AutoConfig

    from igrag_gui.core.methods import build_peft_config
    from igrag_gui.core.methods.params import count_parameters

    transformers.AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(tiny_llama)).save_pretrained(tiny_llama)
    extra = {"oft": {"oft_block_size": 8}, "lora": {"target_modules": ["q_proj", "v_proj"]}}.get(method, {})
    cfg, _ = load_config(make_config(model={"base_model_path": str(tiny_llama), "type": "auto"},
                                     **({method: extra} if extra else {})), [f"method={method}"])
    counted = count_parameters(cfg)
    real = transformers.AutoModelForCausalLM.from_pretrained(tiny_llama)
    peft_model = get_peft_model(real, build_peft_config(cfg, "causal"))
    assert (counted.trainable, counted.total) == tuple(peft_model.get_nb_trainable_parameters())


def test_methods_peft_cannot_apply_to_conv1d_models_are_refused_before_start(make_config, tiny_gpt2):
    cfg, _ = load_config(make_config(model={"base_model_path": str(tiny_gpt2), "type": "auto"}), ["method=lokr"])
    info, _ = describe_model(cfg)
    assert [str(p) for p in cfg.errors(model=info)] == [
        "method: lokr cannot train a causal model here: PEFT lokr layers take only Linear and Conv2d "
        "modules, and gpt2 builds its projections as transformers' Conv1D; choose another method"]


def test_igrag_text_initialisation_fills_with_the_last_tokens_embedding():
    """IGRAG's way: the sentence's token embeddings, then copies of its last token's embedding
    (PEFT's own TEXT initialisation repeats the whole sentence instead)."""
    import torch
    from peft import get_peft_model
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    from igrag_gui.core.methods import build_peft_config
    from igrag_gui.core.methods.builders import after_wrap

    cfg, _ = load_config(demo_config_path(), [
        "method=prompt_tuning", "prompt_tuning.prompt_tuning_init=IGRAG_TEXT", "prompt_tuning.num_virtual_tokens=12",
        "prompt_tuning.num_transformer_submodules=1", "prompt_tuning.prompt_tuning_init_text=a photo of a dog"])
    assert not cfg.errors()
    folder = cfg.resolve_path(cfg.model.base_model_path)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = get_peft_model(AutoModelForSeq2SeqLM.from_pretrained(folder), build_peft_config(cfg, "seq2seq"))
    after_wrap(model, cfg, tokenizer)
    ids = tokenizer("a photo of a dog", add_special_tokens=False)["input_ids"]
    assert 1 < len(ids) < 12
    expected = ids + [ids[-1]] * (12 - len(ids))
    table = model.prompt_encoder["default"].embedding.weight
    words = model.word_embeddings(torch.tensor(expected))
    assert torch.equal(table.detach(), words.detach())
