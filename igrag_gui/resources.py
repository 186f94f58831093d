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


def install_kind() -> str:
    """``"bundle"`` (PyInstaller, ``sys.frozen``), ``"checkout"`` (a repository: ``pyproject.toml``
    beside ``resources/`` and the package), or ``"installed"`` (a wheel: ``igrag_gui/_data``).

    A bundle lays the package and the resources side by side as a checkout does, so the layout
    alone cannot tell them apart; the frozen flag and the project file can.
    """
    if getattr(sys, "frozen", False) or getattr(sys, "_MEIPASS", None):
        return "bundle"
    root = data_root()
    if root == _PACKAGE.parent and (root / "pyproject.toml").is_file():
        return "checkout"
    return "installed"


def is_source_checkout() -> bool:
    """Whether the resources are a repository's (writable, next to ``runs/``), not an install's."""
    return install_kind() == "checkout"


def user_home() -> Path:
    """Where an installed app keeps the user's configs and runs (``IGRAG_HOME`` overrides it)."""
    from .core.user_dirs import data_dir

    return data_dir()


def startup_config_path() -> Path:
    """The config the app opens when given none.

    In a checkout: ``configs/demo.yaml`` (its runs go to the checkout's ``runs/``). In a bundle or
    a wheel the shipped config sits in a read-only place and its ``../runs`` would write into the
    installation, so the user gets a copy in ``user_home()`` with absolute model and data paths
    and runs under ``user_home()/runs`` (rewritten when the installation has moved). When that
    folder cannot be written either, the shipped config opens and its Start button says why.
    """
    if is_source_checkout():
        return demo_config_path()
    from .core.config import load_config

    home = user_home()
    target = home / "demo.yaml"
    if target.is_file():
        try:
            cfg, _ = load_config(target)
            if cfg.resolve_path(cfg.model.base_model_path).is_dir():
                return target
        except Exception:  # noqa: BLE001 - an unreadable copy is replaced by a fresh one
            pass
    cfg, _ = load_config(demo_config_path())
    cfg.model.base_model_path = str(demo_model_path())
    cfg.data.train_path = str(resource_path("demo", "data", "train.jsonl"))
    cfg.data.val_path = str(resource_path("demo", "data", "val.jsonl"))
    cfg.training.output_dir = str(home / "runs" / "demo")
    try:
        home.mkdir(parents=True, exist_ok=True)
        return cfg.save(target)
    except OSError:
        return demo_config_path()
