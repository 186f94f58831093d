"""``igrag estimate``: a real probe on the demo model (its JSON keys, a verdict, nothing written
into output_dir), a bad config refused in one line, and the fit suggestions' arithmetic."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from igrag_gui.core.config import load_config
from tests.cli.test_cli import assert_user_error, igrag

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "sweep"
KEYS = {"device", "device_name", "memory_kind", "peak_mb", "host_peak_mb", "train_peak_mb", "eval_peak_mb",
        "fixed_mb", "budget_mb", "verdict", "seconds_per_step", "steps", "epochs", "examples",
        "effective_batch_size", "evaluations", "seconds_per_evaluation", "setup_seconds", "total_seconds",
        "probe_steps", "worst_batch", "suggestions", "notes"}


def tiny_run(tmp_path: Path) -> Path:
    """The sweep fixture's tiny demo run (16 training, 4 validation examples), in tmp_path."""
    for name in ("train.jsonl", "val.jsonl"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    text = (FIXTURES / "tiny.yaml").read_text().replace("../../../resources", str(ROOT / "resources"))
    path = tmp_path / "tiny.yaml"
    path.write_text(text)
    return path


@pytest.mark.slow
def test_estimate_json_on_the_demo_model_predicts_memory_and_time_and_writes_nothing(tmp_path):
    config = tiny_run(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    result = igrag("estimate", str(config), "--json", "--set", "training.max_steps=-1",
                   "--set", "training.num_train_epochs=3", env={"OMP_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == KEYS
    assert data["device"] == "cpu" and data["verdict"] == "fits" and data["suggestions"] == []
    assert 0 < data["fixed_mb"] < data["train_peak_mb"] <= data["peak_mb"] == data["host_peak_mb"] < data["budget_mb"]
    # 16 examples in batches of 8 for 3 epochs; one evaluation per epoch
    assert (data["examples"], data["steps"], data["epochs"], data["evaluations"]) == (16, 6, 3.0, 3)
    # the worst batch, a warm-up, then 4 to 30 timed steps (until they add up to 5 s)
    assert 6 <= data["probe_steps"] <= 32 and data["worst_batch"]["examples"] == 8
    assert data["seconds_per_step"] > 0 and data["seconds_per_evaluation"] > 0
    assert data["total_seconds"] == pytest.approx(data["setup_seconds"] + 6 * data["seconds_per_step"]
                                                  + 3 * data["seconds_per_evaluation"], abs=0.2)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no runs/tiny, nothing else


def test_a_config_with_a_bad_value_is_refused_before_any_probe(tmp_path):
    config = tiny_run(tmp_path)
    lines = assert_user_error(igrag("estimate", str(config), "--set", "training.train_batch_size=0"))
    assert len(lines) == 1 and lines[0].startswith(f"igrag: error: {config}") and "train_batch_size" in lines[0]
    assert not (tmp_path / "runs").exists()


def test_suggestions_scale_the_measured_activations_to_fit(tmp_path):
    from igrag_gui.core.training.estimate import _verdict, suggestions

    cfg, _ = load_config(tiny_run(tmp_path))  # batch 8, accumulation 1, max_source_length 128
    assert [_verdict(p, 1000) for p in (850, 851, 1000, 1001)] == ["fits", "tight", "tight", "exceeds"]
    found = suggestions(cfg, fixed=400, train_peak=1000, eval_peak=None, budget=800)  # goal: 680 MB
    assert [(s.settings, s.peak_mb) for s in found] == [
        ({"training.train_batch_size": 2, "training.gradient_accumulation_steps": 4}, 550.0),
        ({"training.gradient_checkpointing": True}, 640.0),
        ({"data.max_source_length": 32}, 550.0)]
    nothing = suggestions(cfg, fixed=900, train_peak=1000, eval_peak=None, budget=800)
    assert [s.settings for s in nothing] == [{}] and "smaller base model" in nothing[0].note
