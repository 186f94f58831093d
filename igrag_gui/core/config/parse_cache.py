"""What PyYAML made of a config's text, kept as JSON so that opening the same text again needs
no YAML parser at all.

The window opens the last config before its first frame, and importing PyYAML costs ~10 ms of
the ~175 ms that frame takes (``benchmarks/startup.py``). Parsing is a pure function of the
text, so the key is the text itself: an edited file is a different text and is parsed anew,
and no modification time can mislead it. Only values that come back from JSON exactly as PyYAML
gave them (same types, same values: no dates, no non-string keys, no NaN) are kept; anything
else is simply not cached. A cache that cannot be read or written is ignored.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..user_dirs import cache_path

FORMAT = 2  # bump when what an entry holds changes (2: entries are bounded; 1 could hold an alias bomb's expansion)
MAX_ENTRIES = 16  # a few recent configs; the file stays a few kilobytes
MAX_TEXT = 64 * 1024  # larger texts, or larger parsed values (aliases expand), are not worth keeping
MAX_FILE = 2 * MAX_ENTRIES * MAX_TEXT  # a larger cache file was not written by us: ignored, not read


def cache_file() -> Path:
    """``$IGRAG_CONFIG_CACHE``, else ``$XDG_CACHE_HOME/igrag-gui/parsed-configs.json``."""
    return cache_path("IGRAG_CONFIG_CACHE", "parsed-configs.json")


def _entries() -> list[dict[str, Any]]:
    try:
        path = cache_file()
        if path.stat().st_size > MAX_FILE:
            return []
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return []
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("entries"), list):
        return []
    return [e for e in data["entries"] if isinstance(e, dict) and isinstance(e.get("text"), str)]


def lookup(text: str) -> tuple[Any, list[list[Any]]] | None:
    """``(data, key_positions)`` stored for exactly this text, or None."""
    for entry in _entries():
        if entry["text"] == text and isinstance(entry.get("positions"), list):
            return entry.get("data"), entry["positions"]
    return None


def same(a: Any, b: Any) -> bool:
    """Equal values of the same types all the way down (``1 == 1.0 == True`` does not count)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b  # NaN != NaN: a config holding one is not cached


def store(text: str, data: Any, positions: list[list[Any]]) -> bool:
    """Keep ``data`` (what PyYAML parsed from ``text``) and where its keys are (``[section, key,
    line]`` triples, JSON already); False when it was not
    kept (it would not come back from JSON as it is, the text is large, or the disk refused)."""
    if len(text) > MAX_TEXT:
        return False
    try:
        encoded = json.dumps(data, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        return False
    if len(encoded) > MAX_TEXT:
        return False  # a small text whose aliases expand: parsing it again is cheaper than keeping it
    if not same(json.loads(encoded), data):
        return False
    entries = [e for e in _entries() if e["text"] != text]
    entries.insert(0, {"text": text, "data": json.loads(encoded), "positions": [list(p) for p in positions]})
    import tempfile

    target = cache_file()
    tmp = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".parsed-configs-", dir=target.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump({"format": FORMAT, "entries": entries[:MAX_ENTRIES]}, out)
        os.replace(tmp, target)  # readers see the old file or the new one, never half of one
    except OSError:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
        return False
    return True
