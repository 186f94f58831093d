"""Is ``model.base_model_path`` a local folder or a Hugging Face id?"""

from __future__ import annotations

from pathlib import Path

def looks_like_local_path(value: str, base_dir: Path) -> bool:
    """Whether ``model.base_model_path`` names a folder (else a Hugging Face id).

    A value that exists on disk is a folder; so is anything that cannot be a hub id (absolute,
    ``./``, ``~``, backslashes, more than one slash).
    """
    if not value:
        return False
    path = Path(value).expanduser()
    if path.is_absolute() or value.startswith((".", "~")) or "\\" in value or value.count("/") > 1:
        return True
    if (base_dir / path).exists():
        return True
    import re
    return re.fullmatch(r"[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?", value) is None


# ----------------------------------------------------------------------------- loading files
