"""The checks of a config that look at the disk: the model folder, the data files, the output folder.

``validate`` runs them with the others; the form runs them apart (``file_problems``), once the
user pauses typing, and keeps their answer while ``disk_inputs`` is unchanged: a keystroke in
``lora.r`` never stats a file.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .field_checks import _check_field, _check_output_dir
from ..errors import Problem
from .fields import field_specs
from ..models.ref import looks_like_local_path

if TYPE_CHECKING:
    from .run_config import RunConfig

FILE_KEYS = ("model.base_model_path", "data.train_path", "data.val_path", "training.output_dir")


def disk_inputs(cfg: "RunConfig") -> tuple:
    """Everything the disk checks' answer depends on besides the disk itself (read without it)."""
    return (cfg.source, cfg.path_root, *(getattr(getattr(cfg, s), n) for s, n in (k.split(".") for k in FILE_KEYS)))


def file_problems(cfg: "RunConfig", ok: set[str] | None = None) -> list[Problem]:
    """The disk checks' problems. ``ok``: the keys whose values passed the field checks (found
    here when not given; a value of the wrong type is not looked for on disk)."""
    if ok is None:
        ok = set()
        for key in FILE_KEYS:
            section, name = key.split(".")
            meta = next(f.metadata for f in field_specs(section) if f.name == name)
            if not _check_field(key, getattr(getattr(cfg, section), name), meta):
                ok.add(key)
    out: list[Problem] = []
    if "model.base_model_path" in ok:
        value = cfg.model.base_model_path
        if looks_like_local_path(value, cfg.base_dir):
            folder = cfg.resolve_path(value)
            if not folder.exists():
                from ..models.stand_in import missing_folder_problem

                severity, message = missing_folder_problem(folder)
                out.append(Problem("model.base_model_path", message, severity))
            else:
                from ..models.folder import folder_problem

                problem = folder_problem(folder)
                if problem:
                    out.append(Problem("model.base_model_path", problem))
    for key, required in (("data.train_path", True), ("data.val_path", False)):
        section, name = key.split(".")
        value = getattr(cfg.data, name)
        if key not in ok or (not value and not required):
            continue
        if not value:
            out.append(Problem(key, "is empty; give the path of a JSONL, CSV or JSON file"))
            continue
        path = cfg.resolve_path(value)
        if not path.exists():
            base = cfg.path_base
            where = base.not_found(value) if not Path(value).expanduser().is_absolute() \
                else f"file '{path}' does not exist"
            out.append(Problem(key, f"{where}; check the path"))
        elif path.is_dir():
            out.append(Problem(key, f"'{path}' is a folder; give the data file itself"))
    if "training.output_dir" in ok:
        out.extend(_check_output_dir(cfg.output_path))
    return out
