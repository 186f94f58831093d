"""Our bottleneck adapters on the demo's tiny T5: what they add, that an adapter whose up-projection
is zero leaves the model's outputs alone, the files they save and load, and what they refuse."""

from __future__ import annotations

import json

import pytest
import torch

from igrag_gui.core.errors import UserError
from igrag_gui.core.methods import bottleneck
from igrag_gui.core.methods.bottleneck_section import AdapterSection, reduction_for
from igrag_gui.resources import demo_model_path

INPUTS = {"input_ids": torch.tensor([[37, 4, 12, 99, 1]]), "decoder_input_ids": torch.tensor([[0, 14, 27]])}


@pytest.fixture
def model():
    from transformers import AutoModelForSeq2SeqLM

    return AutoModelForSeq2SeqLM.from_pretrained(str(demo_model_path())).eval()


def logits(model):
    with torch.no_grad():
        return model(**INPUTS).logits


@pytest.mark.parametrize("placement, count, where", [
    ("pfeiffer", 5, {"output_adapter"}),
    ("houlsby", 10, {"output_adapter", "mh_adapter"}),
])
def test_placements_put_one_adapter_per_sublayer_and_count_as_adapterhub(model, placement, count, where):
    state = bottleneck.add_adapters(model, bottleneck.build(AdapterSection(placement=placement), model))
    assert len(state.modules) == count and {loc for loc, _, _ in state.modules.values()} == where
    # d_model 128, reduction 16 -> 8 wide: 128*8 + 8 + 8*128 + 128 parameters each
    trainable, total = bottleneck.count(model)
    assert trainable == count * (128 * 8 + 8 + 8 * 128 + 128)
    assert all(p.requires_grad == (".adapters." in n) for n, p in model.named_parameters())


def test_a_zero_up_projection_leaves_the_outputs_alone(model):
    before = logits(model)
    for placement in ("houlsby", "pfeiffer"):
        section = AdapterSection(placement=placement, init_weights="mam_adapter", cross_adapter=True)
        bottleneck.add_adapters(model, bottleneck.build(section, model))
        torch.testing.assert_close(logits(model), before, atol=1e-5, rtol=0)
        bottleneck.remove(model)
    assert not any(".adapters." in n for n in model.state_dict())


def test_saved_in_adapterhub_layout_and_loaded_back(model, tmp_path):
    from transformers import AutoModelForSeq2SeqLM

    section = AdapterSection(placement="houlsby", ln_after=True, scaling="channel", stacks="encoder")
    bottleneck.add_adapters(model, bottleneck.build(section, model))
    with torch.no_grad():
        for name, p in model.named_parameters():
            if ".adapters." in name:
                p.add_(torch.randn_like(p) * 0.05)
    want = logits(model)
    bottleneck.save(model, tmp_path / "a")
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["adapter.safetensors", "adapter_config.json"]
    doc = json.loads((tmp_path / "a" / "adapter_config.json").read_text())
    assert doc["config"]["leave_out"] == [3, 4]  # the decoder's layers, numbered after the encoder's
    assert doc["config"]["mh_adapter"] and not doc["config"]["original_ln_before"]
    assert doc["hidden_size"] == 128 and doc["name"] == "default" and "peft_type" not in doc
    from safetensors.torch import load_file

    names = sorted(load_file(str(tmp_path / "a" / "adapter.safetensors")))
    assert "encoder.block.0.layer.0.adapters.default.adapter_down.0.weight" in names
    assert "encoder.block.0.layer.1.adapters.default.scaling" in names and not any("decoder" in n for n in names)
    fresh = AutoModelForSeq2SeqLM.from_pretrained(str(demo_model_path())).eval()
    bottleneck.load(fresh, tmp_path / "a")
    torch.testing.assert_close(logits(fresh), want, atol=0, rtol=0)


