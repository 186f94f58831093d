"""Checkpoints on disk: finding them, writing them atomically, rotating, resuming.

Light on purpose (no torch at import): the GUI lists runs and checkpoints with it.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from ..config import RunConfig
from ..files.bounded import json_loads
from ..errors import UserError
from ..files.output_folders import CHECKPOINT_RE, latest_checkpoint, list_checkpoints  # noqa: F401 - re-exported

STAGING = ".staging"


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


# The saved keys that fix the shape of an adapter's tensors, per PEFT type.
_SHAPE_KEYS = ("r", "init_r", "target_r", "target_modules", "use_dora", "num_virtual_tokens",
               "num_transformer_submodules", "oft_block_size", "decompose_both", "decompose_factor",
               "feedforward_modules", "encoder_hidden_size", "encoder_num_layers", "prefix_projection",
               "encoder_reparameterization_type", "block_share")


def check_checkpoint_files(checkpoint: Path) -> None:
    """Refuse a checkpoint whose weights or saved states are damaged or cut short (a copy that
    stopped, a full disk): safetensors headers and layouts are checked against the file's size,
    torch's ``.pt``/``.pth``/``.bin`` archives must have their directory. Reads only headers."""
    import zipfile

    from ..files.safetensors_header import FIX_HINT, read_header

    for path in sorted(checkpoint.iterdir()) if checkpoint.is_dir() else []:
        why = None
        if path.suffix == ".safetensors":
            try:
                read_header(path)
            except UserError as exc:
                why = exc.lines[0].removeprefix(f"{path}: ").removesuffix(f"; {FIX_HINT}")
        elif path.suffix in (".pt", ".pth", ".bin"):
            try:
                with zipfile.ZipFile(path):
                    pass
            except (zipfile.BadZipFile, OSError, EOFError):
                why = "not a complete torch archive"
        if why:
            raise UserError(f"cannot resume from '{checkpoint}': its {path.name} is damaged or cut short ({why}); "
                            f"resume from an earlier checkpoint (--resume PATH) or start a new run in another "
                            f"output_dir")


def check_resume_compatible(checkpoint: Path, cfg: RunConfig) -> None:
    """Refuse to resume into another method or shape, naming both: the saved tensors would not fit."""
    from ..methods import METHOD_SPECS, build_peft_config

    check_checkpoint_files(checkpoint)
    config_file = checkpoint / "adapter_config.json"
    try:
        saved = json_loads(config_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise UserError(f"cannot resume from '{checkpoint}': its adapter_config.json is missing or "
                        f"unreadable; choose another checkpoint") from None
    spec = METHOD_SPECS.get(cfg.method)
    want_type = spec.peft_type if spec else cfg.method
    from ..methods.bottleneck_section import PEFT_TYPE as BOTTLENECK

    saved_type = BOTTLENECK if "config" in saved and "peft_type" not in saved else saved.get("peft_type")
    if saved_type == BOTTLENECK and want_type == BOTTLENECK:
        return _check_bottleneck_resume(checkpoint, cfg, saved)
    if saved_type != want_type:
        raise UserError(f"cannot resume from '{checkpoint}': it is a {saved_type} adapter but "
                        f"the config asks for {want_type} (method {cfg.method}); set method back, or "
                        f"start a new run in another output_dir")
    wanted = build_peft_config(cfg, "seq2seq" if saved.get("task_type") == "SEQ_2_SEQ_LM" else "causal",
                               total_steps=saved.get("total_step")).to_dict()

    def norm(value: Any) -> Any:
        return sorted(value) if isinstance(value, (list, set, tuple)) else value

    keys = [k for k in _SHAPE_KEYS if k in saved and k in wanted and wanted[k] is not None
            and norm(saved[k]) != norm(wanted[k])]
    if keys:
        def shape(config: dict) -> str:
            return ", ".join(f"{k}={_show(config.get(k))}" for k in keys) + (
                " with DoRA" if config.get("use_dora") and "use_dora" not in keys else "")
        raise UserError(f"cannot resume from '{checkpoint}': it was trained with {shape(saved)} but the "
                        f"config asks for {shape(wanted)}; resume with the original {cfg.method} "
                        f"settings, or start a new run in another output_dir")


_BOTTLENECK_SHAPE = ("mh_adapter", "output_adapter", "cross_adapter", "reduction_factor", "ln_before",
                     "ln_after", "scaling")


def _check_bottleneck_resume(checkpoint: Path, cfg: RunConfig, saved: dict) -> None:
    from ..methods.bottleneck_section import to_adapterhub

    have = saved["config"]
    want = to_adapterhub(cfg.adapter, int(saved.get("hidden_size") or 0), 0, 0)
    keys = [k for k in _BOTTLENECK_SHAPE if have.get(k) != want.get(k)
            and not (k == "scaling" and not isinstance(have.get(k), str) and not isinstance(want.get(k), str))]
    if keys:
        raise UserError(f"cannot resume from '{checkpoint}': it was trained with "
                        f"{', '.join(f'{k}={have.get(k)}' for k in keys)} but the config asks for "
                        f"{', '.join(f'{k}={want.get(k)}' for k in keys)}; resume with the original adapter "
                        f"settings, or start a new run in another output_dir")


def _show(value: Any) -> str:
    if isinstance(value, (list, set, tuple)):
        return "[" + ", ".join(sorted(map(str, value))) + "]"
    return str(value)


def save_adapter(model: Any, target: Path, extra: dict[str, Any] | None = None) -> Path:
    """``model.save_pretrained`` into a staging folder, then renamed over ``target``."""
    staging = target.parent / STAGING / target.name
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    if getattr(model, "igrag_bottleneck", None) is not None:  # ours, in AdapterHub's layout
        from ..methods import bottleneck

        bottleneck.save(model, staging)
    else:
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


