"""A base model folder that exists on someone else's machine only.

IGRAG's configs say ``base_model_path: /home/<them>/models/flan-t5-base``. When that folder is
not here but the Hugging Face cache holds a model of the same name (``google/flan-t5-base``),
that model stands in for it, with a warning; otherwise the problem names both fixes.
"""

from __future__ import annotations

from pathlib import Path


def cached_stand_in(folder_name: str) -> str | None:
    """The id of a cached model (with config.json) whose name is ``folder_name``, if any
    (``hub_cache``: never touches the network, rescans only when the cache changes)."""
    if not folder_name:
        return None
    from huggingface_hub import constants

    from .hub_cache import cached_model_ids

    # huggingface_hub's folder as it was fixed at import, the one a download would use
    hits = [r for r in cached_model_ids(str(constants.HF_HUB_CACHE))
            if r.rsplit("/", 1)[-1].lower() == folder_name.lower()]
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
