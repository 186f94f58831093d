"""Where prepared (tokenized) data is kept, and the key that says it is still valid.

An entry is a folder named by a hash of everything the tokens depend on: the data file's bytes,
the tokenizer (its full serialised form), the model kind, the fields and the length limits. A
changed file or tokenizer gives a new key, so a stale entry is never read. ``IGRAG_DATA_CACHE``
moves the cache (default: ``$XDG_CACHE_HOME/igrag-gui/data``, i.e. ``~/.cache/igrag-gui/data``).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from ..task_state import TaskState
from ..user_dirs import cache_path

FORMAT_VERSION = 1  # bump when the layout of an entry changes
BLOCK = 1 << 20
_digests: dict[tuple[str, int, int], str] = {}  # (path, size, mtime_ns) -> digest, this process


def cache_root() -> Path:
    """``$IGRAG_DATA_CACHE``, else ``$XDG_CACHE_HOME/igrag-gui/data``."""
    return cache_path("IGRAG_DATA_CACHE", "data")


def unwritable_reason(root: Path) -> str | None:
    """None when entries can be written under ``root``, else why not (one phrase)."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-test-", dir=root)  # unique: ranks may share a pid
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def file_digest(path: Path, progress: Callable[[int, int], None] | None = None,
                state: TaskState | None = None) -> str:
    """BLAKE2b of a file's bytes, read in 1 MiB blocks (about 1 GB/s), reporting bytes read;
    ``state``'s cancel request stops it (``Cancelled``)."""
    stat = path.stat()
    seen = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if seen in _digests:  # the window asks again at every edit of the form: hash a file once
        return _digests[seen]
    total = stat.st_size
    h = hashlib.blake2b(digest_size=20)
    done, last = 0, time.monotonic()
    with open(path, "rb") as fh:
        while block := fh.read(BLOCK):
            h.update(block)
            done += len(block)
            if time.monotonic() - last > 0.25:
                last = time.monotonic()
                if state is not None:
                    state.raise_if_cancelled()
                if progress:
                    progress(done, total)
    _digests[seen] = h.hexdigest()
    return _digests[seen]


def tokenizer_fingerprint(tokenizer: Any) -> str:
    """A hash of the tokenizer's complete definition (vocabulary, normaliser, special tokens)."""
    h = hashlib.blake2b(digest_size=20)
    h.update(type(tokenizer).__name__.encode())
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None:
        h.update(backend.to_str().encode())
    else:  # a slow (Python) tokenizer: datasets' hasher pickles it
        from datasets.fingerprint import Hasher

        h.update(Hasher.hash(tokenizer).encode())
    h.update(json.dumps([tokenizer.bos_token_id, tokenizer.eos_token_id, tokenizer.pad_token_id]).encode())
    return h.hexdigest()


def cache_key(digest: str, tokenizer: Any, kind: str, prompt_field: str, caption_field: str,
              max_source: int, max_target: int) -> str:
    parts = [FORMAT_VERSION, digest, tokenizer_fingerprint(tokenizer), kind, prompt_field, caption_field,
             max_source, max_target]
    return hashlib.blake2b(json.dumps(parts).encode(), digest_size=16).hexdigest()
