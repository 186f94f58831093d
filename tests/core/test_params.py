"""Parameter counts from config.json alone equal PEFT's counts on the really loaded model."""

from __future__ import annotations

import json

import pytest

from igrag_gui.core.config import load_config
from igrag_gui.core.methods.params import count_parameters


def test_flan_t5_base_igrag_default_exact_figures(make_config):
    cfg, _ = load_config(make_config())
    stats = count_parameters(cfg)
    assert (stats.trainable, stats.total) == (1_769_472, 249_347_328)
    assert f"{stats.percent:.2f}" == "0.71"
    assert stats.modules == 72
    assert stats.by_module == {"q": {"modules": 36, "trainable": 884_736},
                               "v": {"modules": 36, "trainable": 884_736}}


def _real_counts(model_dir, cfg, kind):
    """PEFT's counts after loading real weights (the figures ours must equal)."""
    from peft import get_peft_model

    from igrag_gui.core.methods import build_peft_config
    from igrag_gui.core.models.loading import load_model, resolve_model_ref

    model = load_model(resolve_model_ref(cfg), kind)
    return get_peft_model(model, build_peft_config(cfg, kind)).get_nb_trainable_parameters()


def _save_random_model(folder, auto_cls_name):
    import transformers
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(folder)
    model = getattr(transformers, auto_cls_name).from_config(config)
    model.save_pretrained(folder)


@pytest.mark.parametrize("lora", [
    {"r": 4, "lora_alpha": 8, "target_modules": ["c_attn"]},
    {"r": 2, "lora_alpha": 4, "target_modules": ["c_attn", "c_proj", "c_fc"], "use_dora": True},
    {"r": 8, "lora_alpha": 8, "target_modules": "all-linear", "use_rslora": True},
])
def test_causal_counts_equal_peft_on_real_weights(make_config, tiny_gpt2, lora):
    _save_random_model(tiny_gpt2, "AutoModelForCausalLM")
    cfg, _ = load_config(make_config(model={"base_model_path": str(tiny_gpt2), "type": "auto"}, lora=lora))
    stats = count_parameters(cfg)
    assert (stats.trainable, stats.total) == _real_counts(tiny_gpt2, cfg, "causal")


def test_untied_output_layer_counts_like_the_checkpoint(make_config, tmp_path):
    """A T5 checkpoint that stores its own lm_head (as FLAN-T5's does) is counted with it, read
    from the weights' header, even though transformers 5 builds T5 tied from the config."""
    import torch
    from safetensors.torch import save_file
    from transformers import T5Config, T5ForConditionalGeneration

    folder = tmp_path / "t5-untied"
    folder.mkdir()
    config = T5Config(vocab_size=64, d_model=16, d_kv=4, d_ff=32, num_layers=1, num_heads=2,
                      feed_forward_proj="gated-gelu")
    model = T5ForConditionalGeneration(config)
    state = {k: v.clone().contiguous() for k, v in model.state_dict().items()}
    state["lm_head.weight"] = torch.randn(64, 16)
    save_file(state, folder / "model.safetensors", metadata={"format": "pt"})
    raw = config.to_dict()
    raw.pop("tie_word_embeddings", None)  # the header alone must decide
    (folder / "config.json").write_text(json.dumps(raw))
    cfg, _ = load_config(make_config(model={"base_model_path": str(folder)}))
    stats = count_parameters(cfg)
    assert (stats.trainable, stats.total) == _real_counts(folder, cfg, "seq2seq")
    assert stats.total - stats.trainable == sum(p.numel() for p in model.parameters()) + 64 * 16
