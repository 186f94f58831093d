"""``training.early_stopping_patience``: transformers' EarlyStoppingCallback on the best-model metric."""

from __future__ import annotations

from pathlib import Path

import pytest

from igrag_gui.core.config import load_config
from igrag_gui.core.training.events import Collect, Evaluated, Finished, Message
from igrag_gui.core.training.train import train

TINY = Path(__file__).resolve().parents[2] / "fixtures" / "sweep" / "tiny.yaml"
pytestmark = pytest.mark.slow


def run(tmp_path: Path, *sets: str) -> Collect:
    cfg, _ = load_config(TINY, [f"training.output_dir={tmp_path / 'run'}", "training.max_steps=6",
                                "training.eval_steps=1", *sets])
    sink = Collect()
    train(cfg, sink)
    return sink


def test_a_run_whose_metric_stops_improving_ends_early(tmp_path):
    # a learning rate too small to change BLEU: the second evaluation is no better than the first
    sink = run(tmp_path, "training.early_stopping_patience=1", "training.learning_rate=1e-12")
    assert [e.step for e in sink.of(Evaluated)] == [1, 2]
    assert sink.of(Finished)[0].step == 2 and not sink.of(Finished)[0].stopped


def test_early_stopping_without_validation_data_warns_and_trains_on(tmp_path):
    sink = run(tmp_path, "training.early_stopping_patience=1", "training.eval_strategy=no", "training.max_steps=2")
    assert sink.of(Finished)[0].step == 2
    assert any("early_stopping_patience needs validation data" in m.text for m in sink.of(Message))