def test_a_bottleneck_size_gives_exactly_that_width(model):
    for size in (3, 7, 24, 48, 100):
        section = AdapterSection(bottleneck_size=size)
        assert int(128 // reduction_for(section, 128)) == size
        state = bottleneck.add_adapters(model, bottleneck.build(section, model))
        assert {w for _, _, w in state.modules.values()} == {size}
        bottleneck.remove(model)


def test_load_refuses_an_adapter_of_another_width_and_options_we_lack(model, tmp_path):
    bottleneck.add_adapters(model, bottleneck.build(AdapterSection(), model))
    bottleneck.save(model, tmp_path / "a")
    bottleneck.remove(model)
    path = tmp_path / "a" / "adapter_config.json"
    doc = json.loads(path.read_text())
    path.write_text(json.dumps({**doc, "hidden_size": 768}))
    with pytest.raises(UserError) as info:
        bottleneck.load(model, tmp_path / "a")
    assert str(info.value) == (f"'{tmp_path / 'a'}' was saved for a model 768 wide, but this model is 128 wide; "
                               f"load it on the base model it was trained on")
    path.write_text(json.dumps({**doc, "config": {**doc["config"], "phm_layer": True}}))
    with pytest.raises(UserError) as info:
        bottleneck.load(model, tmp_path / "a")
    assert str(info.value) == ("this bottleneck adapter uses phm_layer, which igrag's adapters do not implement; "
                               "save it with those options off")
    assert bottleneck.state_of(model) is None and not any(".adapters." in n for n in model.state_dict())


def test_a_pickled_adapterhub_file_is_read_with_weights_only(model, tmp_path):
    bottleneck.add_adapters(model, bottleneck.build(AdapterSection(), model))
    bottleneck.save(model, tmp_path / "a")
    want = logits(model)
    bottleneck.remove(model)
    from safetensors.torch import load_file

    weights = load_file(str(tmp_path / "a" / "adapter.safetensors"))
    (tmp_path / "a" / "adapter.safetensors").unlink()
    torch.save(weights, tmp_path / "a" / "pytorch_adapter.bin")
    bottleneck.load(model, tmp_path / "a")
    torch.testing.assert_close(logits(model), want, atol=0, rtol=0)


def test_gradients_reach_the_adapters_only_and_the_loss_falls(model):
    """Through the hooks: the adapters learn, the frozen base gets no gradient."""
    torch.manual_seed(0)
    bottleneck.add_adapters(model, bottleneck.build(AdapterSection(placement="houlsby"), model))
    model.train()
    labels = torch.tensor([[14, 27, 3, 1]])
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    losses = []
    for _ in range(8):
        optimizer.zero_grad()
        loss = model(input_ids=INPUTS["input_ids"], labels=labels).loss
        loss.backward()
        losses.append(float(loss))
        optimizer.step()
    grads = {n: p.grad for n, p in model.named_parameters()}
    assert all(g is not None and bool(g.abs().sum() > 0) for n, g in grads.items() if ".adapters." in n)
    assert all(g is None for n, g in grads.items() if ".adapters." not in n)
    assert losses[-1] < losses[0] * 0.8, losses


def test_resume_refuses_another_adapter_shape_naming_both(model, tmp_path):
    from igrag_gui.core.training.checkpoints import check_resume_compatible
    from igrag_gui.core.config import load_config
    from igrag_gui.resources import demo_config_path

    bottleneck.add_adapters(model, bottleneck.build(AdapterSection(), model))
    bottleneck.save(model, tmp_path / "checkpoint-3")
    same, _ = load_config(demo_config_path(), ["method=adapter"])
    check_resume_compatible(tmp_path / "checkpoint-3", same)  # the same settings resume
    other, _ = load_config(demo_config_path(), ["method=adapter", "adapter.placement=houlsby"])
    with pytest.raises(UserError) as info:
        check_resume_compatible(tmp_path / "checkpoint-3", other)
    assert str(info.value) == (f"cannot resume from '{tmp_path / 'checkpoint-3'}': it was trained with "
                               f"mh_adapter=False but the config asks for mh_adapter=True; resume with the "
                               f"original adapter settings, or start a new run in another output_dir")
    lora, _ = load_config(demo_config_path(), [])
    with pytest.raises(UserError) as info:
        check_resume_compatible(tmp_path / "checkpoint-3", lora)
    assert str(info.value).startswith(f"cannot resume from '{tmp_path / 'checkpoint-3'}': it is a "
                                      f"BOTTLENECK_ADAPTER adapter but the config asks for LORA (method lora)")


def test_scaling_takes_a_number_or_its_two_words():
    from igrag_gui.core.config import load_config
    from igrag_gui.resources import demo_config_path

    for good in ("adapter.scaling=0.5", "adapter.scaling=learned", "adapter.scaling=channel"):
        cfg, _ = load_config(demo_config_path(), ["method=adapter", good])
        assert not cfg.errors(), cfg.errors()
    cfg, _ = load_config(demo_config_path(), ["method=adapter", "adapter.scaling=lerned"])
    assert [str(p) for p in cfg.errors()] == ["adapter.scaling: must be a number, 'learned' or 'channel', got 'lerned'"]
