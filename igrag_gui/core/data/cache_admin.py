"""Keeping the data cache in bounds: what it holds, least-recently-used eviction, clearing.

Every prepared file stays cached under its key, so edits to a data file, a tokenizer or a length
limit add entries and the folder only grows. After each new entry the cache is trimmed to
``IGRAG_DATA_CACHE_MAX`` (default 20 GB; ``0`` turns trimming off), removing the entries used
least recently first and never the one just made. Opening an entry marks it used. ``igrag data
cache`` lists, trims and clears it by hand.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError

DEFAULT_LIMIT = 20 * 1000 ** 3
META_FILE = "meta.json"  # the same name prepare.py writes; an entry is a folder holding it
_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "m": 1000 ** 2, "mb": 1000 ** 2, "g": 1000 ** 3, "gb": 1000 ** 3,
          "t": 1000 ** 4, "tb": 1000 ** 4, "kib": 1024, "mib": 1024 ** 2, "gib": 1024 ** 3, "tib": 1024 ** 4}


@dataclass(frozen=True)
class CacheEntry:
    """One prepared data file in the cache."""

    folder: Path
    source: str
    rows: int
    bytes: int
    last_used: float  # seconds since the epoch


def parse_size(text: str, where: str = "IGRAG_DATA_CACHE_MAX") -> int:
    """'20GB', '500 MB', '1.5GiB', '0' -> bytes; anything else is the user's to fix."""
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*", text)
    if not match or match.group(2).lower() not in _UNITS:
        raise UserError(f"{where}: '{text}' is not a size; write a number with an optional unit, e.g. 20GB, "
                        f"500MB or 0 (no limit)")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def size_limit() -> int:
    """The cache's size limit in bytes (0: none)."""
    text = os.environ.get("IGRAG_DATA_CACHE_MAX", "").strip()
    return parse_size(text) if text else DEFAULT_LIMIT


def human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1000
    return f"{n:,.1f} GB"


def _folder_bytes(folder: Path) -> int:
    total = 0
    for path in folder.rglob("*"):
        try:
            if path.is_file():
                total += path.stat().st_size
        except OSError:  # removed while we looked: another process trimmed it
            pass
    return total


def list_entries(root: Path) -> list[CacheEntry]:
    """The complete entries under ``root``, most recently used first (staging folders excluded)."""
    found: list[CacheEntry] = []
    if not root.is_dir():
        return found
    for folder in root.iterdir():
        meta_path = folder / META_FILE
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            used = meta_path.stat().st_mtime
        except (OSError, ValueError):
            continue
        found.append(CacheEntry(folder, str(meta.get("source", "?")), int(meta.get("rows", 0)),
                                _folder_bytes(folder), used))
    return sorted(found, key=lambda e: e.last_used, reverse=True)


def mark_used(entry: Path) -> None:
    """Record that ``entry`` was opened now (its meta file's time), so trimming keeps it longer."""
    try:
        os.utime(entry / META_FILE)
    except OSError:  # a read-only cache still serves; it just cannot record use
        pass


def remove_entry(entry: CacheEntry) -> bool:
    """Remove one entry; False when it could not be (in use on Windows, permissions)."""
    doomed = entry.folder.with_name(f"{entry.folder.name}.removing-{os.getpid()}")
    try:
        os.replace(entry.folder, doomed)  # a reader never sees half an entry: it is whole or gone
    except OSError:
        return False
    shutil.rmtree(doomed, ignore_errors=True)
    return True


@dataclass(frozen=True)
class Trimmed:
    removed: list[CacheEntry]
    kept_bytes: int


def trim(root: Path, limit: int, keep: Path | None = None) -> Trimmed:
    """Remove least-recently-used entries until the cache holds at most ``limit`` bytes.

    ``keep`` (the entry just made or opened) is never removed, even when it alone is over the limit."""
    entries = list_entries(root)
    total = sum(e.bytes for e in entries)
    removed: list[CacheEntry] = []
    if limit <= 0:
        return Trimmed(removed, total)
    for entry in reversed(entries):  # oldest use first
        if total <= limit:
            break
        if keep is not None and entry.folder == keep:
            continue
        if remove_entry(entry):
            total -= entry.bytes
            removed.append(entry)
    return Trimmed(removed, total)


def clear(root: Path) -> Trimmed:
    """Remove every entry (and stale staging folders older than a day)."""
    removed = [e for e in list_entries(root) if remove_entry(e)]
    if root.is_dir():
        for folder in root.iterdir():
            if ".tmp-" in folder.name or ".removing-" in folder.name:
                try:
                    if time.time() - folder.stat().st_mtime > 86400:
                        shutil.rmtree(folder, ignore_errors=True)
                except OSError:
                    pass
    return Trimmed(removed, sum(e.bytes for e in list_entries(root)))
