"""Every PEFT method on a causal model, for real: a small Llama-shaped model with random weights
and the demo tokenizer trains a few steps on one repeated batch (the loss falls), the run folder
loads in plain PEFT, the inspector names the method, and it generates."""

from __future__ import annotations

import json
import shutil

import pytest

from igrag_gui.core.config import load_config
from igrag_gui.core.errors import UserError
from igrag_gui.core.training.events import Collect, Finished, Logged
from igrag_gui.core.methods import PEFT_METHODS
from igrag_gui.resources import demo_config_path, demo_model_path

from .test_methods_train import INSPECT_NAMES, STEPS, one_batch  # noqa: F401 - the shared fixture

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_causal(tmp_path_factory):
    """A Llama-shaped causal LM (random weights, seed 0) with the demo's tokenizer."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    folder = tmp_path_factory.mktemp("causal") / "tiny-llama"
    vocab = json.loads((demo_model_path() / "config.json").read_text())["vocab_size"]
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=vocab, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=512,
                         tie_word_embeddings=False, pad_token_id=0, eos_token_id=1, bos_token_id=1)
    LlamaForCausalLM(config).save_pretrained(folder)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(demo_model_path() / name, folder / name)
    return folder


@pytest.mark.parametrize("method", PEFT_METHODS)  # bottleneck adapters: test_bottleneck.py
def test_each_method_trains_a_causal_model(method, tiny_causal, one_batch, tmp_path):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from igrag_gui.core.adapters.build import inspect_path
    from igrag_gui.core.models.generation import generate_texts
    from igrag_gui.core.training.train import train

    out = tmp_path / method
    cfg, _ = load_config(demo_config_path(), [
        f"method={method}", f"model.base_model_path={tiny_causal}", "model.type=causal",
        f"data.train_path={one_batch}", f"training.output_dir={out}", "data.max_source_length=128",
        "data.max_target_length=24", "lora.target_modules=[q_proj,v_proj]", "training.eval_strategy=no", "training.save_strategy=no",
        "training.logging_steps=1", "training.warmup_steps=0", "training.num_train_epochs=100"])
    sink = Collect()
    if method == "prefix_tuning":  # refused before any step, on every family
        with pytest.raises(UserError) as err:
            train(cfg, sink, max_steps=STEPS)
        assert "method: prefix_tuning cannot train a causal model here" in str(err.value)
        return
    assert not cfg.errors(), cfg.errors()
    closing = train(cfg, sink, max_steps=STEPS)
    assert isinstance(closing, Finished), closing
    losses = [e.loss for e in sink.events if isinstance(e, Logged)]
    assert len(losses) == STEPS and losses[-1] < losses[0], losses

    report = inspect_path(out)
    assert report.method.startswith(INSPECT_NAMES[method]), report.method
    base = AutoModelForCausalLM.from_pretrained(tiny_causal, dtype=torch.float32)
    model = PeftModel.from_pretrained(base, str(out))  # plain PEFT, nothing of ours
    tokenizer = AutoTokenizer.from_pretrained(tiny_causal)
    prompt = json.loads(one_batch.read_text().splitlines()[0])["prompt"]
    texts = generate_texts(model, tokenizer, [prompt], "causal", 128, 6)
    assert len(texts) == 1 and isinstance(texts[0], str)
