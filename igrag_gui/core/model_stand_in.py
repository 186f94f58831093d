"""A base model folder that exists on someone else's machine only.

IGRAG's configs say ``base_model_path: /home/<them>/models/flan-t5-base``. When that folder is
not here but the Hugging Face cache holds a model of the same name (``google/flan-t5-base``),
that model stands in for it, with a warning; otherwise the problem names both fixes.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path


def cached_stand_in(folder_name: str) -> str | None:
    """The id of a cached model (with config.json) whose name is ``folder_name``, if any.

    Reads the cache through ``huggingface_hub.scan_cache_dir``; never touches the network. The
    answer is kept until the cache folder changes (validation asks on every edit in the form).
    """
    if not folder_name:
        return None
    from huggingface_hub import constants

    cache = str(constants.HF_HUB_CACHE)  # scan_cache_dir's own default is fixed at import
    try:
        stamp = os.stat(cache).st_mtime_ns
    except OSError:
        return None
    return _stand_in(cache, stamp, folder_name)


@functools.lru_cache(maxsize=32)
def _stand_in(cache: str, stamp: int, folder_name: str) -> str | None:
    try:
        from huggingface_hub import scan_cache_dir

        info = scan_cache_dir(cache)
    except Exception:  # noqa: BLE001 - no cache, unreadable cache: nothing stands in
        return None
    hits = []
    for repo in info.repos:
        if repo.repo_type != "model" or repo.repo_id.rsplit("/", 1)[-1].lower() != folder_name.lower():
            continue
        if any(f.file_name == "config.json" for rev in repo.revisions for f in rev.files):
            hits.append(repo.repo_id)
    return sorted(hits, key=lambda r: (not r.startswith("google/"), r.lower()))[0] if hits else None


def missing_folder_problem(folder: Path) -> tuple[str, str]:
    """``(severity, message)`` for a local model folder that does not exist."""
    stand_in = cached_stand_in(folder.name)
    if stand_in:
        return "warning", (f"folder '{folder}' does not exist on this machine; using {stand_in} from "
                           f"the Hugging Face cache instead (set model.base_model_path to {stand_in} "
                           f"or to a local model folder to say so)")
    hub_id = f"google/{folder.name}" if folder.name.lower().startswith(("flan-t5", "t5-")) \
        else "google/flan-t5-base"
    return "error", (f"folder '{folder}' does not exist on this machine; set model.base_model_path "
                     f"to a Hugging Face id such as {hub_id} (found in the Hugging Face cache; on a "
                     f"machine with internet `hf download {hub_id}` puts it there) or to a local "
                     f"folder holding config.json and the weights")
