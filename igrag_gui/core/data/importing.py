"""Importing what users have into the training layout (JSONL of prompt, caption, image_id).

Sources: CSV/TSV, JSONL or a JSON list with any field names, Parquet, a Hugging Face dataset from
the local cache or a folder (``datasets``, offline), and COCO caption annotations
(``captions_train2017.json``: one row per caption, grouped by image, at most
``MAX_CAPTIONS_PER_IMAGE`` rows an image, the prompt built from captions of *other* images, see
``coco_context``). A ``Source`` streams its rows; ``check_mapping`` catches mapping mistakes
on the first rows before anything is written; ``write_jsonl`` streams every row out.
"""

from __future__ import annotations

import csv
import itertools
import json
import os
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from ..errors import UserError
from ..files.bounded import json_loads
from ..task_state import TaskState
from .prompts import build_prompt
from .checks import caption_overlap, words
from .coco_context import CONTEXT_CAPTIONS, MAX_CAPTIONS_PER_IMAGE, CaptionIndex, load_neighbours
from .records import iter_records

KINDS = ("csv", "tsv", "jsonl", "json", "parquet", "hf", "coco")
ROLES = ("prompt", "caption", "image_id")
CHECK_ROWS = 1000  # rows the mapping checks look at (the preview's sample)
_GUESSES = {
    "prompt": ("prompt", "input", "source", "question", "text", "instruction", "context"),
    "caption": ("caption", "target", "output", "answer", "label", "summary", "sentence", "raw"),
    "image_id": ("image_id", "imageid", "img_id", "image", "id", "cocoid"),
}


@dataclass
class Mapping:
    """Which source column becomes the prompt, the caption and the image id (None: not mapped)."""

    prompt: str | None = None
    caption: str | None = None
    image_id: str | None = None

    def describe(self) -> str:
        return ", ".join(f"{role.replace('_', ' ')} <- {col}" for role in ROLES
                         if (col := getattr(self, role)) is not None)


@dataclass
class Finding:
    severity: str  # "error" (blocks the import) or "warning"
    text: str


@dataclass
class Source:
    """Rows of one source as dicts, streamed; ``columns`` known from the first rows."""

    name: str
    kind: str
    columns: list[str]
    _rows: Callable[[], Iterator[tuple[int, dict]]]
    total: int | None = None  # rows, when the source knows without reading them all
    fixed: Mapping | None = None  # COCO: the layout is known
    notes: list[str] = field(default_factory=list)  # said with the result (COCO: captions left out)

    def rows(self) -> Iterator[tuple[int, dict]]:
        """(line or row number, record) of every row."""
        return self._rows()

    def head(self, n: int) -> list[dict]:
        return [rec for _, rec in itertools.islice(self.rows(), n)]


def detect_kind(src: str) -> str:
    path = Path(src)
    if path.is_dir() or not path.exists():
        return "hf"  # a dataset folder, or a name in the local Hugging Face cache
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv", ".jsonl", ".parquet"):
        return suffix[1:]
    if suffix == ".json":
        with path.open("rb") as fh:
            head = fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
        if head.startswith(b"["):
            return "json"
        if head.startswith(b"{") and (b'"annotations"' in head or b'"images"' in head or b'"info"' in head
                                      or b'"licenses"' in head):
            return "coco"
    return "jsonl"


def open_source(src: str, kind: str | None = None, split: str | None = None, *,
                neighbours: str | None = None, context: int = CONTEXT_CAPTIONS,
                max_captions: int = MAX_CAPTIONS_PER_IMAGE) -> Source:
    """A streaming view of ``src``; ``UserError`` when it cannot be read or holds no rows.
    COCO only: ``neighbours`` (a file of each image's similar images), ``context`` (captions in
    each prompt) and ``max_captions`` (rows per image)."""
    kind = kind or detect_kind(src)
    if kind not in KINDS:
        raise UserError(f"unknown source format '{kind}'; use one of {', '.join(KINDS)}")
    if kind != "hf" and not Path(src).is_file():
        raise UserError(f"'{src}' does not exist or is not a file; give the path of a CSV, TSV, JSONL, "
                        f"Parquet or COCO captions file")
    if neighbours is not None and kind != "coco":
        raise UserError(f"a neighbours file is for COCO captions files; '{src}' is read as {kind}")
    if kind == "coco":
        source = _coco(src, neighbours, context, max_captions)
    else:
        source = {"parquet": _parquet, "hf": _hf}.get(kind, _text)(src, kind, split)
    if not source.columns:
        raise UserError(f"{src}: no rows in the file; nothing to import")
    return source


