"""The faster paths keep their results: length-grouped training batches (``training.group_by_length``),
validation generation sorted by length, one model-folder sentence everywhere."""

from __future__ import annotations

import json

import pytest

from igrag_gui.core.config import load_config
from igrag_gui.core.errors import UserError
from igrag_gui.core.training.events import Collect
from igrag_gui.core.models.folder import folder_problem
from igrag_gui.resources import demo_config_path, demo_model_path, resource_path


def test_group_by_length_is_a_checked_config_field(tmp_path):
    cfg, _ = load_config(demo_config_path(), [f"training.output_dir={tmp_path}"])
    assert cfg.training.group_by_length is False
    cfg, _ = load_config(demo_config_path(), [f"training.output_dir={tmp_path}", "training.group_by_length=maybe"])
    assert [str(p) for p in cfg.validate() if p.field == "training.group_by_length"] == [
        "training.group_by_length: must be true or false, got the text 'maybe'"]


@pytest.mark.slow
def test_group_by_length_trains_with_transformers_length_grouped_sampler(tmp_path):
    from transformers.trainer_pt_utils import LengthGroupedSampler

    from igrag_gui.core.training.train import prepare

    cfg, _ = load_config(demo_config_path(), [f"training.output_dir={tmp_path}", "training.eval_strategy=no",
                                              "training.save_strategy=no", "training.group_by_length=true"])
    run = prepare(cfg, Collect(), max_steps=3)
    assert run.trainer.args.train_sampling_strategy == "group_by_length"
    assert isinstance(run.trainer.get_train_dataloader().batch_sampler.sampler, LengthGroupedSampler)
    result = run.trainer.train()
    assert result.global_step == 3


@pytest.mark.slow
def test_validation_generation_sorted_by_length_keeps_order_and_texts():
    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    from igrag_gui.core.models.generation import generate_texts

    model = AutoModelForSeq2SeqLM.from_pretrained(demo_model_path())
    tokenizer = AutoTokenizer.from_pretrained(demo_model_path())
    rows = [json.loads(line) for line in resource_path("demo", "data", "val.jsonl").read_text().splitlines()[:12]]
    prompts = [r["prompt"][: 60 + 37 * (i % 5)] for i, r in enumerate(rows)]  # lengths out of order
    one_by_one = [generate_texts(model, tokenizer, [p], "seq2seq", 256, 12, batch_size=1)[0] for p in prompts]
    torch.manual_seed(0)
    batched = generate_texts(model, tokenizer, prompts, "seq2seq", 256, 12, batch_size=4)
    assert batched == one_by_one


def test_one_model_folder_sentence_for_config_models_and_playground(tmp_path, make_config):
    from igrag_gui.core.models.loading import ModelRef, load_model_config
    from igrag_gui.core.playground.session import resolve_base

    empty = tmp_path / "empty-model"
    empty.mkdir()
    expected = folder_problem(empty)
    assert expected == (f"'{empty}' has no config.json, so it is not a Hugging Face model folder; choose the "
                        f"folder that holds config.json and the weights")
    cfg, _ = load_config(make_config(model={"base_model_path": str(empty)}))
    assert [p.message for p in cfg.validate() if p.field == "model.base_model_path"] == [expected]
    with pytest.raises(UserError) as caught:
        load_model_config(ModelRef(str(empty), folder=empty))
    assert str(caught.value) == expected
    with pytest.raises(UserError) as caught:
        resolve_base(str(empty))
    assert str(caught.value) == expected


def test_a_config_json_that_is_not_json_is_one_sentence(tmp_path, make_config):
    from igrag_gui.core.models.facts import model_info

    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "config.json").write_text("{not json")
    cfg, _ = load_config(make_config(model={"base_model_path": str(folder)}))
    with pytest.raises(UserError):
        model_info(cfg)  # transformers' reader refuses it; never a traceback
