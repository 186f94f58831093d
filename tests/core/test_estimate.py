"""What the estimate's probe relies on: training.gradient_checkpointing trains (the fit suggestion is
a real setting), and the worst batch puts the longest prompt and the longest caption together."""

from __future__ import annotations

import pytest

from igrag_gui.core.config import load_config
from igrag_gui.core.training.estimate import worst_batch
from igrag_gui.core.training.events import Collect
from igrag_gui.resources import demo_config_path


def test_the_worst_batch_holds_the_longest_prompt_and_the_longest_caption():
    sources, targets = [5, 90, 10, 40, 7], [30, 2, 3, 9, 60]
    assert worst_batch(sources, targets, 2) == [1, 4]
    assert worst_batch(sources, targets, 3) == [1, 4, 3]  # then by prompt + caption (92, 67, 49, 40)
    assert worst_batch(sources, targets, 10) == [1, 4, 3, 0, 2]


@pytest.mark.slow
def test_gradient_checkpointing_trains_with_the_checkpointed_model(tmp_path):
    from igrag_gui.core.training.train import prepare

    cfg, _ = load_config(demo_config_path(), [f"training.output_dir={tmp_path}", "training.eval_strategy=no",
                                              "training.save_strategy=no", "training.gradient_checkpointing=true"])
    run = prepare(cfg, Collect(), max_steps=2)
    result = run.trainer.train()
    assert result.global_step == 2 and result.training_loss == result.training_loss  # finite, not NaN
    base = run.trainer.model.get_base_model()
    assert any(getattr(m, "gradient_checkpointing", False) for m in base.modules())