def _text(src: str, kind: str, split: str | None) -> Source:
    path = Path(src)
    delimiter = {"csv": ",", "tsv": "\t"}.get(kind)
    rows = lambda: iter_records(path, delimiter)  # noqa: E731
    columns: dict[str, None] = {}
    for _, rec in itertools.islice(rows(), 50):
        if not isinstance(rec, dict):
            raise UserError(f"{path}: rows must be objects with named fields, found {type(rec).__name__}")
        columns.update(dict.fromkeys(rec))
    if not columns and kind in ("csv", "tsv"):  # a header and no rows
        with path.open(encoding="utf-8-sig", errors="replace") as fh:
            columns = dict.fromkeys(next(csv.reader(fh, delimiter="\t" if kind == "tsv" else ","), []))
        if columns:
            raise UserError(f"{path}: only a header line, no rows; nothing to import")
    return Source(str(path), kind, list(columns), rows)


def _parquet(src: str, kind: str, split: str | None) -> Source:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(src)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several kinds for a bad file
        raise UserError(f"{src}: not a readable Parquet file ({str(exc).splitlines()[0]})") from None

    def rows() -> Iterator[tuple[int, dict]]:
        number = 0
        for batch in pq.ParquetFile(src).iter_batches(batch_size=4096):
            for rec in batch.to_pylist():
                number += 1
                yield number, rec

    total = pf.metadata.num_rows
    return Source(src, kind, list(pf.schema_arrow.names) if total else [], rows, total)


def _hf(src: str, kind: str, split: str | None) -> Source:
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")  # the local cache only: never the network
    import datasets

    datasets.config.HF_HUB_OFFLINE = True
    datasets.disable_progress_bars()
    path = Path(src)
    try:
        if path.is_dir() and ((path / "state.json").is_file() or (path / "dataset_dict.json").is_file()):
            ds = datasets.load_from_disk(str(path))  # a folder written by save_to_disk
        else:
            ds = datasets.load_dataset(src)
    except FileNotFoundError as exc:
        raise UserError(f"'{src}' is neither a file nor a dataset folder nor a dataset in the local Hugging "
                        f"Face cache ({str(exc).splitlines()[0]}); give a file, a folder, or the name of a "
                        f"dataset downloaded before") from None
    except Exception as exc:  # noqa: BLE001 - datasets raises ConnectionError, DatasetNotFoundError, ...
        raise UserError(f"cannot load the dataset '{src}' offline ({str(exc).splitlines()[0]}); give a "
                        f"file, a folder, or the name of a dataset in the local Hugging Face cache") from None
    if isinstance(ds, datasets.DatasetDict):
        splits = list(ds)
        name = split or ("train" if "train" in ds else splits[0])
        if name not in ds:
            raise UserError(f"the dataset '{src}' has no split '{split}'; its splits are {', '.join(splits)}")
        ds = ds[name]
    elif split:
        raise UserError(f"the dataset '{src}' has no splits; leave the split empty")

    def rows() -> Iterator[tuple[int, dict]]:
        for start in range(0, len(ds), 4096):
            for i, rec in enumerate(_batch(ds, start)):
                yield start + i + 1, rec

    return Source(src, kind, list(ds.column_names) if len(ds) else [], rows, len(ds))


def _batch(ds: Any, start: int) -> list[dict]:
    cols = ds[start:start + 4096]
    names = list(cols)
    return [dict(zip(names, values)) for values in zip(*(cols[n] for n in names))]


