"""Where an installed app keeps the user's files: each platform's own folders, via ``platformdirs``.

An installation (a bundle in ``/opt`` or ``Program Files``, a signed macOS app, a wheel in a
system ``site-packages``) is read-only to its users, so nothing is ever written next to it:

- data (the user's copy of the demo config, its runs): ``user_data_dir`` —
  ``~/.local/share/igrag-gui`` (Linux, ``$XDG_DATA_HOME``), ``~/Library/Application Support/igrag-gui``
  (macOS), ``%LOCALAPPDATA%\\igrag-gui`` (Windows); ``IGRAG_HOME`` overrides it;
- logs: ``user_log_dir`` — ``~/.local/state/igrag-gui/log`` (Linux, ``$XDG_STATE_HOME``),
  ``~/Library/Logs/igrag-gui`` (macOS), ``%LOCALAPPDATA%\\igrag-gui\\Logs`` (Windows);
  ``IGRAG_LOG_DIR`` overrides it, else ``$IGRAG_HOME/logs`` when ``IGRAG_HOME`` is set.

- caches (tokenized data, model facts, parsed configs): ``cache_path`` — under
  ``$XDG_CACHE_HOME/igrag-gui`` (``~/.cache/igrag-gui``), each with its own override variable.

Window state (geometry, recent files) is Qt's ``QSettings``, already per user on each platform.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "igrag-gui"


def data_dir() -> Path:
    """The user's igrag-gui data folder (configs and runs of an installed app)."""
    override = os.environ.get("IGRAG_HOME")
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False, roaming=False))


def log_dir() -> Path:
    """The user's log folder."""
    override = os.environ.get("IGRAG_LOG_DIR")
    if override:
        return Path(override).expanduser()
    home = os.environ.get("IGRAG_HOME")
    if home:
        return Path(home).expanduser() / "logs"
    import platformdirs

    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def cache_path(override: str, name: str) -> Path:
    """``$override`` when set, else ``$XDG_CACHE_HOME/igrag-gui/<name>`` (``~/.cache/igrag-gui/<name>``)."""
    env = os.environ.get(override)
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / APP_NAME / name
