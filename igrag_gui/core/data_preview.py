"""What the Data page shows of a training file: its first rows with the columns IGRAG's files
carry (``image_id``, ``metadata``), and how many images the captions describe.

Rows sharing an ``image_id`` are one image with several reference captions (the COCO way). The
records are checked by ``data.read_examples`` (a row without the prompt or caption field is
reported with its line number); this module only reads the extra columns, apart from tokenising.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

from .data import Example

EXTRA_BEFORE, EXTRA_AFTER = ("image_id",), ("metadata",)


@dataclass
class PreviewTable:
    columns: list[str]
    rows: list[list[str]]
    examples: int
    images: int | None  # distinct image_ids, when the records carry them


def _records(path: Path) -> Iterator[Any]:
    """The file's records, streamed (a file of any size is never held whole)."""
    from .data.records import iter_records

    for _, rec in iter_records(path):
        yield rec


def readable(value: Any) -> str:
    """A cell's text: a mapping as ``key: value, ...``, a list as items, nothing as empty."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return ", ".join(f"{k}: {readable(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(readable(v) for v in value)
    return str(value)


def preview_table(path: Path, examples: Sequence[Example], limit: int = 50,
                  count_images: bool = True) -> PreviewTable:
    """The first ``limit`` rows and the counts, for ``examples`` as ``data.read_examples`` read
    (and checked: a bad record is a ``UserError`` naming its line) from ``path``. Records are
    streamed; ``count_images=False`` stops after the first rows (a large file: no image count)."""
    first: list[dict] = []
    ids: set[str] = set()
    has_ids = False
    for rec in _records(Path(path)):
        if not isinstance(rec, dict):
            continue
        if len(first) < limit:
            first.append(rec)
        elif not count_images:
            break
        if rec.get("image_id") is not None:
            has_ids = True
            ids.add(json.dumps(rec["image_id"]))
    present = {k for r in first for k in r}
    before = [k for k in EXTRA_BEFORE if k in present]
    after = [k for k in EXTRA_AFTER if k in present]
    columns = [*before, "prompt", "caption", *after]
    rows = []
    for rec, ex in zip(first, examples[:limit]):
        rows.append([readable(rec.get(k)) for k in before] + [ex.prompt, ex.caption]
                    + [readable(rec.get(k)) for k in after])
    images = len(ids) if has_ids and count_images and "image_id" in present else None
    return PreviewTable(columns, rows, len(examples), images)