def _coco(src: str, neighbours: str | None, context: int, max_captions: int) -> Source:
    path = Path(src)
    try:
        doc = json_loads(path.read_bytes().decode("utf-8-sig"))  # bounded depth: a JSON error, not a crash
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg} at column {exc.colno})") from None
    annotations = doc.get("annotations") if isinstance(doc, dict) else None
    if not isinstance(annotations, list):
        raise UserError(f"{path}: no 'annotations' list; a COCO captions file has "
                        f"{{\"annotations\": [{{\"image_id\": ..., \"caption\": ...}}]}}")
    by_image: dict[Any, list[str]] = defaultdict(list)
    dropped: dict[Any, int] = defaultdict(int)
    for number, ann in enumerate(annotations, 1):
        if not isinstance(ann, dict) or "image_id" not in ann or not isinstance(ann.get("caption"), str):
            raise UserError(f"{path}: annotation {number} needs an 'image_id' and a 'caption' text")
        captions = by_image[ann["image_id"]]
        if len(captions) < max_captions:
            captions.append(ann["caption"].strip())
        else:
            dropped[ann["image_id"]] += 1
    notes = []
    if dropped:
        worst = max(dropped, key=lambda i: dropped[i])
        notes.append(f"{len(dropped):,} image(s) have more than {max_captions} captions (image {worst}: "
                     f"{dropped[worst] + max_captions:,}); kept the first {max_captions} of each, "
                     f"{sum(dropped.values()):,} captions left out (--max-captions-per-image)")
    listed = load_neighbours(neighbours, by_image) if neighbours else None
    index: list[CaptionIndex] = []  # built on first use, once

    def contexts(image_id: Any, captions: list[str]) -> list[str]:
        if listed is None:
            if not index:
                index.append(CaptionIndex(by_image))
            return index[0].similar(image_id, captions, context)
        own = [words(c) for c in captions]
        picked = []
        for other in listed.get(image_id, []):
            text = next((c for c in by_image[other] if not any(
                caption_overlap(words(c), mine) == "all" for mine in own if mine)), None)
            if text is not None:
                picked.append(text)
            if len(picked) == context:
                break
        return picked

    def rows() -> Iterator[tuple[int, dict]]:
        number = 0
        for image_id, captions in by_image.items():
            prompt = build_prompt(contexts(image_id, captions), [])
            for caption in captions:
                number += 1
                yield number, {"image_id": image_id, "prompt": prompt, "caption": caption}

    columns = ["image_id", "prompt", "caption"] if annotations else []
    total = sum(len(c) for c in by_image.values())
    return Source(str(path), "coco", columns, rows, total, Mapping("prompt", "caption", "image_id"), notes)


def guess_mapping(columns: list[str]) -> Mapping:
    """Columns whose names say what they hold (``question`` -> prompt, ``answer`` -> caption)."""
    lower = {c.lower(): c for c in columns}
    picked: dict[str, str | None] = {}
    for role in ROLES:
        picked[role] = next((lower[g] for g in _GUESSES[role] if g in lower and lower[g] not in picked.values()),
                            None)
    return Mapping(**picked)


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    if isinstance(value, str) and value.strip():
        try:
            float(value)
        except ValueError:
            return False
        return True
    return False


def _text_of(value: Any) -> str:
    return "" if value is None else value if isinstance(value, str) else str(value)


