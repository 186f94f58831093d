"""Folders the program writes: a marker in each one it made, and the one check "may I write here".

The rule (docs/trust-files.md): nothing the program did not create is ever deleted, moved or
overwritten. So every folder igrag creates for its output (a run's ``output_dir``, a merged model,
a converted adapter) gets a small marker file, ``.igrag-output.json``. Writing into a folder that
holds anything else is refused with a reason; replacing (``--overwrite``, ``--force``) is allowed
only where the marker says igrag wrote the folder, and never where the folder is, or holds, a
source the command reads. A replaced folder goes to the system's trash (recoverable), and the new
one is written under a temporary name beside it and renamed into place, so a failure leaves the
old one as it was.

Runs have one more rule: a new run never reuses a run folder (two runs in one folder mix their
checkpoints, and ``save_total_limit`` rotates the new run's away). Only a run marked *scratch*
(the self-test's, which replaces the demo run on purpose) may be replaced by a new run.

Light on purpose (no torch): the Train tab asks ``fresh_run_refusal`` as the user types.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Iterable

from ..errors import UserError

MARKER = ".igrag-output.json"
# what a run folder may hold without being "used": a marker, and a killed save's staging folder
_NOT_CONTENT = {MARKER, ".staging", ".write-test"}


def mark(folder: Path, kind: str, scratch: bool = False) -> None:
    """Write the marker saying igrag made ``folder`` for a ``kind`` (run, merge, convert)."""
    from ... import __version__

    data = {"written_by": "igrag", "kind": kind, "version": __version__}
    if scratch:
        data["scratch"] = True
    tmp = folder / (MARKER + ".tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, folder / MARKER)


def marker(folder: Path) -> dict | None:
    """The marker's content, or None when igrag did not mark ``folder`` (or it is unreadable)."""
    try:
        data = json.loads((Path(folder) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("written_by") == "igrag" else None


def contents(folder: Path) -> list[str]:
    """The names in ``folder`` that count as content (the marker and staging apart), sorted."""
    try:
        return sorted(p.name for p in Path(folder).iterdir() if p.name not in _NOT_CONTENT)
    except (FileNotFoundError, NotADirectoryError):
        return []


def _names(names: list[str], limit: int = 3) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def source_clash(out: Path, sources: Iterable[str | os.PathLike | None]) -> str | None:
    """How ``out`` would destroy a source it is made from: it is that source, or a folder holding it."""
    out = Path(out).expanduser().resolve()
    for source in sources:
        if not source:
            continue
        src = Path(source).expanduser().resolve()
        if src == out:
            return f"'{out}' is the {'folder' if src.is_dir() else 'file'} it reads"
        if out in src.parents:
            return f"'{out}' holds {src}, which it reads"
    return None


def replace_refusal(out: Path, sources: Iterable[str | os.PathLike | None] = (), replace: bool = False,
                    busy: str = "") -> str | None:
    """Why ``out`` may not be written (a folder made or replaced), or None when it may.

    ``busy``: the sentence for a folder igrag wrote that is not empty, when ``replace`` is not
    given (it names the command's own flag). A source, or anything igrag did not write, is
    refused whatever ``replace`` says."""
    out = Path(out).expanduser().resolve()
    clash = source_clash(out, sources)
    if clash:
        return f"{clash}; write the output to another folder"
    names = contents(out)
    if not names:
        return None
    if marker(out) is None:
        return (f"'{out}' holds files igrag did not write ({_names(names)}); igrag never replaces those: "
                f"choose a new or empty folder")
    if not replace:
        return busy or f"'{out}' already holds output igrag wrote; choose a new folder"
    return None


def fresh_run_refusal(output_dir: Path) -> str | None:
    """Why a new (not resumed) run may not start in ``output_dir``, or None when it may: the
    folder is missing or empty, or holds a scratch run that the new run replaces."""
    output_dir = Path(output_dir).expanduser().resolve()
    names = contents(output_dir)
    if not names:
        return None
    found = marker(output_dir)
    if found is not None and found.get("kind") == "run" and found.get("scratch"):
        return None
    held = "an earlier run" if found is not None or "metrics.jsonl" in names else \
        f"files igrag did not write ({_names(names)})"
    return (f"'{output_dir}' already holds {held}; a new run needs a fresh folder: choose another "
            f"training.output_dir, or continue that run with --resume")


def staging_beside(out: Path) -> Path:
    """A new empty folder beside ``out``, for writing ``out``'s content before it is renamed into place."""
    out.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))


def to_trash(path: Path) -> None:
    """Send ``path`` to the system's trash (recoverable), or say why it could not go."""
    from send2trash import send2trash
    from send2trash.exceptions import TrashPermissionError

    try:
        send2trash(str(path))
    except (TrashPermissionError, OSError) as exc:
        raise UserError(f"cannot move '{path}' to the trash ({exc}); move it away by hand, or choose "
                        f"another folder") from None


def put_in_place(staging: Path, out: Path, kind: str) -> None:
    """Mark the finished ``staging`` folder and rename it to ``out``; what ``out`` held (checked
    by ``replace_refusal`` first) goes to the trash, an empty folder is removed."""
    mark(staging, kind)
    if out.is_dir():
        if any(out.iterdir()):
            to_trash(out)
        else:
            out.rmdir()
    os.replace(staging, out)


# A run folder's checkpoints, found by name: the config's judge asks whether a run would resume.
CHECKPOINT_RE = re.compile(r"^checkpoint-(\d+)$")


def list_checkpoints(output_dir: Path) -> list[Path]:
    """Complete checkpoints in ``output_dir``, oldest step first (staging folders excluded)."""
    if not output_dir.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in output_dir.iterdir()
             if (m := CHECKPOINT_RE.match(p.name)) and p.is_dir() and (p / "trainer_state.json").is_file()]
    return [p for _, p in sorted(found)]


def latest_checkpoint(output_dir: Path) -> Path | None:
    found = list_checkpoints(output_dir)
    return found[-1] if found else None
