"""95% intervals for caption metrics: a paired bootstrap over the validation images.

Why paired: two runs evaluated on the same images differ partly because some images are easy and
some hard; resampling the *same* images for every run (one index vector per resample, shared by
all runs) cancels that, so the interval of a difference is much tighter than the two runs'
separate intervals suggest.

Why recompute: BLEU is a corpus statistic (n-gram counts and the brevity penalty summed over all
images) and CIDEr weighs n-grams by their document frequency over the corpus's references, so a
mean of per-image scores is not the corpus score. Each resample is therefore scored again as a
corpus: a resampled image that appears twice counts twice, in BLEU's n-gram sums and in CIDEr's
document frequencies (and its IDF's corpus size) alike. ROUGE-L is a mean of per-image scores.

Each resample is a weight per image (how many times it was drawn), and the corpus statistics
are weighted sums, so 1,000 resamples of 5,000 images take seconds, not hours.

The interval is the percentile one (2.5th and 97.5th of the resampled statistic) from numpy's
seeded generator: the same inputs and seed give the same interval on every machine. BCa would
need a jackknife pass (one extra corpus scoring per image), too slow for 5,000 images. METEOR and
SPICE are not bootstrapped (each resample would start their Java scorer); the validation loss is
not kept per image.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Hashable, Mapping, Sequence

import numpy as np

from .names import ordered
from .ptb import tokenize_all

BOOTSTRAPPED = ("bleu1", "bleu2", "bleu3", "bleu4", "rouge_l", "cider")
NOT_BOOTSTRAPPED = {"loss": "the validation loss is not kept per image",
                    "meteor": "METEOR would start its Java scorer for every resample",
                    "spice": "SPICE would start its Java scorer for every resample"}
DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 0
CONFIDENCE = 0.95


@dataclass
class Interval:
    value: float  # the statistic on all the images
    low: float
    high: float

    def to_json(self) -> dict[str, float]:
        return {"value": self.value, "low": self.low, "high": self.high}


@dataclass
class Paired:
    """Intervals for each system and for each pair's difference (a minus b), metric by metric."""

    images: list[Hashable]
    metrics: list[str]
    resamples: int
    seed: int
    systems: list[dict[str, Interval]] = field(default_factory=list)
    differences: dict[tuple[int, int], dict[str, Interval]] = field(default_factory=dict)


