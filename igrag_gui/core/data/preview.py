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
from typing import TYPE_CHECKING, Any, Iterator, Sequence

from . import Example

if TYPE_CHECKING:
    from ..config import RunConfig

EXTRA_BEFORE, EXTRA_AFTER = ("image_id",), ("metadata",)


@dataclass
class PreviewTable:
    columns: list[str]
    rows: list[list[str]]
    examples: int
    images: int | None  # distinct image_ids, when the records carry them


def _records(path: Path) -> Iterator[Any]:
    """The file's records, streamed (a file of any size is never held whole)."""
    from .records import iter_records

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


@dataclass
class DataPreview:
    """What the Data page shows of a config's training file: its first rows and the counts."""

    rows: list[list[str]]
    count: int
    too_long: int | None
    max_source: int
    path: Path
    columns: tuple[str, ...] = ("prompt", "caption")
    images: int | None = None  # distinct image_ids (several reference captions per image)
    exact: bool = True  # False: count is the line count, too_long judged on the rows shown
    judged: int = 0

    def summary(self) -> str:
        """One line under the table: examples, images, prompts that will be truncated."""
        of = "" if self.exact else f" of the first {self.judged:,}"
        long_text = ("" if self.too_long is None else
                     f"; {self.too_long:,}{of} prompt(s) longer than max_source_length={self.max_source} "
                     f"tokens (they will be truncated)")
        images = ("" if self.images is None or self.images == self.count else
                  f" of {self.images:,} images ({self.count / max(self.images, 1):.1f} reference "
                  f"captions per image)")
        about = "" if self.exact else "about "
        return f"{self.path.name}: {about}{self.count:,} examples{images}{long_text}. Showing the first {len(self.rows)}."


def data_preview(cfg: "RunConfig", limit: int = 50) -> DataPreview:
    """The preview of ``cfg``'s training file: its first ``limit`` rows (counts from the prepared
    data when there is any; a large file is not read to its end)."""
    from .summary import READ_ALL_ROWS, summarize

    got = summarize(cfg, limit)
    table = preview_table(cfg.train_file, got.rows, limit, count_images=got.count <= READ_ALL_ROWS)
    return DataPreview(table.rows, got.count, got.too_long, got.max_source, got.path, tuple(table.columns),
                       table.images, got.exact, got.judged)
