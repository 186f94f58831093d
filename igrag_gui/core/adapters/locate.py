"""Find an adapter's two files from whatever path the user gave: a folder, the config or the weights.

PEFT's ``save_pretrained`` writes ``adapter_config.json`` and ``adapter_model.safetensors`` (older
releases ``adapter_model.bin``) side by side; any one of them, or their folder, names the adapter.
A path that names none of these is refused with what was expected, and a folder that only holds
adapters in subfolders (a run's ``checkpoint-N``, extra named adapters) says which ones.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError

from .files import CONFIG_NAME, PICKLE_NAMES, PICKLE_SUFFIXES, SAFETENSORS_NAME
_DIGITS = re.compile(r"(\d+)")
HUB_SAFETENSORS_NAME = "adapter.safetensors"  # AdapterHub's (bottleneck adapters)
EXPECTED = (f"a folder with {CONFIG_NAME} and {SAFETENSORS_NAME} (as PEFT's save_pretrained "
            f"writes), or one of those two files")


@dataclass(frozen=True)
class AdapterFiles:
    given: Path  # what the user typed
    folder: Path
    config: Path | None
    weights: Path | None
    weights_format: str | None  # "safetensors", "pickle" or None

    def to_json(self) -> dict[str, str | None]:
        return {"given": str(self.given), "folder": str(self.folder),
                "config": None if self.config is None else str(self.config),
                "weights": None if self.weights is None else str(self.weights),
                "weights_format": self.weights_format}


def locate(path: str | os.PathLike) -> AdapterFiles:
    """The adapter files ``path`` names; ``UserError`` when it names none."""
    given = Path(path)
    try:
        if not given.exists():
            raise UserError(f"'{given}' does not exist; give {EXPECTED}")
        if given.is_dir():
            return _in_folder(given)
        if not given.is_file():
            raise UserError(f"'{given}' is not a file or folder; give {EXPECTED}")
    except OSError as exc:
        raise UserError(f"cannot read '{given}': {exc.strerror or exc}") from None
    name = given.name.lower()
    folder = given.parent
    if name.endswith(".json"):
        weights, fmt = _weights_in(folder)
        return AdapterFiles(given, folder, given, weights, fmt)
    if name.endswith(".safetensors"):
        config = folder / CONFIG_NAME
        return AdapterFiles(given, folder, config if config.is_file() else None, given, "safetensors")
    if name.endswith(PICKLE_SUFFIXES):
        config = folder / CONFIG_NAME
        return AdapterFiles(given, folder, config if config.is_file() else None, given, "pickle")
    raise UserError(f"'{given}' is neither an adapter config (.json) nor adapter weights "
                    f"(.safetensors); give {EXPECTED}")


def _weights_in(folder: Path) -> tuple[Path | None, str | None]:
    for name in (SAFETENSORS_NAME, HUB_SAFETENSORS_NAME):
        candidate = folder / name
        if candidate.is_file():
            return candidate, "safetensors"
    for name in PICKLE_NAMES:
        candidate = folder / name
        if candidate.is_file():
            return candidate, "pickle"
    return None, None


def _in_folder(folder: Path) -> AdapterFiles:
    config = folder / CONFIG_NAME
    weights, fmt = _weights_in(folder)
    if config.is_file() or weights is not None:
        return AdapterFiles(folder, folder, config if config.is_file() else None, weights, fmt)
    inside = adapter_subfolders(folder)
    if inside:
        shown = ", ".join(inside[:5]) + (f" and {len(inside) - 5} more" if len(inside) > 5 else "")
        raise UserError(f"'{folder}' holds no adapter itself, only in subfolders: {shown}; "
                        f"inspect one of those")
    raise UserError(f"'{folder}' holds no adapter: expected {CONFIG_NAME} and {SAFETENSORS_NAME} "
                    f"in it (as PEFT's save_pretrained writes); check the path")


def adapter_subfolders(folder: Path) -> list[str]:
    """Names of the direct subfolders that hold an adapter, naturally sorted (checkpoint-9 < -10)."""
    found = []
    try:
        children = list(folder.iterdir())
    except OSError:
        return []
    for child in children:
        try:
            if child.is_dir() and ((child / CONFIG_NAME).is_file() or (child / SAFETENSORS_NAME).is_file()
                                   or (child / HUB_SAFETENSORS_NAME).is_file()):
                found.append(child.name)
        except OSError:
            continue
    return sorted(found, key=natural_key)


def natural_key(name: str) -> tuple:
    """Sort key putting "layers.2" before "layers.10"."""
    return tuple(int(part) if part.isdigit() else part for part in _DIGITS.split(name))