class _Corpus:
    """One system's captions and references as the statistics its corpus scores are sums of.

    The n-gram counting is pycocoevalcap's own (``BleuScorer`` and CIDEr's ``precook`` on PTB
    tokens); what is done here is only the final aggregation, written over a weight per image
    (how often a resample drew it), so that one resample costs a few ``numpy.bincount`` calls
    rather than a fresh scoring. ``tests/core/test_metrics_bootstrap.py`` checks it against
    pycocoevalcap's scorers on the full set and on resamples with repeated images.
    """

    def __init__(self, captions: Mapping[Hashable, str], references: Mapping[Hashable, Sequence[str]],
                 images: list[Hashable]):
        from pycocoevalcap.bleu.bleu_scorer import BleuScorer
        from pycocoevalcap.cider.cider_scorer import precook
        from pycocoevalcap.rouge.rouge import Rouge

        res = tokenize_all({k: [{"caption": captions[i]}] for k, i in enumerate(images)})
        gts = tokenize_all({k: [{"caption": c} for c in references[i]] for k, i in enumerate(images)})
        n = self.n = len(images)
        # BLEU: per image testlen, closest reflen, guesses and clipped matches for n = 1..4
        bleu = np.zeros((n, 10))
        rouge = Rouge()
        self.rouge = np.zeros(n)
        for k in range(n):
            scorer = BleuScorer(n=4)
            scorer += (res[k][0], gts[k])
            comps = scorer.ctest[0]
            closest = scorer._single_reflen(comps["reflen"], "closest", comps["testlen"])
            bleu[k] = [comps["testlen"], closest, *comps["guess"], *comps["correct"]]
            self.rouge[k] = rouge.calc_score(res[k], gts[k])
        self.bleu = bleu
        # CIDEr: one column per n-gram; entries as (row, column, value) triplets
        ids: dict[tuple, int] = {}
        pair_image, pair_count = [], np.array([len(gts[k]) for k in range(n)], dtype=float)
        hyp_rows, hyp_cols, hyp_vals = [], [], []  # image, ngram, count^2
        ref_rows, ref_cols, ref_sq, ref_num = [], [], [], []  # pair, ngram, r^2, min(c, r) * r
        df_rows, df_cols = [], []  # image, ngram (the image's references hold it)
        delta = []
        for k in range(n):
            test = precook(res[k][0])
            test_len = sum(c for g, c in test.items() if len(g) == 2)  # pycocoevalcap's "length": bigrams
            for g, c in test.items():
                hyp_rows.append(k)
                hyp_cols.append(ids.setdefault(g, len(ids)))
                hyp_vals.append(float(c) ** 2)
            seen: set[int] = set()
            for ref in gts[k]:
                pair = len(pair_image)
                pair_image.append(k)
                counts = precook(ref)
                delta.append(float(test_len - sum(c for g, c in counts.items() if len(g) == 2)))
                for g, r in counts.items():
                    col = ids.setdefault(g, len(ids))
                    seen.add(col)
                    ref_rows.append(pair)
                    ref_cols.append(col)
                    ref_sq.append(float(r) ** 2)
                    ref_num.append(min(float(test.get(g, 0)), float(r)) * r)
            df_rows += [k] * len(seen)
            df_cols += sorted(seen)
        order = np.zeros(len(ids), dtype=int)
        for g, col in ids.items():
            order[col] = len(g) - 1
        self.columns = len(ids)
        self.pairs = len(pair_image)
        self.pair_image = np.array(pair_image, dtype=int)
        self.pair_refs = pair_count[self.pair_image]
        self.penalty = np.exp(-np.array(delta) ** 2 / (2 * 6.0 ** 2))  # CiderScorer's sigma
        self.hyp = (np.array(hyp_rows, dtype=int) * 4 + order[hyp_cols], np.array(hyp_cols, dtype=int),
                    np.array(hyp_vals))
        self.ref = (np.array(ref_rows, dtype=int) * 4 + order[ref_cols], np.array(ref_cols, dtype=int),
                    np.array(ref_sq), np.array(ref_num))
        self.df = (np.array(df_rows, dtype=int), np.array(df_cols, dtype=int))

    def scores(self, weights: np.ndarray, metrics: list[str]) -> dict[str, float]:
        """Corpus scores of the resample that holds image ``k`` ``weights[k]`` times."""
        total = float(weights.sum())
        out: dict[str, float] = {}
        if any(m.startswith("bleu") for m in metrics):
            sums = weights @ self.bleu
            testlen, reflen, guess, correct = sums[0], sums[1], sums[2:6], sums[6:10]
            small, tiny = 1e-9, 1e-15  # BleuScorer.compute_score's
            ratio = (testlen + tiny) / (reflen + small)
            brevity = math.exp(1 - 1 / ratio) if ratio < 1 else 1.0
            product = 1.0
            for k in range(4):
                product *= (correct[k] + tiny) / (guess[k] + small)
                if f"bleu{k + 1}" in metrics:
                    out[f"bleu{k + 1}"] = float(product ** (1.0 / (k + 1)) * brevity)
        if "rouge_l" in metrics:
            out["rouge_l"] = float(weights @ self.rouge / total)
        if "cider" in metrics:
            df = np.bincount(self.df[1], weights=weights[self.df[0]], minlength=self.columns)
            idf = math.log(total) - np.log(np.maximum(1.0, df))
            idf2 = idf ** 2
            rows, cols, sq = self.hyp
            norm_hyp = np.sqrt(np.bincount(rows, weights=sq * idf2[cols], minlength=self.n * 4)).reshape(self.n, 4)
            rows, cols, sq, num = self.ref
            norm_ref = np.sqrt(np.bincount(rows, weights=sq * idf2[cols], minlength=self.pairs * 4)).reshape(-1, 4)
            value = np.bincount(rows, weights=num * idf2[cols], minlength=self.pairs * 4).reshape(-1, 4)
            denominator = norm_hyp[self.pair_image] * norm_ref
            value = np.where(denominator != 0, value / np.where(denominator != 0, denominator, 1.0), value)
            value *= self.penalty[:, None]
            per_pair = value.mean(axis=1) / self.pair_refs * 10.0
            per_image = np.bincount(self.pair_image, weights=per_pair, minlength=self.n)
            out["cider"] = float(weights @ per_image / total)
        return out


def paired_bootstrap(systems: Sequence[tuple[Mapping[Hashable, str], Mapping[Hashable, Sequence[str]]]],
                     metrics: Sequence[str], images: Sequence[Hashable] | None = None,
                     resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
                     confidence: float = CONFIDENCE) -> Paired:
    """``systems``: (captions, references) by image id, one pair per system. ``images``: the ids
    scored (default: the first system's that every system has). Every resample draws ``len(images)``
    images with replacement, the same draw for all systems."""
    wanted = [m for m in ordered(metrics) if m in BOOTSTRAPPED]
    if images is None:
        images = [i for i in systems[0][0] if all(i in c and refs.get(i) for c, refs in systems)]
    images = list(images)
    out = Paired(images, wanted, int(resamples), int(seed))
    if not images or not wanted:
        return out
    corpora = [_Corpus(c, refs, images) for c, refs in systems]
    n = len(images)
    full = [c.scores(np.ones(n), wanted) for c in corpora]
    rng = np.random.default_rng(seed)
    draws = np.empty((len(corpora), len(wanted), resamples))
    for b in range(resamples):
        weights = np.bincount(rng.integers(0, n, n), minlength=n).astype(float)
        for s, corpus in enumerate(corpora):
            got = corpus.scores(weights, wanted)
            draws[s, :, b] = [got[m] for m in wanted]
    tail = (1.0 - confidence) / 2 * 100
    cuts = (tail, 100 - tail)

    def interval(values: np.ndarray, point: float) -> Interval:
        low, high = np.percentile(values, cuts)
        return Interval(point, float(low), float(high))

    for s in range(len(corpora)):
        out.systems.append({m: interval(draws[s, j], full[s][m]) for j, m in enumerate(wanted)})
    for a in range(len(corpora)):
        for b in range(a + 1, len(corpora)):
            out.differences[(a, b)] = {m: interval(draws[a, j] - draws[b, j], full[a][m] - full[b][m])
                                       for j, m in enumerate(wanted)}
    return out
