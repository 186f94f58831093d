"""The tensor tree's grouping: by stack, then layer, for real PEFT adapters (no Qt)."""

from __future__ import annotations

import pytest

from igrag_gui.core.adapters import inspect_path
from igrag_gui.core.adapters.report import TensorInfo
from igrag_gui.core.adapters.tensor_groups import SHARED, group_tensors
from tests.core.adapter_factory import factory


@pytest.fixture(scope="module")
def adapters(tmp_path_factory):
    return factory(tmp_path_factory)


def _tensor(name: str, module: str | None, layer: int | None) -> TensorInfo:
    return TensorInfo(name=name, shape=(2, 2), dtype="F32", numel=4, nbytes=16, module=module, param="lora_A",
                      role="adapter", marker="LORA", layer=layer)


def test_t5_groups_by_stack_then_block_encoder_first(adapters):
    report = inspect_path(adapters("lora"))
    groups = group_tensors(report.tensors)
    assert [g.title for g in groups] == ["encoder block 0", "encoder block 1", "decoder block 0", "decoder block 1"]
    encoder0 = groups[0]
    assert all(".encoder.block.0." in t.name for t in encoder0.tensors)
    assert len(encoder0.tensors) == 4  # q and v self-attention, lora_A and lora_B each
    assert all(len(g.tensors) == 8 for g in groups[2:])  # decoder: self- and cross-attention q, v
    assert sum(len(g.tensors) for g in groups) == report.totals["num_tensors"]
    assert groups[0].params == sum(t.numel for t in encoder0.tensors)


def test_a_single_stack_keeps_layer_n_and_shared_tensors_come_last():
    tensors = [_tensor("base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight",
                       "base_model.model.model.layers.1.self_attn.q_proj", 1),
               _tensor("base_model.model.lm_head.weight", "base_model.model.lm_head", None),
               _tensor("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight",
                       "base_model.model.model.layers.0.self_attn.q_proj", 0)]
    assert [g.title for g in group_tensors(tensors)] == ["layer 0", "layer 1", SHARED]


def test_a_decoder_only_t5_adapter_is_one_stack():
    tensors = [_tensor(f"base_model.model.decoder.block.{i}.layer.0.SelfAttention.q.lora_A.weight",
                       f"base_model.model.decoder.block.{i}.layer.0.SelfAttention.q", i) for i in (2, 0)]
    assert [g.title for g in group_tensors(tensors)] == ["layer 0", "layer 2"]


def test_prompt_embeddings_are_one_shared_group(adapters):
    report = inspect_path(adapters("prompt_tuning"))
    groups = group_tensors(report.tensors)
    assert [g.title for g in groups] == [SHARED] and groups[0].layer is None
