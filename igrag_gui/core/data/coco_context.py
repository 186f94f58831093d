"""The retrieval context of a COCO import: captions of *other* images, never the image's own.

IGRAG's prompt holds captions of similar images, found by an image retriever. A captions file has
no images, so by default the image's own caption set stands in for it and other images' captions
are ranked by TF-IDF cosine similarity to it. Why not the image's other captions, as before: they
describe the very image, and with five near-paraphrases of the target in the prompt the model
learns to copy, and its validation scores flatter it (``igrag data check`` reports the leak).
A user with real neighbours (a CLIP index, say) gives them in a file instead (``load_neighbours``).

Bounded at any size: a query looks at its ``QUERY_TERMS`` rarest words that other images have
too, and at most
``POSTINGS_CAP`` captions per word (the candidate set is at most their product), so an import
of COCO's 590k captions costs a few hundred dictionary updates per image. A retrieved caption
that holds one of the image's own captions (COCO repeats common sentences across images) is
skipped, so the check finds no caption in its own prompt.
"""

from __future__ import annotations

import heapq
import json
import math
from collections import defaultdict
from pathlib import Path
from typing import Any, Iterable, Iterator

from ..errors import UserError
from ..files.bounded import json_loads
from .checks import words

CONTEXT_CAPTIONS = 5  # captions of other images in each prompt (IGRAG retrieves 3-5)
MAX_CAPTIONS_PER_IMAGE = 10  # rows per image (COCO has 5-7 captions an image)
QUERY_TERMS = 8
POSTINGS_CAP = 64


class CaptionIndex:
    """An inverted index of every kept caption: word -> the captions holding it (capped)."""

    def __init__(self, by_image: dict[Any, list[str]]):
        self.images = list(by_image)
        self.captions: list[tuple[Any, str, str]] = []  # (image_id, text, " its words ")
        df: dict[str, int] = defaultdict(int)
        self.postings: dict[str, list[int]] = defaultdict(list)
        for image_id, captions in by_image.items():
            for text in captions:
                toks = words(text)
                index = len(self.captions)
                self.captions.append((image_id, text, f" {' '.join(toks)} "))
                for term in set(toks):
                    df[term] += 1
                    if len(self.postings[term]) < POSTINGS_CAP:
                        self.postings[term].append(index)
        self.df = df
        n = max(len(self.captions), 1)
        self.idf = {term: math.log((1 + n) / (1 + count)) + 1.0 for term, count in df.items()}
        self.norms = [math.sqrt(sum(self.idf[t] ** 2 for t in set(joined.split()))) or 1.0
                      for _, _, joined in self.captions]

    def similar(self, image_id: Any, captions: list[str], k: int = CONTEXT_CAPTIONS) -> list[str]:
        """Up to ``k`` captions of other images (one each), best first, for an image with ``captions``."""
        own = [words(c) for c in captions]
        query: dict[str, float] = defaultdict(float)
        mine: dict[str, int] = defaultdict(int)  # captions of this image holding each word
        for toks in own:
            for term in toks:
                query[term] += self.idf.get(term, 0.0)
            for term in set(toks):
                mine[term] += 1
        # the rarest words that other images have too (a word of this image alone finds nothing)
        shared = [t for t in query if self.df.get(t, 0) > mine[t]]
        terms = sorted(shared, key=lambda t: (-self.idf[t], t))[:QUERY_TERMS]
        scores: dict[int, float] = defaultdict(float)
        for term in terms:
            weight = query[term] * self.idf[term]
            for index in self.postings.get(term, ()):
                scores[index] += weight
        norms = self.norms
        best = {i: -s / norms[i] for i, s in scores.items()}
        own_text = [f" {' '.join(toks)} " for toks in own if toks]
        picked: list[str] = []
        seen_images = {image_id}
        for index in self._ranked(best, 8 * k):
            other, text, joined = self.captions[index]
            if other in seen_images or any(m in joined for m in own_text):  # holds a caption of this image
                continue
            seen_images.add(other)
            picked.append(text)
            if len(picked) == k:
                break
        return picked


    @staticmethod
    def _ranked(best: dict[int, float], first: int) -> Iterator[int]:
        """Candidates best first: the top ``first`` by a heap (nearly always enough), then the rest."""
        top = heapq.nsmallest(first, best, key=lambda i: (best[i], i))
        yield from top
        if len(top) < len(best):
            done = set(top)
            yield from sorted((i for i in best if i not in done), key=lambda i: (best[i], i))


def load_neighbours(path: str | Path, images: Iterable[Any]) -> dict[Any, list[Any]]:
    """A neighbours file: JSON ``{"image_id": [neighbour ids, best first], ...}`` or JSONL lines of
    ``{"image_id": ..., "neighbours": [...]}``. An image listed as its own neighbour is dropped
    from its list; ids the captions file does not hold are an error naming the first."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UserError(f"cannot read the neighbours file '{path}' ({exc.strerror or exc}); check --neighbours") from None
    known = {str(i): i for i in images}
    try:
        if text.lstrip().startswith("{") and "\n{" not in text.strip():
            raw = json_loads(text)
            pairs = list(raw.items()) if isinstance(raw, dict) else []
        else:
            pairs = []
            for line in text.splitlines():
                if line.strip():
                    rec = json_loads(line)
                    pairs.append((rec.get("image_id"), rec.get("neighbours")))
    except (json.JSONDecodeError, AttributeError) as exc:
        raise UserError(f"{path}: not a neighbours file ({exc}); give JSON {{\"image_id\": [neighbour ids]}} "
                        f"or JSONL of {{\"image_id\": ..., \"neighbours\": [...]}}") from None
    out: dict[Any, list[Any]] = {}
    for key, ids in pairs:
        if not isinstance(ids, list):
            raise UserError(f"{path}: the neighbours of image {key} must be a list of image ids")
        image = known.get(str(key))
        if image is None:
            continue  # an image the captions file does not hold: nothing to import for it
        for n in ids:
            if str(n) not in known:
                raise UserError(f"{path}: image {key} lists neighbour {n}, which has no captions in the COCO "
                                f"file; list only images of that file")
        out[image] = [known[str(n)] for n in ids if str(n) != str(key)]
    return out
