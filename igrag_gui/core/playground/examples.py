"""Validation examples to try: the Playground's prompt box starts with one from the run's data.

A run folder holds ``run.yaml`` (the config it was trained with); its ``data.val_path`` is the
data the adapter was scored on, so its prompts are the natural first thing to try. An adapter in
``checkpoint-N/`` or ``best/`` finds the run's ``run.yaml`` one folder up.
"""

from __future__ import annotations

from pathlib import Path

from ..data.records import Example, first_examples
from ..errors import UserError

RUN_CONFIG = "run.yaml"


def run_validation_file(adapter: str | Path) -> Path | None:
    """The validation file of the run ``adapter`` comes from, when its ``run.yaml`` names one that
    exists; None otherwise (no run folder, no val_path, an unreadable config)."""
    from ..config import load_config

    folder = Path(adapter)
    if folder.is_file():
        folder = folder.parent
    for candidate in (folder, folder.parent):
        config = candidate / RUN_CONFIG
        if not config.is_file():
            continue
        try:
            cfg, _ = load_config(config)
            val = cfg.val_file
        except (UserError, OSError, ValueError):
            return None
        return val if val is not None and val.is_file() else None
    return None


def validation_examples(path: str | Path, limit: int = 200) -> list[Example]:
    """The first ``limit`` records of ``path`` that have a prompt (``UserError`` for a bad file)."""
    return [e for e in first_examples(Path(path), limit) if e.prompt.strip()]


def run_examples(adapter: str | Path, limit: int = 200) -> tuple[Path, list[Example]] | None:
    """The validation file of ``adapter``'s run and its first prompts; None when there is none
    or it cannot be read (the Playground then keeps what it offers)."""
    path = run_validation_file(adapter)
    if path is None:
        return None
    try:
        return path, validation_examples(path, limit)
    except UserError:
        return None
