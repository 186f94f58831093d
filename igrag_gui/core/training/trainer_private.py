"""The one place that touches a private name of transformers' Trainer.

transformers 5 has no public hook for *where* a checkpoint is written (``on_save`` runs after the
files are in place), so our atomic checkpoints point ``Trainer._get_output_dir`` at a staging
folder while ``Trainer._save_checkpoint`` writes. ``tests/core/test_trainer_seams.py`` pins both
names and how the parent uses them, so an upgrade that changes them fails loudly there; the
dependency's upper bound (``transformers<6``) keeps a user from meeting an untested one.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, Iterator


def output_dir(trainer: Any, trial: Any = None) -> Path:
    """The run folder the Trainer writes checkpoints below."""
    return Path(trainer._get_output_dir(trial=trial))  # noqa: SLF001 - the fenced private name


@contextlib.contextmanager
def checkpoints_written_to(trainer: Any, folder: Path) -> Iterator[None]:
    """While inside, the Trainer's checkpoints land in ``folder`` instead of the run folder."""
    original = trainer._get_output_dir  # noqa: SLF001 - the fenced private name
    trainer._get_output_dir = lambda trial=None: str(folder)  # noqa: SLF001
    try:
        yield
    finally:
        trainer._get_output_dir = original  # noqa: SLF001
