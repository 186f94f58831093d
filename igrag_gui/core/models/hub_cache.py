"""The models in the local Hugging Face cache, read with ``huggingface_hub.scan_cache_dir``.

The model picker offers them, and a model folder missing on this machine may be stood in for by
one of them (``model_stand_in``). Nothing here touches the network. The scan is kept until the
cache folder changes: the picker and every validation ask for it.
"""

from __future__ import annotations

import functools
import os


def hub_cache_dir() -> str:
    """``huggingface_hub.constants.HF_HUB_CACHE``, worked out from the same variables without
    importing huggingface_hub (0.2 s) before the window's first frame (a test keeps them equal)."""
    home = os.getenv("HF_HOME", os.path.join(os.getenv("XDG_CACHE_HOME", os.path.join(os.path.expanduser("~"),
                                                                                    ".cache")), "huggingface"))
    default = os.path.join(os.path.expanduser(home), "hub")
    return os.path.expanduser(os.getenv("HF_HUB_CACHE", os.getenv("HUGGINGFACE_HUB_CACHE", default)))


def cached_model_ids(cache_dir: str | os.PathLike | None = None) -> list[str]:
    """Ids of the cached models with a usable snapshot (one holding config.json), sorted
    case-insensitively; an empty list when there is no cache or it cannot be read."""
    cache = os.fspath(cache_dir) if cache_dir is not None else hub_cache_dir()
    try:
        stamp = os.stat(cache).st_mtime_ns  # a download adds a models--* folder: the stamp moves
    except OSError:
        return []
    return list(_scan(cache, stamp))


@functools.lru_cache(maxsize=8)
def _scan(cache: str, stamp: int) -> tuple[str, ...]:
    from huggingface_hub import scan_cache_dir
    from huggingface_hub.errors import CacheNotFound

    try:
        info = scan_cache_dir(cache)
    except (CacheNotFound, OSError, ValueError):  # not a cache folder, unreadable
        return ()
    ids = {repo.repo_id for repo in info.repos if repo.repo_type == "model"
           and any(f.file_name == "config.json" for rev in repo.revisions for f in rev.files)}
    return tuple(sorted(ids, key=str.lower))
