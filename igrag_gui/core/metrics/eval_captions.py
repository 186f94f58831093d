"""A run's per-image evaluation: ``eval_captions.json`` in its folder, the captions its last
evaluation generated, one per validation image, with that image's references.

Corpus scores cannot be split into per-image parts (BLEU counts n-grams over the corpus, CIDEr
weighs them by the corpus's document frequencies), so what a run keeps is not per-image scores
but what they are computed from: ``bootstrap`` recomputes the corpus metric on resampled images.
The file is rewritten (renamed into place) at every evaluation; ``step`` says which one it is.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Hashable, Mapping, Sequence

FILE = "eval_captions.json"
VERSION = 1


@dataclass
class EvalCaptions:
    """One evaluation's generated captions and references, by image id (in validation order)."""

    step: int
    captions: dict[Hashable, str]
    references: dict[Hashable, list[str]]
    metrics: list[str]


def write_eval_captions(folder: str | os.PathLike, step: int, captions: Mapping[Hashable, str],
                        references: Mapping[Hashable, Sequence[str]], metrics: Sequence[str]) -> Path:
    folder = Path(folder)
    images = [{"image_id": key, "caption": captions[key], "references": list(refs)}
              for key, refs in references.items() if key in captions]
    doc = {"version": VERSION, "step": int(step), "metrics": list(metrics), "images": images}
    tmp = folder / f".{FILE}.tmp"
    tmp.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, folder / FILE)
    return folder / FILE


def read_eval_captions(folder: str | os.PathLike) -> EvalCaptions | str:
    """The run's per-image evaluation, or the sentence saying why there is none."""
    path = Path(folder) / FILE
    if not path.is_file():
        return f"it kept no per-image evaluation ({FILE})"
    try:
        doc: Any = json.loads(path.read_text(encoding="utf-8"))
        images = doc["images"]
        captions = {_key(i["image_id"]): str(i["caption"]) for i in images}
        references = {_key(i["image_id"]): [str(r) for r in i["references"]] for i in images}
        step, metrics = int(doc.get("step") or 0), [str(m) for m in doc.get("metrics") or []]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        return f"its {FILE} cannot be read ({type(exc).__name__}: {exc})"
    if not captions:
        return f"its {FILE} holds no images"
    return EvalCaptions(step, captions, references, metrics)


def _key(value: Any) -> Hashable:
    return value if isinstance(value, (int, str)) else str(value)
