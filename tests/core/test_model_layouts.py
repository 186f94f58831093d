"""T5-family layouts from config.json alone are exactly what building the model finds, and
``igrag validate`` on such a model imports neither torch nor transformers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from igrag_gui.core.models.layouts import seq2seq_layout

ROOT = Path(__file__).resolve().parents[2]
DEMO = json.loads((ROOT / "resources" / "demo" / "model" / "config.json").read_text())
FLAN_T5_BASE = json.loads((ROOT / "tests" / "fixtures" / "flan-t5-base" / "config.json").read_text())

CONFIGS = {
    "demo": DEMO,
    "flan-t5-base": FLAN_T5_BASE,
    "t5 v1.0 (relu, defaults)": {"model_type": "t5", "architectures": ["T5WithLMHeadModel"]},
    "t5, deeper decoder": {"model_type": "t5", "d_model": 64, "d_kv": 8, "num_heads": 2, "d_ff": 96,
                           "num_layers": 1, "num_decoder_layers": 3, "vocab_size": 300,
                           "feed_forward_proj": "gated-silu", "tie_word_embeddings": False},
    "t5, no decoder count": {"model_type": "t5", "d_model": 32, "d_kv": 8, "num_heads": 4, "d_ff": 48,
                             "num_layers": 2, "num_decoder_layers": None, "vocab_size": 100},
    "mt5 defaults": {"model_type": "mt5"},
}


def described(config: dict, tmp_path: Path):
    from igrag_gui.core.config import RunConfig
    from igrag_gui.core.models.loading import describe_model

    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(config))
    cfg = RunConfig()
    cfg.model.base_model_path = str(folder)
    info, _ = describe_model(cfg)
    return info


@pytest.mark.parametrize("name", list(CONFIGS))
def test_the_layout_is_what_the_built_model_has(name, tmp_path):
    layout = seq2seq_layout(CONFIGS[name])
    info = described(CONFIGS[name], tmp_path)
    assert layout is not None
    assert layout.architecture == info.architecture
    assert list(layout.modules.items()) == list(info.modules.items())  # same counts, same order
    assert layout.shapes == info.shapes and layout.output_layer == info.output_layer


@pytest.mark.parametrize("config", [{"model_type": "gpt2"}, {"model_type": "bart"}, {"model_type": "t5", "d_model": "512"},
                                    {"model_type": "t5", "feed_forward_proj": "gated-gelu-extra"},
                                    {"model_type": "t5", "is_encoder_decoder": False}, {}])
def test_other_families_and_odd_values_are_left_to_transformers(config):
    assert seq2seq_layout(config) is None


def test_validate_on_a_t5_model_imports_no_torch(tmp_path):
    """The first `igrag validate` of a model (nothing cached) answers from config.json."""
    probe = ("import sys; from igrag_gui.cli.main import main; code = main(['validate', sys.argv[1]]); "
             "print([m for m in ('torch', 'transformers', 'peft') if m in sys.modules], code)")
    env = {**os.environ, "IGRAG_MODEL_CACHE": str(tmp_path / "empty-cache"), "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-c", probe, str(ROOT / "configs" / "demo.yaml")], capture_output=True,
                         text=True, env=env, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "ok (T5ForConditionalGeneration, seq2seq, method lora)" in out.stdout
    assert out.stdout.strip().splitlines()[-1] == "[] 0"
