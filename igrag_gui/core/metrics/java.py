"""Is there a Java runtime? pycocoevalcap's PTBTokenizer, METEOR and SPICE start ``java``."""

from __future__ import annotations

import functools
import os
import shutil

NO_JAVA = ("needs Java, and no Java runtime was found on PATH; install one (Debian/Ubuntu: "
           "apt-get install default-jre-headless) to compute it")


@functools.lru_cache(maxsize=8)
def _works(path: str) -> bool:
    import subprocess  # validation imports this module; it runs Java rarely

    try:
        return subprocess.run([path, "-version"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def find_java() -> str | None:
    """The ``java`` that pycocoevalcap would run (the first on PATH), if it starts."""
    path = shutil.which("java", path=os.environ.get("PATH"))
    return path if path and _works(path) else None


def has_java() -> bool:
    return find_java() is not None
