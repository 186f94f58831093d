"""One check of a model folder, and config.json read as plain JSON.

The config checker, model loading and the playground all ask "is this a model folder?"; they
share these sentences. Reading config.json as JSON (not through transformers' ``AutoConfig``)
is what lets ``igrag validate`` and the window's first figures answer without importing torch.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from ..files.bounded import json_loads
from ..errors import UserError


def folder_problem(folder: Path) -> str | None:
    """Why ``folder`` is not a Hugging Face model folder, in one sentence; None when it is one."""
    if not folder.exists():
        return (f"model folder '{folder}' does not exist; give a folder that holds config.json "
                f"(and the weights)")
    if not folder.is_dir():
        return f"'{folder}' is a file, not a model folder; give the folder that holds config.json"
    if not (folder / "config.json").is_file():
        return (f"'{folder}' has no config.json, so it is not a Hugging Face model folder; choose the "
                f"folder that holds config.json and the weights")
    return None


def check_folder(folder: Path) -> None:
    """``folder_problem`` as a ``UserError``."""
    problem = folder_problem(folder)
    if problem:
        raise UserError(problem)


def read_config_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read '{path}' ({exc.strerror}); check its permissions") from None


def parse_config(raw: bytes, path: Path) -> dict[str, Any]:
    """config.json's content as a dict; a file that is not a JSON object is one sentence."""
    try:
        data = json_loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise UserError(f"'{path}' is not valid JSON ({str(exc).splitlines()[0]}); a model's config.json "
                        f"must be one JSON object") from None
    if not isinstance(data, dict):
        raise UserError(f"'{path}' is not a JSON object; a model's config.json must be one JSON object")
    return data


def config_digest(raw: bytes) -> str:
    """The key of everything derived from a config.json: its exact bytes."""
    return hashlib.blake2b(raw, digest_size=16).hexdigest()