def check_mapping(source: Source, mapping: Mapping, rows: list[dict] | None = None) -> list[Finding]:
    """Mapping mistakes found on the first rows: a missing or empty column, numbers mapped as text,
    a caption column that looks like prompts, duplicate image ids."""
    found: list[Finding] = []
    for role in ("prompt", "caption"):
        if getattr(mapping, role) is None:
            found.append(Finding("error", f"choose the column that holds the {role}"))
    for role in ROLES:
        col = getattr(mapping, role)
        if col is not None and col not in source.columns:
            found.append(Finding("error", f"{source.name}: there is no column '{col}' to use as the "
                                          f"{role.replace('_', ' ')}; the columns are {', '.join(source.columns)}"))
    if found:
        return found
    rows = rows if rows is not None else source.head(CHECK_ROWS)
    n = len(rows)
    means = {}
    for role in ("prompt", "caption"):
        col = getattr(mapping, role)
        values = [rec.get(col) for rec in rows]
        filled = [v for v in values if _text_of(v).strip()]
        if not filled:
            found.append(Finding("error", f"column '{col}' (the {role}) is empty in the first {n:,} rows; "
                                          f"map a column that holds text"))
            continue
        if all(_is_number(v) for v in filled):
            found.append(Finding("error", f"column '{col}' (the {role}) holds numbers (e.g. {filled[0]}), "
                                          f"not text; map a column that holds text"))
            continue
        means[role] = sum(len(_text_of(v)) for v in filled) / len(filled)
    if len(means) == 2 and source.fixed is None and means["caption"] > max(2 * means["prompt"], 60):
        found.append(Finding("warning", f"the captions (column '{mapping.caption}') are much longer on average "
                                        f"({means['caption']:.0f} characters) than the prompts (column "
                                        f"'{mapping.prompt}', {means['prompt']:.0f}); are the two swapped?"))
    if mapping.image_id is not None and source.fixed is None:
        seen: dict[str, int] = {}
        repeats = []
        for i, rec in enumerate(rows, 1):
            key = _text_of(rec.get(mapping.image_id))
            if key in seen:
                repeats.append((key, seen[key], i))
            else:
                seen[key] = i
        if repeats:
            key, a, b = repeats[0]
            found.append(Finding("warning", f"{len(repeats):,} of the first {n:,} rows repeat an image id "
                                            f"('{key}' on rows {a} and {b}); fine for several captions per "
                                            f"image, a mistake if column '{mapping.image_id}' is not an id"))
    return found


def _id_of(value: Any) -> Any:
    """COCO ids are numbers; a CSV gives them as text."""
    return int(value) if isinstance(value, str) and value.isdigit() else value


@dataclass
class ImportResult:
    rows: int
    skipped: int
    first_skipped: int | None
    out: Path
    warnings: list[str] = field(default_factory=list)


def write_jsonl(source: Source, mapping: Mapping, out: Path,
                progress: Callable[[int, int | None], None] | None = None,
                state: TaskState | None = None) -> ImportResult:
    """Every row as ``{"image_id", "prompt", "caption"}`` in ``out`` (written whole or not at all).
    Rows with an empty prompt or caption are skipped and counted."""
    problems = [f.text for f in check_mapping(source, mapping) if f.severity == "error"]
    if problems:
        raise UserError(*problems)
    out = Path(out)
    tmp = out.with_name(out.name + ".part")
    written = skipped = 0
    first_skipped = None
    last = time.monotonic()
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("w", encoding="utf-8") as fh:
            for number, rec in source.rows():
                prompt, caption = _text_of(rec.get(mapping.prompt)), _text_of(rec.get(mapping.caption))
                if not prompt.strip() or not caption.strip():
                    skipped += 1
                    first_skipped = first_skipped or number
                    continue
                row = {"image_id": _id_of(rec.get(mapping.image_id))} if mapping.image_id else {}
                row.update(prompt=prompt, caption=caption)
                fh.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
                written += 1
                if time.monotonic() - last > 0.25:
                    last = time.monotonic()
                    if state is not None:
                        state.raise_if_cancelled()
                    if progress:
                        progress(written + skipped, source.total)
        if not written:
            raise UserError(f"{source.name}: every row has an empty prompt or caption; nothing to import")
        os.replace(tmp, out)
    except OSError as exc:
        raise UserError(f"cannot write '{out}' ({exc.strerror or exc}); choose a folder you can write to") from None
    finally:
        tmp.unlink(missing_ok=True)
    result = ImportResult(written, skipped, first_skipped, out, list(source.notes))
    if skipped:
        result.warnings.append(f"skipped {skipped:,} rows with an empty prompt or caption (the first is row "
                               f"{first_skipped} of {source.name})")
    return result
