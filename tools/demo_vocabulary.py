"""The demo data's scene vocabulary: slot values, families' building blocks, detector labels
(``make_demo_data.py`` draws from them; split from it so that each file stays readable)."""

from __future__ import annotations

from dataclasses import dataclass, field

# --------------------------------------------------------------------------------------------
# Scene vocabulary
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    """One value of a slot: the reference wording, how other captioners say it, what a detector sees."""

    text: str
    synonyms: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()


def opt(text: str, *synonyms: str, labels: tuple[str, ...] | str = ()) -> Option:
    """Short constructor so the tables below stay readable."""
    if isinstance(labels, str):
        labels = (labels,)
    return Option(text, tuple(synonyms), tuple(labels))


@dataclass(frozen=True)
class Family:
    """A kind of COCO scene: one canonical sentence, several paraphrases, slots to vary."""

    name: str
    reference: str
    paraphrases: tuple[str, ...]
    slots: dict[str, tuple[Option, ...]] = field(default_factory=dict)
    labels: tuple[str, ...] = ()  # detections every image of this kind has


# Slot value sets shared by several families.
PERSON = (
    opt("a man", "a guy", "a young man", "a person", "a male", labels="person"),
    opt("a woman", "a lady", "a young woman", "a female", "a person", labels="person"),
    opt("a young boy", "a little boy", "a kid", "a child", "a small boy", labels="person"),
    opt("a little girl", "a young girl", "a small girl", "a child", "a kid", labels="person"),
)
RIDER = (
    opt("a man", "a guy", "a young man", "a person", labels="person"),
    opt("a woman", "a lady", "a young woman", "a person", labels="person"),
    opt("two men", "two guys", "a couple of men", "two people", labels=("person", "person")),
)
PEOPLE = (
    opt("a group of people", "a bunch of people", "several people", "a crowd of people",
        labels=("person", "person", "person")),
    opt("two women", "two ladies", "a couple of women", "two people", labels=("person", "person")),
    opt("a man and a woman", "a couple", "a man and his wife", "two people", labels=("person", "person")),
    opt("a family", "a group of people", "parents and their kids", labels=("person", "person", "person")),
)
SURFACE = (
    opt("a wooden table", "a wood table", "a brown table", "a table", labels="dining table"),
    opt("a white plate", "a plate", "a small plate", "a dish", labels="bowl"),
    opt("a cutting board", "a wooden board", "a chopping board"),
    opt("a kitchen counter", "a counter top", "the counter", "a counter"),
)
PARK = (
    opt("a park", "a public park", "the park", "a grassy park"),
    opt("a grassy field", "a field", "the grass", "an open field"),
    opt("a sandy beach", "the beach", "a beach", "the sand"),
)
STREET = (
    opt("a city street", "a busy street", "the street", "a road in the city"),
    opt("a sidewalk", "the sidewalk", "a walkway", "a paved path"),
    opt("a country road", "a rural road", "a dirt road", "an empty road"),
)
COLOR = (
    opt("red", "bright red"),
    opt("yellow", "bright yellow"),
    opt("blue", "light blue", "dark blue"),
    opt("green", "dark green"),
    opt("white", "bright white"),
)

# Detectors also fire on things that are not there; draw false positives from common COCO labels.
FALSE_LABELS = (
    "person", "car", "chair", "bottle", "cup", "handbag", "backpack", "bench", "potted plant",
    "book", "clock", "tv", "dog", "bird", "umbrella", "truck", "bowl", "cell phone", "tie",
)
# Where objects of a label usually sit (rows of the image), so positions read plausibly.
HIGH_LABELS = {"kite", "airplane", "clock", "traffic light", "bird", "tv", "stop sign"}
LOW_LABELS = {
    "surfboard", "skateboard", "skis", "snowboard", "dining table", "bench", "suitcase",
    "fire hydrant", "bowl", "mouse", "keyboard", "bed", "couch", "car", "boat", "sports ball",
}
