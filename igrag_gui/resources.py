"""The one way to reach bundled files (icons, configs, the demo model and data).

They live at the repository's top level (``resources/``, ``configs/``). A wheel carries them as
``igrag_gui/_data/``; a PyInstaller bundle puts them under ``sys._MEIPASS``. The same call works
from all three.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@lru_cache(maxsize=1)
def data_root() -> Path:
    """The folder holding ``resources/`` and ``configs/`` for this installation."""
    candidates = []
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        candidates.append(Path(bundle))
    candidates += [_PACKAGE / "_data", _PACKAGE.parent]
    for root in candidates:
        if (root / "resources").is_dir():
            return root
    raise FileNotFoundError(
        "igrag-gui's resources folder is missing (looked in: "
        + ", ".join(str(c) for c in candidates) + "); reinstall the app")


def resource_path(*parts: str) -> Path:
    """A path under ``resources/``: ``resource_path("demo", "model")``."""
    return data_root().joinpath("resources", *parts)


def config_path(name: str) -> Path:
    """A shipped config: ``config_path("demo.yaml")``."""
    return data_root() / "configs" / name


def demo_model_path() -> Path:
    return resource_path("demo", "model")


def demo_config_path() -> Path:
    return config_path("demo.yaml")
