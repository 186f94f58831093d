"""Which folder a config's relative paths start from.

IGRAG runs its scripts from the repository root, so its ``lora_training/config/lora_config.yaml``
says ``data.train_path: lora_training/data/...``: relative to the root, two folders above the
config. The rule: relative paths start at the config file's folder when the data is there,
otherwise at the nearest folder above it where the data is; the output folder and a relative
model folder follow the same base as the data. A config with no file starts at the working folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable


@dataclass(frozen=True)
class PathBase:
    """The folder relative paths start from, the config's own folder, and how the base was found."""

    folder: Path
    config_folder: Path | None
    found_by: str | None = None  # the data path that decided an ancestor, e.g. 'data.train_path'

    @property
    def is_config_folder(self) -> bool:
        return self.config_folder is None or self.folder == self.config_folder

    def describe(self) -> str:
        """One line for ``igrag validate``."""
        if self.config_folder is None:
            return f"relative paths start at the working folder {self.folder}"
        if self.is_config_folder:
            return f"relative paths start at the config's folder {self.folder}"
        return (f"relative paths start at {self.folder}, the nearest folder above the config's "
                f"folder that holds {self.found_by} (as IGRAG's scripts, run from there, expect)")

    def not_found(self, value: str) -> str:
        """Why a relative path resolves nowhere, naming both bases tried."""
        if self.config_folder is None:
            return f"'{self.folder / value}' does not exist"
        top = self.config_folder.anchor or "/"
        return (f"'{value}' exists neither in the config's folder {self.config_folder} nor in any "
                f"folder above it up to {top}")


def _relative(value: object) -> Path | None:
    if not isinstance(value, str) or not value.strip():
        return None
    path = Path(value).expanduser()
    return None if path.is_absolute() else path


def find_base(config_folder: Path | None, data_paths: Iterable[tuple[str, object]],
              cwd: Path | None = None) -> PathBase:
    """The base for ``data_paths`` (``(field, value)`` pairs, decided in order): the config's
    folder, or the nearest folder above it where a data path exists."""
    if config_folder is None:
        return PathBase(cwd or Path.cwd(), None)
    folder = Path(config_folder)
    for name, value in data_paths:
        rel = _relative(value)
        if rel is None:
            continue
        if (folder / rel).exists():
            return PathBase(folder, folder, name)
        resolved = folder.resolve() if not folder.is_absolute() else folder
        for above in resolved.parents:
            if (above / rel).exists():
                return PathBase(above, folder, name)
    return PathBase(folder, folder)
