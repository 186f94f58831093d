"""What the Train tab says about a config without training it: where its runs live and the
``igrag train`` line that reproduces it (the Copy command button). The logic is the core's
(``core.experiments.runs``, ``core.config.overrides``); these names keep the tab's imports short."""

from __future__ import annotations

from pathlib import Path

from ...core.config import RunConfig
from ...core.config.overrides import train_command


def run_folders(cfg: RunConfig) -> list[Path]:
    """Where a config's runs live: its output_dir and the folder beside it (its neighbours)."""
    from ...core.experiments.runs import config_run_folders

    return config_run_folders(cfg)


def find_runs(cfg: RunConfig) -> list[Path]:
    """Run folders (holding metrics.jsonl) at the config's output_dir and beside it, newest first."""
    from ...core.experiments.runs import config_runs

    return config_runs(cfg)


def command_line(cfg: RunConfig, saved: RunConfig | None, launcher: str = "igrag") -> str:
    """The ``igrag train`` line for the file on disk plus ``--set`` for unsaved edits."""
    return train_command(cfg, saved, launcher)
