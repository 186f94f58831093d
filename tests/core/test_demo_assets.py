"""The embedded demo (resources/demo): dataset, tokenizer and model load offline and fit together.

These guard the files the app's demo ships with; they never retrain anything.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from igrag_gui.core.data.prompts import DEFAULT_TEMPLATE

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO = REPO_ROOT / "resources" / "demo"
DATA = DEMO / "data"
MODEL = DEMO / "model"
FIRST_PROMPT_LINE = DEFAULT_TEMPLATE.split("\n")[0]


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


def _rows(split: str) -> list[dict]:
    with open(DATA / f"{split}.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(MODEL)


@pytest.fixture(scope="module")
def model():
    from transformers import AutoModelForSeq2SeqLM

    return AutoModelForSeq2SeqLM.from_pretrained(MODEL).eval()


# --- dataset ---------------------------------------------------------------------------------


@pytest.mark.parametrize("split, size", [("train", 1000), ("val", 100)])
def test_data_rows_have_the_four_keys(split, size):
    rows = _rows(split)
    assert len(rows) == size
    for row in rows:
        assert list(row) == ["image_id", "prompt", "caption", "metadata"]
        assert isinstance(row["image_id"], int)
        assert isinstance(row["prompt"], str) and row["prompt"].startswith(FIRST_PROMPT_LINE)
        assert row["prompt"].rstrip().endswith("Caption:")
        assert isinstance(row["caption"], str)
        assert row["caption"] == row["caption"].lower() and row["caption"].endswith(".")
        meta = row["metadata"]
        assert isinstance(meta, dict) and meta["split"] == split
        assert 3 <= len(meta["retrieved"]) <= 5
        assert 2 <= len(meta["objects"]) <= 6
        for obj in meta["objects"]:
            assert isinstance(obj["label"], str) and len(obj["bbox"]) == 4
            assert all(0.0 <= v <= 1.0 for v in obj["bbox"])


def test_prompts_are_built_from_their_metadata():
    from igrag_gui.core.data.prompts import DetectedObject, build_prompt, position_name

    for row in _rows("val"):
        meta = row["metadata"]
        expected = build_prompt(
            [r["caption"] for r in meta["retrieved"]],
            [DetectedObject(o["label"], position_name(o["bbox"])) for o in meta["objects"]],
        )
        assert row["prompt"] == expected


def test_train_and_val_images_are_disjoint():
    train_ids = [r["image_id"] for r in _rows("train")]
    val_ids = [r["image_id"] for r in _rows("val")]
    assert len(set(train_ids)) == len(train_ids)
    assert len(set(val_ids)) == len(val_ids)
    assert not set(train_ids) & set(val_ids)


def test_data_script_is_deterministic(tmp_path):
    script = REPO_ROOT / "tools" / "make_demo_data.py"
    subprocess.run([sys.executable, str(script), "--out", str(tmp_path)], check=True, capture_output=True)
    for split in ("train", "val"):
        assert (tmp_path / f"{split}.jsonl").read_bytes() == (DATA / f"{split}.jsonl").read_bytes()


# --- tokenizer -------------------------------------------------------------------------------


def test_tokenizer_is_t5_like(tokenizer):
    assert tokenizer.pad_token_id == 0
    assert tokenizer.eos_token_id == 1
    assert tokenizer.unk_token_id == 2
    caption = _rows("val")[0]["caption"]
    ids = tokenizer(caption)["input_ids"]
    assert ids[-1] == tokenizer.eos_token_id  # T5 appends </s>
    assert tokenizer.unk_token_id not in ids
    assert tokenizer.decode(ids, skip_special_tokens=True) == caption


def test_prompts_fit_comfortably(tokenizer):
    lengths = [len(tokenizer(r["prompt"])["input_ids"]) for r in _rows("train")]
    assert max(lengths) < 200


# --- model -----------------------------------------------------------------------------------


def test_model_has_flan_t5_module_names(model, tokenizer):
    import torch

    linear_names = {
        name.rsplit(".", 1)[-1]
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear)
    }
    assert {"q", "k", "v", "o", "wi_0", "wi_1", "wo"} <= linear_names
    assert model.config.feed_forward_proj == "gated-gelu"
    assert model.config.vocab_size == len(tokenizer)
    assert model.generation_config.decoder_start_token_id == 0


def test_model_loads_without_missing_or_unexpected_keys():
    from transformers import AutoModelForSeq2SeqLM

    _, info = AutoModelForSeq2SeqLM.from_pretrained(MODEL, output_loading_info=True)
    assert not info["missing_keys"]
    assert not info["unexpected_keys"]


def test_model_generates_for_a_val_prompt(model, tokenizer):
    import torch

    prompt = _rows("val")[0]["prompt"]
    with torch.no_grad():
        out = model.generate(**tokenizer(prompt, return_tensors="pt"), max_new_tokens=20)
    assert tokenizer.decode(out[0], skip_special_tokens=True).strip()


def test_demo_is_small():
    total = sum(p.stat().st_size for p in DEMO.rglob("*") if p.is_file())
    assert total < 8 * 1024 * 1024
