"""Every PEFT method, for real on the demo model: a few steps on one repeated batch (the loss
falls), the run folder loads in plain PEFT, the inspector names the method, and it generates."""

from __future__ import annotations

import json

import pytest

from igrag_gui.core.config import load_config
from igrag_gui.core.errors import UserError
from igrag_gui.core.training.events import Collect, Finished, Logged
from igrag_gui.core.methods import PEFT_METHODS
from igrag_gui.resources import demo_config_path, demo_model_path

pytestmark = pytest.mark.slow

INSPECT_NAMES = {"lora": "LoRA", "adalora": "AdaLoRA", "ia3": "IA³", "loha": "LoHa", "lokr": "LoKr",
                 "vera": "VeRA", "oft": "OFT", "prompt_tuning": "prompt tuning",
                 "prefix_tuning": "prefix tuning", "p_tuning": "P-tuning"}
STEPS = 4


@pytest.fixture(scope="module")
def quiet_model(tmp_path_factory):
    """The demo model with its dropout off: one batch repeated then shows the loss falling."""
    import shutil

    folder = tmp_path_factory.mktemp("model") / "demo-no-dropout"
    shutil.copytree(demo_model_path(), folder)
    config = json.loads((folder / "config.json").read_text())
    config["dropout_rate"] = 0.0
    (folder / "config.json").write_text(json.dumps(config))
    return folder


@pytest.fixture(scope="module")
def one_batch(tmp_path_factory):
    """Eight training examples: one batch, repeated every step, so the loss must fall."""
    folder = tmp_path_factory.mktemp("data")
    lines = (demo_model_path().parent / "data" / "train.jsonl").read_text().splitlines()[:8]
    (folder / "train.jsonl").write_text("\n".join(lines) + "\n")
    return folder / "train.jsonl"


def _config(method: str, model, train, out, *extra: str):
    cfg, _ = load_config(demo_config_path(), [
        f"method={method}", f"model.base_model_path={model}", f"data.train_path={train}", f"training.output_dir={out}",
        "training.eval_strategy=no", "training.save_strategy=no", "training.logging_steps=1",
        "training.warmup_steps=0", "training.num_train_epochs=100", *extra])
    return cfg


@pytest.mark.parametrize("method", PEFT_METHODS)  # bottleneck adapters: test_bottleneck.py
def test_each_method_trains_loads_in_peft_is_named_and_generates(method, quiet_model, one_batch, tmp_path):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    from igrag_gui.core.adapters.build import inspect_path
    from igrag_gui.core.models.generation import generate_texts
    from igrag_gui.core.training.train import train

    out = tmp_path / method
    cfg = _config(method, quiet_model, one_batch, out)
    assert not cfg.errors(), cfg.errors()
    sink = Collect()
    if method == "prefix_tuning":  # refused before any step: generation would drop the prefix
        with pytest.raises(UserError) as err:
            train(cfg, sink, max_steps=STEPS)
        assert str(err.value) == (
            "method: prefix_tuning cannot train a seq2seq model here: transformers 5 generates with its "
            "own cache and drops the past_key_values that carry PEFT's prefix, so a trained prefix would "
            "never reach the captions; choose another method")
        return
    closing = train(cfg, sink, max_steps=STEPS)
    assert isinstance(closing, Finished), closing
    losses = [e.loss for e in sink.events if isinstance(e, Logged)]
    assert len(losses) == STEPS and losses[-1] < losses[0], losses

    saved = json.loads((out / "adapter_config.json").read_text())
    assert saved["peft_type"] == {"p_tuning": "P_TUNING"}.get(method, method.upper())
    assert (out / "adapter_model.safetensors").is_file() and (out / "run.yaml").is_file()
    started = json.loads((out / "metrics.jsonl").read_text().splitlines()[0])
    assert started["event"] == "started" and started["method"] == method

    report = inspect_path(out)
    assert report.method.startswith(INSPECT_NAMES[method]), report.method

    base = AutoModelForSeq2SeqLM.from_pretrained(demo_model_path(), dtype=torch.float32)
    model = PeftModel.from_pretrained(base, str(out))  # plain PEFT, nothing of ours
    tokenizer = AutoTokenizer.from_pretrained(demo_model_path())
    prompt = json.loads(one_batch.read_text().splitlines()[0])["prompt"]
    texts = generate_texts(model, tokenizer, [prompt], "seq2seq", 256, 8)
    assert len(texts) == 1 and isinstance(texts[0], str) and texts[0]

    # the Playground's and `igrag generate`'s path: one base, the run attached by name
    from igrag_gui.core.playground import Session
    from igrag_gui.core.playground.settings import GenerationSettings

    session = Session.load(str(quiet_model))
    try:
        name = session.add_adapter(out)
        assert session.adapter_info(name).peft_type == saved["peft_type"]
        assert session.generate(prompt, GenerationSettings(max_new_tokens=8), adapter=name) == texts  # greedy: the same text as plain PEFT
    finally:
        session.close()
