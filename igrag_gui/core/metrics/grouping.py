"""Validation rows grouped into images: all captions of an image are its references.

IGRAG's data has one row per (image, reference caption), each with the image's prompt. Scoring
each row against its own caption would judge the model against one reference and count every
image five times; COCO scores one generated caption per image against all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Hashable, Sequence

from .files import image_key


@dataclass
class ImageGroup:
    key: Hashable  # the row's image_id, or "line N" for a row without one (its own image)
    prompt: str  # the first row's prompt: what the model captions
    references: list[str] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)


def group_by_image(examples: Sequence[Any]) -> list[ImageGroup]:
    """Examples (with ``prompt``, ``caption``, ``line``, ``image_id``) grouped by image id, in
    order of first appearance; rows without an image id are images of their own."""
    groups: dict[Hashable, ImageGroup] = {}
    for ex in examples:
        key = image_key(getattr(ex, "image_id", None))
        if key is None:
            key = f"line {ex.line}"
        group = groups.get(key)
        if group is None:
            group = groups[key] = ImageGroup(key, ex.prompt)
        group.references.append(ex.caption)
        group.lines.append(ex.line)
    return list(groups.values())
