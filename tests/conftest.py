"""Shared fixtures: small configs and models made on the spot, the shipped demo assets."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
FLAN_T5_BASE = ROOT / "tests" / "fixtures" / "flan-t5-base"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Prepared training data is cached; tests (and the CLI they start) keep theirs out of ~/.cache.
os.environ.setdefault("IGRAG_DATA_CACHE", tempfile.mkdtemp(prefix="igrag-test-data-cache-"))
# Model facts (module names, parameter counts) are cached too; likewise kept out of ~/.cache.
os.environ.setdefault("IGRAG_MODEL_CACHE", tempfile.mkdtemp(prefix="igrag-test-model-cache-"))
# Models converted for CTranslate2 (core/playground/ct2_cache.py) likewise.
os.environ.setdefault("IGRAG_CT2_CACHE", tempfile.mkdtemp(prefix="igrag-test-ct2-cache-"))
# And what YAML configs parse to (core/config/parse_cache.py).
os.environ.setdefault("IGRAG_CONFIG_CACHE", os.path.join(tempfile.mkdtemp(prefix="igrag-test-config-cache-"),
                                                         "parsed-configs.json"))
# The Train tab's estimate probes the model in a child once edits pause; tests that want it turn it on.
os.environ.setdefault("IGRAG_AUTO_ESTIMATE", "0")
# What igrag sends to the trash (and its user data) stays out of the real ~/.local/share.
os.environ.setdefault("XDG_DATA_HOME", tempfile.mkdtemp(prefix="igrag-test-share-"))


@pytest.fixture
def make_config(tmp_path):
    """Write a config YAML (defaults pointing at real files in tmp_path) and return its path.

    Keyword arguments are sections whose keys replace the defaults; ``raw`` replaces the whole
    text.
    """
    data_dir = tmp_path / "data"
    data_dir.mkdir(exist_ok=True)
    for name in ("train.jsonl", "val.jsonl"):
        (data_dir / name).write_text(json.dumps({"prompt": "p", "caption": "c."}) + "\n")

    def make(raw: str | None = None, name: str = "run.yaml", **sections) -> Path:
        path = tmp_path / name
        if raw is not None:
            path.write_text(raw)
            return path
        doc = {
            "model": {"base_model_path": str(FLAN_T5_BASE), "type": "seq2seq"},
            "data": {"train_path": "data/train.jsonl", "val_path": "data/val.jsonl",
                     "max_source_length": 512, "max_target_length": 64},
            "training": {"output_dir": "out", "num_train_epochs": 1, "train_batch_size": 2,
                         "eval_batch_size": 2, "learning_rate": 3e-4},
            "lora": {"r": 16, "lora_alpha": 32, "dropout": 0.1, "target_modules": ["q", "v"]},
        }
        for section, values in sections.items():
            doc.setdefault(section, {}).update(values)
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        return path

    return make


def write_model_config(folder: Path, **config) -> Path:
    """A model folder holding only config.json (enough for params and module listing)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(config))
    return folder


@pytest.fixture
def tiny_gpt2(tmp_path) -> Path:
    return write_model_config(tmp_path / "tiny-gpt2", model_type="gpt2", architectures=["GPT2LMHeadModel"],
                              n_embd=32, n_layer=2, n_head=2, n_positions=64, vocab_size=100)


@pytest.fixture
def tiny_llama(tmp_path) -> Path:
    return write_model_config(tmp_path / "tiny-llama", model_type="llama", architectures=["LlamaForCausalLM"],
                              hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                              num_attention_heads=4, num_key_value_heads=2, vocab_size=100,
                              max_position_embeddings=64, tie_word_embeddings=False)


@pytest.fixture
def trash(tmp_path, monkeypatch) -> Path:
    """A trash of this test's own, ``<XDG_DATA_HOME>/Trash``, for the test's process and the children
    it starts. send2trash reads XDG_DATA_HOME once, at import, so its module's copy is set too."""
    share = tmp_path / "share"
    monkeypatch.setenv("XDG_DATA_HOME", str(share))
    try:
        from send2trash import plat_other
    except ImportError:  # not the freedesktop trash (macOS, Windows): the variable is what counts
        return share / "Trash"
    monkeypatch.setattr(plat_other, "XDG_DATA_HOME", os.fsencode(share))
    monkeypatch.setattr(plat_other, "HOMETRASH_B", os.fsencode(share / "Trash"))
    monkeypatch.setattr(plat_other, "HOMETRASH", str(share / "Trash"))
    return share / "Trash"
