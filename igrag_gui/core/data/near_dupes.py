"""Near-duplicate rows at any size: MinHash signatures, banded buckets, a cap per bucket.

Why not compare every pair: 200k rows are 2e10 pairs. Each row's prompt becomes a set of word
3-grams; ``PERMUTATIONS`` min-hashes sketch the set (two sets share a min-hash with the chance of
their Jaccard similarity). Rows land in one bucket per band (``BANDS`` slices of the signature)
together with their normalised caption, so only rows with the same caption and one identical band
are ever compared (exactly, on their 3-grams): for a similarity of 0.9 the chance to share a band
is 1 - (1 - 0.9^5)^8 > 99.9%, for 0.3 it is 2%.
A bucket larger than ``BUCKET_CAP`` (a template shared by thousands of rows) is compared as a
star (every member against its first) instead of all pairs, so the comparisons stay below
``BANDS * BUCKET_CAP * rows`` whatever the data; ``NearDupes.comparisons`` counts them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

PERMUTATIONS = 40
BANDS = 8  # of PERMUTATIONS // BANDS = 5 min-hashes each
BUCKET_CAP = 64
THRESHOLD = 0.9  # Jaccard similarity of the prompts' word 3-grams, verified exactly


class _Vocab(dict):
    """Words numbered in the order first seen: the same files always give the same numbers
    (unlike ``hash()``, salted per process), and a known word costs one C-level lookup."""

    def __missing__(self, word: str) -> int:
        self[word] = n = (len(self) + 1) & 0x1FFFFF
        return n


@dataclass
class NearDupes:
    """Collects rows (``add``), then ``groups()`` gives the near-duplicate groups of row indexes."""

    comparisons: int = 0
    capped_buckets: int = 0
    _vocab: _Vocab = field(default_factory=_Vocab)
    _ids: list[list[int]] = field(default_factory=list)
    _captions: list[int] = field(default_factory=list)
    _chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)  # grams, starts, sig

    def __post_init__(self) -> None:
        rng = np.random.default_rng(20261207)
        self._a = rng.integers(1, 2 ** 63, PERMUTATIONS, dtype=np.uint64) | np.uint64(1)  # odd multipliers
        self._b = rng.integers(0, 2 ** 63, PERMUTATIONS, dtype=np.uint64)

    def add(self, prompt_tokens: list[str], caption_key: int) -> None:
        """One row: its prompt's words and a key of its normalised caption."""
        vocab = self._vocab
        ids = [vocab[t] for t in prompt_tokens]
        self._ids.append(ids if len(ids) >= 3 else (ids + [0, 0, 0])[:3])
        self._captions.append(caption_key & 0x7FFFFFFFFFFFFFFF)
        if len(self._ids) >= 8192:
            self._flush()

    def _flush(self) -> None:
        """The pending rows' 3-grams (vectorised over the chunk) and MinHash signatures."""
        if not self._ids:
            return
        lengths = np.fromiter((len(g) for g in self._ids), np.int64, len(self._ids))
        flat = np.fromiter((x for g in self._ids for x in g), np.uint64, int(lengths.sum()))
        ends = np.cumsum(lengths)
        end_of = np.repeat(ends, lengths)[:-2]
        position = np.arange(len(flat) - 2)
        valid = end_of - position >= 3  # the gram starting here stays inside its row
        grams = ((flat[:-2] << np.uint64(42)) | (flat[1:-1] << np.uint64(21)) | flat[2:])[valid]
        counts = lengths - 2
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        sig = np.empty((len(self._ids), PERMUTATIONS), np.uint32)
        with np.errstate(over="ignore"):
            for k in range(PERMUTATIONS):  # multiply-shift hashing, wrapping in 64 bits
                hashed = ((grams * self._a[k] + self._b[k]) >> np.uint64(32)).astype(np.uint32)
                sig[:, k] = np.minimum.reduceat(hashed, starts)
        self._chunks.append((grams, np.append(starts, len(grams)), sig))
        self._ids = []

    def _grams(self, row: int) -> np.ndarray:
        for grams, bounds, sig in self._chunks:
            if row < len(sig):
                return np.unique(grams[bounds[row]:bounds[row + 1]])
            row -= len(sig)
        raise IndexError(row)

    def _similar(self, i: int, j: int) -> bool:
        a, b = self._grams(i), self._grams(j)
        shared = len(np.intersect1d(a, b, assume_unique=True))
        return shared >= THRESHOLD * (len(a) + len(b) - shared)

    def groups(self) -> list[list[int]]:
        """Groups (row indexes in ``add`` order, 2 or more) with the same caption key whose
        prompts are at least ``THRESHOLD`` alike."""
        self._flush()
        if not self._chunks:
            return []
        sig = np.concatenate([c[2] for c in self._chunks]).astype(np.uint64)
        captions = np.array(self._captions, dtype=np.uint64)
        parent = list(range(len(sig)))

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        width = PERMUTATIONS // BANDS
        mix = np.random.default_rng(7).integers(1, 2 ** 63, width + 1, dtype=np.uint64) | np.uint64(1)
        for band in range(BANDS):
            with np.errstate(over="ignore"):  # one 64-bit key per (caption, band): sorting finds buckets
                key = captions * mix[width]
                for k in range(width):
                    key = (key ^ sig[:, band * width + k]) * mix[k]
            order = np.argsort(key, kind="stable")
            sorted_keys = key[order]
            bounds = np.concatenate(([0], np.flatnonzero(np.diff(sorted_keys)) + 1, [len(order)]))
            big = np.flatnonzero(np.diff(bounds) >= 2)  # buckets of one row compare nothing
            for b in big.tolist():
                members = sorted(order[bounds[b]:bounds[b + 1]].tolist())
                if len(members) > BUCKET_CAP:
                    self.capped_buckets += 1
                    pairs = ((members[0], j) for j in members[1:])
                else:
                    pairs = ((i, j) for n, i in enumerate(members) for j in members[n + 1:])
                for i, j in pairs:
                    ri, rj = find(i), find(j)
                    if ri == rj:
                        continue
                    self.comparisons += 1
                    if self._similar(i, j):
                        parent[max(ri, rj)] = min(ri, rj)
        grouped: dict[int, list[int]] = defaultdict(list)
        for i in range(len(sig)):
            grouped[find(i)].append(i)
        return sorted((g for g in grouped.values() if len(g) > 1), key=lambda g: g[0])
