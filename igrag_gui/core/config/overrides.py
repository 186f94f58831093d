"""What turns the saved config into the edited one, as ``--set`` items: the "Copy command"
menu gives a terminal the run the window would start, unsaved edits included."""

from __future__ import annotations

import dataclasses
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .fields import SECTION_CLASSES

if TYPE_CHECKING:
    from .run_config import RunConfig


def flow(value: Any) -> str:
    """``value`` as one line of YAML (``[q, v]``, ``0.0003``), the way ``--set`` parses it back."""
    import yaml

    text = yaml.safe_dump(value, default_flow_style=True, width=1_000_000).strip()
    return text[:-4].strip() if text.endswith("\n...") or text.endswith(" ...") else text


def overrides_since(cfg: "RunConfig", saved: "RunConfig") -> list[str]:
    """The ``--set`` items (``section.key=value``) that make ``saved`` into ``cfg``, method first,
    then each changed key in section order, spelled as the file spells it. A section the saved
    file lacks (a method just chosen) is compared with its defaults, which need no ``--set``."""
    now, before = cfg.to_dict(), saved.to_dict()
    items = []
    if now.get("method", "lora") != before.get("method", "lora"):
        items.append(f"method={now.get('method', 'lora')}")
    for section in SECTION_CLASSES:
        was = before[section] if section in before else dataclasses.asdict(SECTION_CLASSES[section]())
        for key, value in now.get(section, {}).items():
            if was.get(key) != value:
                items.append(f"{section}.{key}={flow(value)}")
    return items


def train_command(cfg: "RunConfig", saved: "RunConfig | None", launcher: str = "igrag") -> str:
    """The shell line that trains ``cfg``: its file on disk plus ``--set`` for unsaved edits.
    ``launcher`` is ``igrag`` (one process) or ``accelerate`` (two processes)."""
    path = cfg.source or Path("run.yaml")
    parts = [f"igrag train {shlex.quote(str(path))}"] if launcher == "igrag" else \
        [f"accelerate launch --num_processes 2 -m igrag_gui train {shlex.quote(str(path))}"]
    for item in overrides_since(cfg, saved) if saved is not None else []:
        parts.append(f"--set {item}" if item.startswith("method=") else f"--set {_quote(item)}")
    return " ".join(parts)


def _quote(item: str) -> str:
    """Single quotes always (the value may hold brackets, spaces or ``*``), escaped POSIX-style."""
    return "'" + item.replace("'", "'\"'\"'") + "'"
