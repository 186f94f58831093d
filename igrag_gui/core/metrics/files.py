"""Reading what ``igrag score`` scores: results and references, in COCO's layout or our JSONL.

- results: COCO results (a JSON list of ``{"image_id", "caption"}``) or JSONL, one such object a
  line; duplicates keep the first (as COCO's evaluator does), with a warning;
- references: COCO caption annotations (``images`` and ``annotations``) or JSONL whose rows
  sharing an ``image_id`` are that image's references.

Every problem a user can cause is one ``UserError`` line naming the file and the place.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Hashable

from ..files.bounded import json_loads
from ..errors import UserError

RESULTS_SHAPE = 'a JSON list of {"image_id": ..., "caption": ...} objects (COCO results) or JSONL with one such object a line'
REFERENCES_SHAPE = ("COCO caption annotations (a JSON object with 'images' and 'annotations') or JSONL whose "
                    "lines each hold 'image_id' and 'caption'")


@dataclass
class Captions:
    """Captions by image id, in file order, and what reading them noticed."""

    by_image: dict[Hashable, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    empty: int = 0
    duplicates: int = 0


def image_key(value: Any) -> Hashable | None:
    """An image id as a dict key: ints stay ints, digit strings become ints (COCO ids are
    numbers; JSONL files often quote them), other strings stay; anything else is None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip():
        text = value.strip()
        return int(text) if text.isdigit() else text
    return None


def read_text(path: str | os.PathLike, what: str) -> str:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"{what} file '{path}' does not exist; check the path") from None
    except IsADirectoryError:
        raise UserError(f"{what} file '{path}' is a folder; give a JSON or JSONL file") from None
    except OSError as exc:
        raise UserError(f"cannot read {what} file '{path}': {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise UserError(f"{path}:{line}: not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None


def _records(path: Path, text: str) -> tuple[Any, list[tuple[int, Any]] | None]:
    """(the whole document if it is one JSON value, else None; JSONL records if it is JSONL)."""
    stripped = text.strip()
    if not stripped:
        return None, []
    try:
        return json_loads(stripped), None
    except json.JSONDecodeError:
        pass
    records = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append((number, json_loads(line)))
        except json.JSONDecodeError as exc:
            return None, [(number, _Bad(exc.msg))]
    return None, records


@dataclass
class _Bad:
    msg: str


def read_results(path: str | os.PathLike) -> Captions:
    """One caption per image from a results file."""
    path = Path(path)
    text = read_text(path, "results")
    doc, records = _records(path, text)
    if records is None:
        if not isinstance(doc, list):
            raise UserError(f"{path}: not a results file: expected {RESULTS_SHAPE}, got a JSON "
                            f"{type(doc).__name__ if not isinstance(doc, dict) else 'object'}")
        records = list(enumerate(doc, 1))
        where = "item"
    else:
        where = "line"
    if not records:
        raise UserError(f"{path}: no results in the file; expected {RESULTS_SHAPE}")
    out = Captions()
    for number, rec in records:
        image, caption = _pair(path, where, number, rec, RESULTS_SHAPE)
        if image in out.by_image:
            out.duplicates += 1
            continue
        out.empty += not caption.strip()
        out.by_image[image] = [caption]
    if out.duplicates:
        out.warnings.append(f"{path}: {out.duplicates} result(s) repeat an image already given; the first "
                            f"caption of each image is kept, as COCO's evaluator does")
    if out.empty:
        out.warnings.append(f"{path}: {out.empty} caption(s) are empty; they are scored as empty captions")
    return out


def read_references(path: str | os.PathLike) -> Captions:
    """Every reference caption of every image from an annotations or JSONL file; COCO images
    without annotations are kept with an empty list (counted as "no reference" when scored)."""
    path = Path(path)
    text = read_text(path, "references")
    doc, records = _records(path, text)
    out = Captions()
    if records is None:
        if not (isinstance(doc, dict) and isinstance(doc.get("annotations"), list)):
            raise UserError(f"{path}: not a references file: expected {REFERENCES_SHAPE}")
        images = doc.get("images", [])
        if not isinstance(images, list):
            raise UserError(f"{path}: 'images' must be a list of {{\"id\": ...}} objects; expected {REFERENCES_SHAPE}")
        for number, img in enumerate(images, 1):
            key = image_key(img.get("id")) if isinstance(img, dict) else None
            if key is None:
                raise UserError(f"{path}: images item {number} has no usable 'id' (a number or text); "
                                f"expected {REFERENCES_SHAPE}")
            out.by_image.setdefault(key, [])
        records = list(enumerate(doc["annotations"], 1))
        where = "annotations item"
    else:
        where = "line"
    if not records:
        raise UserError(f"{path}: no reference captions in the file; expected {REFERENCES_SHAPE}")
    for number, rec in records:
        image, caption = _pair(path, where, number, rec, REFERENCES_SHAPE)
        out.empty += not caption.strip()
        out.by_image.setdefault(image, []).append(caption)
    if out.empty:
        out.warnings.append(f"{path}: {out.empty} reference caption(s) are empty; they count as empty references")
    return out


def _pair(path: Path, where: str, number: int, rec: Any, shape: str) -> tuple[Hashable, str]:
    at = f"{path}:{number}" if where == "line" else f"{path}: {where} {number}"
    if isinstance(rec, _Bad):
        raise UserError(f"{at}: not valid JSON ({rec.msg}); expected {shape}")
    if not isinstance(rec, dict) or "image_id" not in rec or "caption" not in rec:
        got = (f"an object with keys {', '.join(sorted(map(str, rec))[:5]) or 'none'}" if isinstance(rec, dict)
               else f"a JSON {type(rec).__name__}")
        raise UserError(f"{at}: expected an object with 'image_id' and 'caption', got {got}; the file "
                        f"must be {shape}")
    image = image_key(rec["image_id"])
    if image is None:
        raise UserError(f"{at}: 'image_id' must be a number or text, got {json.dumps(rec['image_id'])[:40]}")
    if not isinstance(rec["caption"], str):
        raise UserError(f"{at}: 'caption' must be text, got {json.dumps(rec['caption'])[:40]}")
    return image, rec["caption"]


def write_results(path: str | os.PathLike, captions: dict[Hashable, str]) -> Path:
    """COCO results (``[{"image_id", "caption"}]``), which IGRAG's evaluator (and ``igrag score``)
    reads; written to a temporary file and renamed into place."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(json.dumps([{"image_id": i, "caption": c} for i, c in captions.items()],
                                  ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise UserError(f"cannot write '{path}': {exc.strerror or exc}; choose a folder you can write to") from None
    return path
