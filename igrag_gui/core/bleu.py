"""Corpus BLEU-4 (Papineni et al. 2002), computed here: no metric downloads, and additive
statistics so that several processes can each score a shard and sum.

Tokenisation is COCO-caption style: lowercase, words and punctuation marks as tokens.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Sequence

_TOKEN = re.compile(r"\w+|[^\w\s]")
MAX_N = 4


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def _ngrams(tokens: Sequence[str], n: int) -> Counter:
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


@dataclass
class BleuStats:
    """Clipped n-gram matches and totals for n = 1..4, hypothesis and reference lengths."""

    matches: list[int] = field(default_factory=lambda: [0] * MAX_N)
    totals: list[int] = field(default_factory=lambda: [0] * MAX_N)
    hyp_len: int = 0
    ref_len: int = 0

    def add(self, hypothesis: str, references: Sequence[str]) -> None:
        hyp = tokenize(hypothesis)
        refs = [tokenize(r) for r in references] or [[]]
        self.hyp_len += len(hyp)
        # the reference length closest to the hypothesis length (shorter wins ties)
        self.ref_len += min((abs(len(r) - len(hyp)), len(r)) for r in refs)[1]
        for n in range(1, MAX_N + 1):
            counts = _ngrams(hyp, n)
            best: Counter = Counter()
            for r in refs:
                best |= _ngrams(r, n)
            self.matches[n - 1] += sum(min(c, best[g]) for g, c in counts.items())
            self.totals[n - 1] += max(0, len(hyp) - n + 1)

    def as_list(self) -> list[int]:
        return [*self.matches, *self.totals, self.hyp_len, self.ref_len]

    @classmethod
    def from_list(cls, values: Sequence[float]) -> "BleuStats":
        v = [int(round(x)) for x in values]
        return cls(v[:MAX_N], v[MAX_N:2 * MAX_N], v[2 * MAX_N], v[2 * MAX_N + 1])

    def score(self) -> float:
        """BLEU-4 on a 0-100 scale; 0 when any n-gram order has no match."""
        if self.hyp_len == 0 or min(self.matches) == 0:
            return 0.0
        log_precision = sum(math.log(m / t) for m, t in zip(self.matches, self.totals)) / MAX_N
        brevity = 1.0 if self.hyp_len > self.ref_len else math.exp(1 - self.ref_len / self.hyp_len)
        return 100.0 * brevity * math.exp(log_precision)


def corpus_bleu(hypotheses: Iterable[str], references: Iterable[Sequence[str] | str]) -> float:
    """BLEU-4 of a corpus; each reference entry is one string or a list of strings."""
    stats = BleuStats()
    for hyp, refs in zip(hypotheses, references, strict=True):
        stats.add(hyp, [refs] if isinstance(refs, str) else refs)
    return stats.score()
