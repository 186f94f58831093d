"""Checkpoints on disk: finding them, writing them atomically, rotating, resuming.

Light on purpose (no torch at import): the GUI lists runs and checkpoints with it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

from .config import RunConfig
from .errors import UserError

CHECKPOINT_RE = re.compile(r"^checkpoint-(\d+)$")
STAGING = ".staging"


def list_checkpoints(output_dir: Path) -> list[Path]:
    """Complete checkpoints in ``output_dir``, oldest step first (staging folders excluded)."""
    if not output_dir.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in output_dir.iterdir()
             if (m := CHECKPOINT_RE.match(p.name)) and p.is_dir() and (p / "trainer_state.json").is_file()]
    return [p for _, p in sorted(found)]


def latest_checkpoint(output_dir: Path) -> Path | None:
    found = list_checkpoints(output_dir)
    return found[-1] if found else None


def replace_dir(src: Path, dst: Path) -> None:
    """Move the finished folder ``src`` to ``dst``, replacing what was there, never leaving
    ``dst`` half-written (a crash leaves the old one, or the old one beside as ``.old``)."""
    old = dst.with_name(dst.name + ".old")
    if old.exists():
        shutil.rmtree(old)
    if dst.exists():
        os.replace(dst, old)
    os.replace(src, dst)
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)


def fsync_tree(folder: Path) -> None:
    for path in folder.iterdir():
        if path.is_file():
            with path.open("rb") as fh:
                os.fsync(fh.fileno())


def check_resume_compatible(checkpoint: Path, cfg: RunConfig) -> None:
    """Refuse to resume into a different LoRA shape: the saved tensors would not fit."""
    config_file = checkpoint / "adapter_config.json"
    try:
        saved = json.loads(config_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise UserError(f"cannot resume from '{checkpoint}': its adapter_config.json is missing or "
                        f"unreadable; choose another checkpoint") from None
    want_targets = cfg.lora.target_modules
    saved_targets = saved.get("target_modules")
    same_targets = (sorted(saved_targets) == sorted(want_targets)
                    if isinstance(saved_targets, list) and isinstance(want_targets, list)
                    else saved_targets == want_targets)
    if saved.get("r") != cfg.lora.r or not same_targets or bool(saved.get("use_dora")) != cfg.lora.use_dora:
        def shape(r: Any, t: Any, dora: Any) -> str:
            targets = ", ".join(sorted(t)) if isinstance(t, list) else t
            return f"r={r} on [{targets}]" + (" with DoRA" if dora else "")
        raise UserError(f"cannot resume from '{checkpoint}': it was trained with "
                        f"{shape(saved.get('r'), saved_targets, saved.get('use_dora'))} but the config "
                        f"asks for {shape(cfg.lora.r, want_targets, cfg.lora.use_dora)}; resume with the "
                        f"original LoRA settings, or start a new run in another output_dir")


def save_adapter(model: Any, target: Path, extra: dict[str, Any] | None = None) -> Path:
    """``model.save_pretrained`` into a staging folder, then renamed over ``target``."""
    staging = target.parent / STAGING / target.name
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    model.save_pretrained(str(staging))
    if extra:
        (staging / "igrag.json").write_text(json.dumps(extra, indent=2), encoding="utf-8")
    fsync_tree(staging)
    replace_dir(staging, target)
    return target


def rotate(run_dir: Path, limit: int | None, best: str | None) -> None:
    """Keep the newest ``limit`` checkpoints, and the best one whatever its age."""
    if not limit:
        return
    found = list_checkpoints(run_dir)
    keep = set(found[-limit:])
    if best:
        keep.add(Path(best))
    for path in found:
        if path not in keep:
            shutil.rmtree(path, ignore_errors=True)


def resolve_resume(cfg: RunConfig, resume: str | bool | None) -> Path | None:
    """``True`` means the latest checkpoint in output_dir; a string names one."""
    if not resume:
        return None
    if resume is True:
        found = latest_checkpoint(cfg.output_path)
        if found is None:
            raise UserError(f"--resume: no checkpoint in '{cfg.output_path}' to resume from; train "
                            f"without --resume first, or name a checkpoint folder")
        return found
    path = Path(resume).expanduser().resolve()
    if not (path / "trainer_state.json").is_file():
        raise UserError(f"--resume: '{path}' is not a resumable checkpoint (no trainer_state.json); "
                        f"give a checkpoint-N folder from the run's output_dir")
    return path


