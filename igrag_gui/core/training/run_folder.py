"""A run's folder and its own files: claimed for a new run (or resumed), ``run.yaml`` with the
versions that made it, ``metrics.jsonl`` trimmed back to the checkpoint on resume, and the final
adapter renamed into place. Split from ``training.py``, which drives the Trainer."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from .checkpoints import STAGING, save_adapter
from ..config import RunConfig
from ..errors import UserError


def write_run_yaml(cfg: RunConfig, output_dir: Path) -> None:
    import peft
    import torch
    import transformers
    import yaml

    from ... import __version__

    resolved = cfg.rebased(output_dir).to_dict()
    resolved["versions"] = {"igrag_gui": __version__, "torch": str(torch.__version__),
                            "transformers": transformers.__version__, "peft": peft.__version__}
    tmp = output_dir / ".run.yaml.tmp"
    tmp.write_text(yaml.safe_dump(resolved, sort_keys=False), encoding="utf-8")
    os.replace(tmp, output_dir / "run.yaml")


def trim_metrics(path: Path, up_to_step: int) -> None:
    """On resume, forget what was logged after the checkpoint (it will be logged again)."""
    if not path.exists():
        return
    kept = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            step = json.loads(line).get("step")
        except ValueError:
            continue  # a line cut short by a kill
        if step is None or step <= up_to_step:
            kept.append(line)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(k + "\n" for k in kept), encoding="utf-8")
    os.replace(tmp, path)


def claim_output_dir(output_dir: Path, resume_path: Path | None, scratch: bool) -> None:
    """A new run gets a folder of its own (``output_folders.fresh_run_refusal``): refused when
    output_dir holds an earlier run or anything else, unless this run resumes one of its
    checkpoints; a scratch run found there (the self-test's) goes to the trash. The folder is
    marked as igrag's run folder before anything else is written."""
    from ..files.output_folders import contents, fresh_run_refusal, mark, marker, to_trash

    if resume_path is None or output_dir not in resume_path.parents:
        reason = fresh_run_refusal(output_dir)
        if reason:
            raise UserError(f"training.output_dir: {reason}")
        if contents(output_dir):
            to_trash(output_dir)  # a scratch run: the only content fresh_run_refusal lets through
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        if marker(output_dir) is None or resume_path is None:
            mark(output_dir, "run", scratch=scratch)
    except OSError as exc:
        raise UserError(f"training.output_dir: cannot write to '{output_dir}' ({exc.strerror}); "
                        f"choose a folder you can write to") from None


def save_final(model: Any, output_dir: Path) -> None:
    """The final adapter lands in output_dir itself, each file renamed into place."""
    staged = save_adapter(model, output_dir / STAGING / "final")
    for name in os.listdir(staged):
        os.replace(staged / name, output_dir / name)
    shutil.rmtree(output_dir / STAGING, ignore_errors=True)
