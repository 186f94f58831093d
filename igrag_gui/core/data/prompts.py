"""The IGRAG prompt: retrieved captions of similar images plus detected objects, as one text.

The demo data, the playground's prompt builder and anyone scripting against the core build
prompts here, so that a model trained on one sees the same layout in the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

DEFAULT_TEMPLATE = (
    "Write a caption for the image.\n"
    "Similar images: {captions}\n"
    "Objects: {objects}\n"
    "Caption:"
)

_ROWS = ("top", "middle", "bottom")
_COLS = ("left", "center", "right")


@dataclass(frozen=True)
class DetectedObject:
    """A detector's label and where the box sits in the image (``position`` in words)."""

    label: str
    position: str = ""

    def describe(self) -> str:
        return f"{self.label} ({self.position})" if self.position else self.label


def position_name(bbox: Sequence[float]) -> str:
    """Name the third of the image a normalised ``[x, y, w, h]`` box's centre falls in.

    ``[0.4, 0.4, 0.2, 0.2]`` is "center"; ``[0, 0, 0.2, 0.2]`` is "top left".
    """
    x, y, w, h = (float(v) for v in bbox)
    cx, cy = x + w / 2, y + h / 2
    col = _COLS[min(2, max(0, int(cx * 3)))]
    row = _ROWS[min(2, max(0, int(cy * 3)))]
    if row == "middle":
        return col if col != "center" else "center"
    return f"{row} {col}" if col != "center" else row


def build_prompt(
    captions: Sequence[str],
    objects: Sequence[DetectedObject | str],
    template: str = DEFAULT_TEMPLATE,
) -> str:
    """Fill ``template``'s ``{captions}`` and ``{objects}`` slots.

    Captions are joined with `` | `` (one retrieved caption each), objects with ``, ``.
    An empty list becomes ``none`` so the model always sees both slots.
    """
    caption_text = " | ".join(c.strip() for c in captions if c.strip()) or "none"
    object_text = ", ".join(
        o.describe() if isinstance(o, DetectedObject) else str(o) for o in objects
    ) or "none"
    return template.format(captions=caption_text, objects=object_text)


def parse_objects(text: str) -> list[DetectedObject]:
    """The objects a user typed, one per line: ``label``, ``label x y w h`` (a normalised box,
    named by ``position_name``) or ``label, position`` (the position in words)."""
    objects = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if "," in line:
            label, position = (part.strip() for part in line.split(",", 1))
            objects.append(DetectedObject(label, position))
            continue
        parts = line.split()
        numbers = []
        for token in parts[::-1]:
            try:
                numbers.insert(0, float(token))
            except ValueError:
                break
        if len(numbers) == 4:
            label = " ".join(parts[:-4])
            objects.append(DetectedObject(label, position_name(numbers)))
        else:
            objects.append(DetectedObject(line))
    return objects
