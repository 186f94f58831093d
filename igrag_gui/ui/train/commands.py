"""What the Train tab says about a config without training it: where its runs live and the
``igrag train`` line that reproduces it (the Copy command button)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ...core.config import SECTION_CLASSES, RunConfig


def run_folders(cfg: RunConfig) -> list[Path]:
    """Where a config's runs live: its output_dir and the folder beside it (its neighbours)."""
    return [cfg.output_path, cfg.output_path.parent]


def find_runs(cfg: RunConfig) -> list[Path]:
    """Run folders (holding metrics.jsonl) at the config's output_dir and beside it, newest first."""
    from ...core.experiments.runs import find_runs as find

    return find(run_folders(cfg), depth=1)


def _flow(value: Any) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, width=1_000_000).strip()
    return text[:-4].strip() if text.endswith("\n...") or text.endswith(" ...") else text


def command_line(cfg: RunConfig, saved: RunConfig | None, launcher: str = "igrag") -> str:
    """The ``igrag train`` line for the file on disk plus ``--set`` for unsaved edits."""
    path = cfg.source or Path("run.yaml")
    parts = [f"igrag train {path}"] if launcher == "igrag" else \
        [f"accelerate launch --num_processes 2 -m igrag_gui train {path}"]
    if saved is not None:
        now, before = cfg.to_dict(), saved.to_dict()
        if now.get("method", "lora") != before.get("method", "lora"):
            parts.append(f"--set method={now.get('method', 'lora')}")
        for section in SECTION_CLASSES:
            for key, value in now.get(section, {}).items():
                if before.get(section, {}).get(key) != value:
                    parts.append(f"--set '{section}.{key}={_flow(value)}'")
    return " ".join(parts)
