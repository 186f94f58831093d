"""Reading training data: IGRAG JSONL (plus CSV, TSV and JSON lists), streamed record by record.

Every bad record is a ``UserError`` naming the file, the line and the field. Reading streams: a
file of any size is read a line at a time, so the preview takes its first rows only and
preparation (``prepare.py``) tokenizes in batches without holding the file.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Iterator

from ..files.bounded import json_loads
from ..errors import UserError


@dataclass(frozen=True)
class Example:
    prompt: str
    caption: str
    line: int  # 1-based line (JSONL, CSV) or record number (JSON list)
    image_id: Any = None  # the record's image_id, if any: validation groups references by it


def _open(path: Path) -> BinaryIO:
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise UserError(f"data file '{path}' does not exist; check data.train_path / data.val_path") from None
    except IsADirectoryError:
        raise UserError(f"data file '{path}' is a folder; choose a JSONL, CSV or JSON file") from None
    except OSError as exc:
        raise UserError(f"cannot read data file '{path}': {exc.strerror or exc}") from None


def _not_utf8(path: Path, line: int, byte: int) -> UserError:
    return UserError(f"{path}:{line}: not UTF-8 text (byte {byte}); save the file as UTF-8")


def iter_records(path: Path, delimiter: str | None = None) -> Iterator[tuple[int, Any]]:
    """(line, record) of a data file, streamed: JSONL line by line, CSV/TSV row by row (by the
    suffix, or any file when ``delimiter`` is given)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if delimiter is None and suffix in (".csv", ".tsv"):
        delimiter = "\t" if suffix == ".tsv" else ","
    with _open(path) as fh:
        head = fh.read(4096)
        fh.seek(0)
        if delimiter is not None:
            yield from _csv_records(path, fh, delimiter)
        elif suffix == ".json" and head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"["):
            yield from _json_list_records(path, fh.read())
        else:
            yield from _jsonl_records(path, fh)


def _jsonl_records(path: Path, fh: BinaryIO) -> Iterator[tuple[int, Any]]:
    offset = 0
    for number, raw in enumerate(fh, 1):
        try:
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            raise _not_utf8(path, number, offset + exc.start) from None
        offset += len(raw)
        if not line.strip():
            continue
        try:
            yield number, json_loads(line.rstrip("\r\n"))  # a column past the end points at the end
        except json.JSONDecodeError as exc:
            raise UserError(f"{path}:{number}: not valid JSON ({exc.msg} at column {exc.colno}); "
                            f"each line must be one JSON object") from None


def _json_list_records(path: Path, raw: bytes) -> Iterator[tuple[int, Any]]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _not_utf8(path, raw[:exc.start].count(b"\n") + 1, exc.start) from None
    try:
        doc = json_loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg} at column {exc.colno})") from None
    yield from enumerate(doc, 1)


def _csv_records(path: Path, fh: BinaryIO, delimiter: str) -> Iterator[tuple[int, Any]]:
    text = io.TextIOWrapper(fh, encoding="utf-8-sig", newline="")
    reader = csv.DictReader(text, delimiter=delimiter)
    try:
        for row in reader:
            yield reader.line_num, row
    except UnicodeDecodeError:
        fh.seek(0)
        offset = 0
        for number, raw in enumerate(fh, 1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise _not_utf8(path, number, offset + exc.start) from None
            offset += len(raw)
        raise
    except csv.Error as exc:
        raise UserError(f"{path}:{reader.line_num}: not valid CSV ({exc})") from None


def to_example(path: Path, line: int, rec: Any, prompt_field: str, caption_field: str) -> Example:
    """One record as an ``Example``, or a ``UserError`` naming the line and the field."""
    if not isinstance(rec, dict):
        raise UserError(f"{path}:{line}: expected an object with '{prompt_field}' and "
                        f"'{caption_field}', got {type(rec).__name__}")
    values = []
    for name, key in (("prompt", prompt_field), ("caption", caption_field)):
        if key not in rec:
            raise UserError(f"{path}:{line}: record has no '{key}' field; each record needs "
                            f"'{prompt_field}' and '{caption_field}' (set data.{name}_field if "
                            f"yours is named differently)")
        value = rec[key]
        if not isinstance(value, str):
            raise UserError(f"{path}:{line}: '{key}' must be text, got {json.dumps(value)[:40]}")
        values.append(value)
    return Example(values[0], values[1], line, rec.get("image_id"))


def iter_examples(path: Path, prompt_field: str = "prompt", caption_field: str = "caption") -> Iterator[Example]:
    """Checked examples, streamed; raises ``UserError`` at the first bad one or on an empty file."""
    path = Path(path)
    empty = True
    for line, rec in iter_records(path):
        empty = False
        yield to_example(path, line, rec, prompt_field, caption_field)
    if empty:
        raise _empty(path, prompt_field, caption_field)


def _empty(path: Path, prompt_field: str, caption_field: str) -> UserError:
    return UserError(f"{path}: no examples in the file; each line must be a JSON object with "
                     f"'{prompt_field}' and '{caption_field}'")


def read_examples(path: Path, prompt_field: str = "prompt", caption_field: str = "caption") -> list[Example]:
    """All records of a data file, checked; raises ``UserError`` at the first bad one."""
    return list(iter_examples(path, prompt_field, caption_field))


def first_examples(path: Path, n: int, prompt_field: str = "prompt",
                   caption_field: str = "caption") -> list[Example]:
    """The first ``n`` examples only (the preview of a file of any size)."""
    return list(itertools.islice(iter_examples(path, prompt_field, caption_field), n))


def estimate_rows(path: Path) -> int:
    """About how many records a file holds (its lines, less a CSV header), read in 1 MiB blocks:
    the "of N" of the progress display, known before the first row is parsed."""
    path = Path(path)
    lines, last = 0, b"\n"
    with _open(path) as fh:
        while block := fh.read(1 << 20):
            lines += block.count(b"\n")
            last = block[-1:]
    lines += last != b"\n"
    return max(0, lines - (path.suffix.lower() in (".csv", ".tsv")))
