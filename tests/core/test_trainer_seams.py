"""The private Trainer methods our engine overrides, pinned, so a transformers upgrade that changes
them fails here, loudly, instead of silently skipping our atomic checkpoints.

transformers 5 has no public hook for *where* a checkpoint is written (``on_save`` runs after the
files are in place), so ``IgragTrainer._save_checkpoint`` (core/training/train.py) overrides the private
method and points ``_get_output_dir`` at ``.staging/`` while the parent writes.
"""

from __future__ import annotations

import inspect

from transformers import Seq2SeqTrainer, Trainer


def params(fn) -> list[str]:
    return list(inspect.signature(fn).parameters)


def test_save_checkpoint_signature_is_what_we_override():
    assert params(Trainer._save_checkpoint) == ["self", "model", "trial"]
    assert Seq2SeqTrainer._save_checkpoint is Trainer._save_checkpoint


def test_get_output_dir_signature_and_use():
    assert params(Trainer._get_output_dir) == ["self", "trial"]
    # our staging redirect works only because the parent asks _get_output_dir for the run folder
    # and writes the checkpoint below it
    source = inspect.getsource(Trainer._save_checkpoint)
    assert "run_dir = self._get_output_dir(trial=trial)" in source
    assert "os.path.join(run_dir, checkpoint_folder)" in source


def test_the_training_loop_still_saves_through_save_checkpoint():
    source = inspect.getsource(Trainer._maybe_log_save_evaluate)
    assert "self._save_checkpoint(model, trial)" in source


def test_public_methods_we_extend_keep_their_arguments():
    assert params(Trainer.training_step)[:4] == ["self", "model", "inputs", "num_items_in_batch"]
    assert params(Trainer.evaluation_loop)[:6] == ["self", "dataloader", "description", "prediction_loss_only",
                                                   "ignore_keys", "metric_key_prefix"]


def test_the_fence_redirects_and_restores_the_output_dir(tmp_path):
    """core/training/trainer_private.py is the only user of the private name: check its effect for real."""
    from transformers import TrainingArguments

    from igrag_gui.core.training import trainer_private

    import torch

    trainer = Trainer(model=torch.nn.Linear(2, 2), args=TrainingArguments(output_dir=str(tmp_path / "run"),
                                                                         report_to=[], use_cpu=True))
    assert trainer_private.output_dir(trainer) == tmp_path / "run"
    with trainer_private.checkpoints_written_to(trainer, tmp_path / "staging"):
        assert trainer_private.output_dir(trainer) == tmp_path / "staging"
    assert trainer_private.output_dir(trainer) == tmp_path / "run"


def test_no_other_module_names_the_private_trainer_methods():
    from pathlib import Path

    package = Path(__file__).resolve().parents[2] / "igrag_gui"
    users = sorted(str(p.relative_to(package)) for p in package.rglob("*.py") if "_get_output_dir" in p.read_text())
    assert users == ["core/training/trainer_private.py"]
