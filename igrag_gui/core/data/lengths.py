"""Token lengths of prompts and captions against the configured limits: the histogram that helps
choose ``max_source_length`` and ``max_target_length``, and how many rows each limit would cut."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from .tokenize import tokenize_batch


@dataclass
class Histogram:
    counts: list[int]
    edges: list[float]  # len(counts) + 1
    limit: int
    over: int  # rows longer than limit (truncated in training)
    total: int
    longest: int


def histogram(lengths: Sequence[int], limit: int, bins: int = 30) -> Histogram:
    """Equal-width bins from 0 to past both the longest row and the limit."""
    import numpy as np

    values = np.asarray(lengths, dtype=np.int64)
    top = int(max(values.max(initial=0), limit)) + 1
    counts, edges = np.histogram(values, bins=bins, range=(0, top))
    return Histogram(counts.tolist(), edges.tolist(), limit, int((values > limit).sum()), len(values),
                     int(values.max(initial=0)))


def length_histograms(prompts: Sequence[str], captions: Sequence[str], tokenizer: Any, kind: str,
                      max_source: int, max_target: int) -> tuple[Histogram, Histogram]:
    """(prompts, captions) counted exactly as training tokenizes them (special tokens included)."""
    batch = tokenize_batch(prompts, captions, tokenizer, kind, max_source, max_target)
    return histogram(batch.prompt_lengths, max_source), histogram(batch.caption_lengths, max_target)
