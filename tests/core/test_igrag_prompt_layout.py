"""IGRAG's prompt_tuning.yaml (their own file, unchanged, in tests/fixtures/igrag): it opens as
prompt tuning with 20 encoder-only virtual tokens and saves back in its own words and comments."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from igrag_gui.core.config import load_config

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "igrag"
THEIRS = FIXTURE / "prompt_tuning" / "config" / "prompt_tuning.yaml"


@pytest.fixture
def their_repo(tmp_path) -> Path:
    shutil.copytree(FIXTURE, tmp_path / "igrag")
    return tmp_path / "igrag"


def test_their_file_is_their_own_unchanged():
    original = Path("/work/shared/igrag/prompt_tuning/config/prompt_tuning.yaml")
    if original.exists():
        assert THEIRS.read_bytes() == original.read_bytes()


def test_opens_as_encoder_only_prompt_tuning_with_their_values():
    cfg, warnings = load_config(THEIRS)
    assert warnings == []  # every key of theirs is understood
    assert cfg.method == "prompt_tuning"
    pt = cfg.prompt_tuning
    assert (pt.num_virtual_tokens, pt.num_transformer_submodules, pt.prompt_tuning_init) == (20, 1, "RANDOM")
    assert cfg.learning_rate == 0.03 and cfg.model.type == "seq2seq"
    assert (cfg.training.train_batch_size, cfg.training.eval_batch_size) == (4, 4)
    # their paths are relative to their repository root, two folders above the file
    assert cfg.train_file == FIXTURE / "lora_training" / "data" / "coco_lora_train_train.jsonl"
    assert cfg.output_path == FIXTURE / "prompt_tuning" / "checkpoints"
    assert [p for p in cfg.validate() if p.field != "model.base_model_path"] == []
    assert cfg.where("prompt_tuning.num_virtual_tokens").endswith("prompt_tuning.yaml:11")


def test_text_initialisation_is_theirs():
    cfg, _ = load_config(THEIRS, ["prompt_tuning.prompt_tuning_init=IGRAG_TEXT"])
    assert not [p for p in cfg.errors() if p.field != "model.base_model_path"]


def test_saving_unchanged_gives_their_file_back(their_repo):
    path = their_repo / "prompt_tuning" / "config" / "prompt_tuning.yaml"
    cfg, _ = load_config(path)
    cfg.save(path)
    assert path.read_text(encoding="utf-8") == THEIRS.read_text(encoding="utf-8")


def test_saving_edits_keeps_their_spellings_and_comments(their_repo):
    path = their_repo / "prompt_tuning" / "config" / "prompt_tuning.yaml"
    cfg, _ = load_config(path, ["prompt_tuning.num_virtual_tokens=10", "prompt_tuning.learning_rate=0.1",
                                "training.train_batch_size=2"])
    cfg.save(path)
    text = path.read_text(encoding="utf-8")
    assert "  prompt_length: 10  # Prompt tokens数量\n" in text
    assert re.search(r"\n  learning_rate: 0\.1 +# Prompt Tuning通常使用较大的学习率\n", text)  # comment column kept
    assert "  per_device_train_batch_size: 2  # 减小批次大小以避免内存问题\n" in text
    assert "num_virtual_tokens" not in text and "train_batch_size:" not in text.replace("per_device_train_batch_size", "")
    assert text.count("\n") == THEIRS.read_text(encoding="utf-8").count("\n")
    again, _ = load_config(path)
    assert (again.prompt_tuning.num_virtual_tokens, again.learning_rate) == (10, 0.1)


def test_params_on_flan_t5_base_is_exactly_their_count(flan_t5_base_cfg_args):
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "igrag_gui", "params", str(THEIRS), *flan_t5_base_cfg_args],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "trainable           15,360\n" in result.stdout and "total          247,593,216\n" in result.stdout


@pytest.fixture
def flan_t5_base_cfg_args():
    from tests.conftest import FLAN_T5_BASE

    return ["--set", f"model.base_model_path={FLAN_T5_BASE}"]
