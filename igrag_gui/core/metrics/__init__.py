"""Caption evaluation the way the field does it: pycocoevalcap's scorers, PTB tokens.

- ``names``: the metric names every part of the app uses (config, events, JSON, labels) and
  the one formatting function;
- ``coco.score``: pycocoevalcap's Bleu/Meteor/Rouge/Cider/Spice on one caption per image;
- ``ptb``: PTBTokenizer's tokens in pure Python (no Java needed for BLEU, ROUGE-L, CIDEr);
- ``java``: finding the Java runtime METEOR, SPICE and the Java tokenizer need;
- ``files`` and ``evaluate``: reading results and references, matching them, reporting;
- ``grouping``: validation rows grouped into images (one caption generated per image).
"""

from typing import TYPE_CHECKING, Any

from .names import (DEFAULT_BEST, DEFAULT_METRICS, LABELS, METRICS, canonical, event_key, format_score, label,
                    scores_of)

__all__ = ["DEFAULT_BEST", "DEFAULT_METRICS", "LABELS", "METRICS", "Scores", "canonical", "event_key",
           "format_score", "label", "score", "scores_of", "worst_first"]

if TYPE_CHECKING:
    from .coco import Scores, score, worst_first


def __getattr__(name: str) -> Any:
    """``score``, ``Scores`` and ``worst_first`` load the scorers' module (PTB patterns, the Java
    finder, subprocess) when first used: the window's first frame needs only the names."""
    if name in ("Scores", "score", "worst_first"):
        from . import coco

        return getattr(coco, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
