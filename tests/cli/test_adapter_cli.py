"""``method: adapter`` (bottleneck adapters) from the command line: a few training steps on the
demo, its parameter count, the inspector's report, generation beside the base model, and merge's
refusal (exit 2, one line, nothing written)."""

from __future__ import annotations

import json

import pytest

from tests.cli.test_cli import assert_user_error, igrag

FAST = ["--set", "method=adapter", "--set", "training.eval_strategy=no", "--set", "training.save_strategy=no"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("adapter-run") / "run"
    result = igrag("train", "configs/demo.yaml", *FAST, "--set", f"training.output_dir={out}", "--max-steps", "3")
    assert result.returncode == 0, result.stderr
    assert "training: 10,920 trainable of 1,307,048 parameters (0.84%)" in result.stdout + result.stderr
    return out


def test_the_demo_trains_with_adapters_saved_in_adapterhub_layout(trained):
    assert {"adapter_config.json", "adapter.safetensors", "run.yaml"} <= {p.name for p in trained.iterdir()}
    doc = json.loads((trained / "adapter_config.json").read_text())
    assert doc["config"]["output_adapter"] and doc["config"]["non_linearity"] == "relu"
    assert doc["version"] == "adapters.1.3.0" and doc["model_type"] == "t5"


def test_params_counts_it_by_location():
    result = igrag("params", "configs/demo.yaml", "--set", "method=adapter", "--set", "adapter.placement=houlsby",
                   "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["trainable"], data["total"], data["modules"]) == (21_840, 1_317_968, 10)
    assert data["by_module"] == {"self-attention": {"modules": 5, "trainable": 10_920},
                                 "feed-forward": {"modules": 5, "trainable": 10_920}}


def test_inspect_names_it_with_per_layer_sizes(trained):
    result = igrag("inspect", str(trained))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"bottleneck adapter tuning  [peft_type BOTTLENECK_ADAPTER]  {trained}"
    assert "  encoder.block.0.layer.1  feed-forward, 8 wide, 2,184 parameters" in lines
    assert "  decoder.block.1.layer.2  feed-forward, 8 wide, 2,184 parameters" in lines
    data = json.loads(igrag("inspect", str(trained), "--json").stdout)
    assert data["method"] == "bottleneck adapter tuning" and data["num_params"] == 10_920
    assert data["adapted_modules"] == 5 and data["warnings"] == []


def test_generate_side_by_side_with_the_base(trained):
    result = igrag("generate", "--base", "demo", "--adapter", str(trained), "--side-by-side",
                   "Write a caption for the image.")
    assert result.returncode == 0, result.stderr
    assert "[base] " in result.stdout and f"[{trained.name}] " in result.stdout


def test_merge_refuses_with_the_reason_and_writes_nothing(trained, tmp_path):
    before = sorted(p.name for p in trained.iterdir())
    result = igrag("merge", "--base", "demo", "--adapter", str(trained), "--out", str(tmp_path / "merged"))
    assert assert_user_error(result) == [
        f"igrag: error: adapter '{trained.name}' is a bottleneck adapter: its non-linearity sits between its "
        f"down- and up-projection, so it cannot fold into the model's weights; use it attached to the base "
        f"model instead (igrag generate --adapter)"]
    assert list(tmp_path.iterdir()) == [] and sorted(p.name for p in trained.iterdir()) == before


def test_a_family_without_t5_layers_is_refused_before_start(tiny_gpt2, make_config):
    config = make_config(model={"base_model_path": str(tiny_gpt2), "type": "causal"})
    result = igrag("params", str(config), "--set", "method=adapter")
    assert result.returncode == 2 and "Traceback" not in result.stderr  # (transformers warns on the tiny config)
    assert result.stderr.strip().splitlines()[-1] == (
        f"igrag: error: {config}: method: adapter cannot train a causal model here: igrag's bottleneck "
        f"adapters are built for T5-family models (t5, mt5), and gpt2 lays out its layers otherwise; "
        f"choose another method")
