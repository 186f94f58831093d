#!/usr/bin/env python
"""Generate the embedded IGRAG demo dataset (``resources/demo/data/{train,val}.jsonl``).

Why synthetic: the app ships a demo that must fine-tune offline in about a minute, so it needs a
small dataset whose captions a tiny model can actually learn, with no licensing questions. Each
example imitates one COCO image as IGRAG sees it:

* a hidden *scene* (a family such as "surfing" plus slot values such as "a woman");
* the reference ``caption``: the scene written in its family's canonical COCO-style sentence;
* 3-5 *retrieved* captions of "similar images": paraphrases of the scene with synonyms, some wrong
  details (another slot value), sloppy casing/punctuation, and now and then an unrelated caption;
* 2-6 *detected objects* (COCO labels with normalised ``[x, y, w, h]`` boxes) implied by the scene,
  with occasional misses and false detections.

The caption is inferable from the prompt (vote over the retrieved captions, check the detections,
map synonyms back to canonical words) but no retrieved caption holds it whole (``igrag data check``
finds no prompt containing its own caption). Everything
comes from one ``random.Random(seed)``, so two runs write byte-identical files.

Usage::

    python tools/make_demo_data.py [--out DIR] [--seed N] [--train N] [--val N]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from igrag_gui.core.data.checks import caption_overlap  # noqa: E402
from igrag_gui.core.data.checks import words as split_words  # noqa: E402
from igrag_gui.core.data.prompts import DetectedObject, build_prompt, position_name  # noqa: E402

DEFAULT_OUT = REPO_ROOT / "resources" / "demo" / "data"
DEFAULT_SEED = 1234

# How noisy the retrieved neighbours are. Tuned so that a majority vote over 3-5 captions plus the
# detections usually recovers the scene, but no single caption can be trusted.
P_WRONG_SLOT = 0.2  # a neighbour mentions another value for a slot (wrong count, colour, place...)
P_CANONICAL_WORD = 0.35  # a neighbour happens to use the reference's own wording for a slot
P_REFERENCE_TEMPLATE = 0.15  # a neighbour happens to use the reference's sentence pattern
P_UNRELATED = 0.12  # one neighbour is a caption of a different kind of scene
P_SLOPPY_CASE = 0.25  # "A man riding..." (COCO captions are not normalised)
P_NO_PERIOD = 0.3
P_MISSED_DETECTION = 0.1
FALSE_DETECTIONS = (0.45, 0.4, 0.15)  # chances of 0, 1 or 2 spurious boxes


# The scene vocabulary and families live beside this script (demo_vocabulary.py,
# demo_families_part*.py); they are joined here in a fixed order, so the output never changes.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from demo_families_part1 import FAMILIES as _PART1  # noqa: E402
from demo_families_part2 import FAMILIES as _PART2  # noqa: E402
from demo_families_part3 import FAMILIES as _PART3  # noqa: E402
from demo_vocabulary import FALSE_LABELS, HIGH_LABELS, LOW_LABELS, Family, Option  # noqa: E402,F401

FAMILIES: tuple[Family, ...] = _PART1 + _PART2 + _PART3


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------


def _phrase(rng: random.Random, option: Option) -> str:
    """How one captioner words a slot value: sometimes the reference wording, mostly a synonym."""
    if not option.synonyms or rng.random() < P_CANONICAL_WORD:
        return option.text
    return rng.choice(option.synonyms)


def _fill(template: str, words: dict[str, str]) -> str:
    text = template.format(**words)
    return text[0].lower() + text[1:]


def _sloppy(rng: random.Random, caption: str) -> str:
    """COCO captions come with inconsistent casing and punctuation."""
    if rng.random() < P_SLOPPY_CASE:
        caption = caption[0].upper() + caption[1:]
    if rng.random() < P_NO_PERIOD:
        caption = caption.rstrip(".")
    return caption


def _neighbour_caption(
    rng: random.Random, family: Family, scene: dict[str, Option], caption: str = ""
) -> tuple[str, int]:
    """A retrieved caption of a similar image; returns it and how many details it gets wrong.

    A neighbour never holds the example's own ``caption`` (ignoring case and punctuation): with
    the reference template and every slot in its reference wording it would be the answer itself,
    a leak ``igrag data check`` reports. Such a neighbour takes the family's first paraphrase that
    does not hold it, with the same words and sloppiness; no random draw is added, so every other
    row stays as it was.
    """
    templates = family.paraphrases
    template = family.reference if rng.random() < P_REFERENCE_TEMPLATE else rng.choice(templates)
    words, errors = {}, 0
    for name, options in family.slots.items():
        option = scene[name]
        if len(options) > 1 and rng.random() < P_WRONG_SLOT:
            option = rng.choice([o for o in options if o is not scene[name]])
            errors += 1
        words[name] = _phrase(rng, option)
    text = _sloppy(rng, _fill(template, words))
    if caption and caption_overlap(split_words(text), split_words(caption)) == "all":
        for other in templates:
            again = _fill(other, words)
            if caption_overlap(split_words(again), split_words(caption)) != "all":
                upper = text[:1].isupper()
                again = (again[0].upper() + again[1:]) if upper else again
                text = again if text.endswith(".") else again.rstrip(".")
                break
    return text, errors


def _random_scene(rng: random.Random, family: Family) -> dict[str, Option]:
    return {name: rng.choice(options) for name, options in family.slots.items()}


def _bbox(rng: random.Random, label: str) -> list[float]:
    """A plausible normalised ``[x, y, w, h]`` box for ``label``."""
    w = rng.uniform(0.08, 0.5)
    h = rng.uniform(0.08, 0.5)
    if label in HIGH_LABELS:
        cy = rng.uniform(0.05, 0.45)
    elif label in LOW_LABELS:
        cy = rng.uniform(0.55, 0.95)
    else:
        cy = rng.uniform(0.15, 0.85)
    cx = rng.uniform(0.05, 0.95)
    x = min(max(cx - w / 2, 0.0), 1.0 - w)
    y = min(max(cy - h / 2, 0.0), 1.0 - h)
    return [round(x, 3), round(y, 3), round(w, 3), round(h, 3)]


def _detections(rng: random.Random, family: Family, scene: dict[str, Option]) -> list[dict]:
    """What an object detector reports for the scene: mostly right, sometimes not."""
    true_labels = list(family.labels)
    for option in scene.values():
        true_labels.extend(option.labels)
    labels = [lab for lab in true_labels if rng.random() >= P_MISSED_DETECTION] or true_labels[:1]
    n_false = rng.choices((0, 1, 2), weights=FALSE_DETECTIONS)[0]
    labels.extend(rng.choice(FALSE_LABELS) for _ in range(n_false))
    while len(labels) < 2:
        labels.append(rng.choice(FALSE_LABELS))
    labels = labels[:6]
    rng.shuffle(labels)
    return [{"label": lab, "bbox": _bbox(rng, lab)} for lab in labels]


def make_example(rng: random.Random, image_id: int, split: str) -> dict:
    """One IGRAG example: hidden scene -> reference caption, neighbours, detections, prompt."""
    family = rng.choice(FAMILIES)
    scene = _random_scene(rng, family)
    caption = _fill(family.reference, {name: o.text for name, o in scene.items()})

    retrieved = []
    for _ in range(rng.randint(3, 5)):
        text, errors = _neighbour_caption(rng, family, scene, caption)
        score = 0.9 - 0.06 * errors + rng.uniform(-0.08, 0.06)
        retrieved.append({"caption": text, "score": score})
    if rng.random() < P_UNRELATED:
        other = rng.choice([f for f in FAMILIES if f is not family])
        text, _ = _neighbour_caption(rng, other, _random_scene(rng, other))
        retrieved[rng.randrange(len(retrieved))] = {"caption": text, "score": rng.uniform(0.45, 0.7)}
    retrieved.sort(key=lambda r: -r["score"])  # a retriever returns its best match first
    for r in retrieved:
        r["score"] = round(r["score"], 3)

    objects = _detections(rng, family, scene)
    prompt = build_prompt(
        [r["caption"] for r in retrieved],
        [DetectedObject(o["label"], position_name(o["bbox"])) for o in objects],
    )
    return {
        "image_id": image_id,
        "prompt": prompt,
        "caption": caption,
        "metadata": {"split": split, "scene": family.name, "retrieved": retrieved, "objects": objects},
    }


def make_dataset(seed: int, n_train: int, n_val: int) -> dict[str, list[dict]]:
    """Both splits from one seed; image ids are COCO-like and disjoint between the splits."""
    rng = random.Random(seed)
    ids = rng.sample(range(1, 600_000), n_train + n_val)
    train_ids, val_ids = sorted(ids[:n_train]), sorted(ids[n_train:])
    return {
        "train": [make_example(rng, i, "train") for i in train_ids],
        "val": [make_example(rng, i, "val") for i in val_ids],
    }


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for train/val.jsonl")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--train", type=int, default=1000, help="number of training examples")
    parser.add_argument("--val", type=int, default=100, help="number of validation examples")
    args = parser.parse_args(argv)

    splits = make_dataset(args.seed, args.train, args.val)
    for name, rows in splits.items():
        write_jsonl(args.out / f"{name}.jsonl", rows)
        print(f"wrote {len(rows)} examples to {args.out / f'{name}.jsonl'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
