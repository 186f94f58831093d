"""The paired bootstrap: its corpus statistics are pycocoevalcap's (on all images and on a resample
that repeats images), its intervals are seeded, and a real difference is told from noise."""

from __future__ import annotations

import random

import numpy as np
import pytest

from igrag_gui.core.metrics.bootstrap import BOOTSTRAPPED, _Corpus, paired_bootstrap
from igrag_gui.core.metrics.coco import score
from tests.core.caption_corpus import caption, coco_like_captions


def _corpus(n: int = 40, seed: int = 0):
    """n images with 5 references each, and a system that copies one reference half the time, else
    writes a caption of its own (a few of them odd: punctuation, quotes, empty)."""
    rng = random.Random(seed)
    pool = coco_like_captions(n * 6, seed)
    references, captions = {}, {}
    for k in range(n):
        key = 1000 + k
        references[key] = pool[k * 6:k * 6 + 5]
        if rng.random() < 0.5:
            captions[key] = references[key][rng.randrange(5)]
        else:
            captions[key] = caption(rng) if rng.random() < 0.3 else pool[k * 6 + 5]
    return captions, references


def test_the_statistics_are_pycocoevalcap_s_on_all_images_and_on_a_resample_with_repeats():
    captions, references = _corpus()
    images = list(references)
    corpus = _Corpus(captions, references, images)
    ours = corpus.scores(np.ones(len(images)), list(BOOTSTRAPPED))
    theirs = score(captions, references, BOOTSTRAPPED, java=False).overall
    for metric in BOOTSTRAPPED:
        assert ours[metric] == pytest.approx(theirs[metric], rel=1e-9, abs=1e-12), metric
    # a resample: image k drawn weights[k] times; pycocoevalcap sees the repeats as separate images
    rng = np.random.default_rng(3)
    draw = rng.integers(0, len(images), len(images))
    weights = np.bincount(draw, minlength=len(images)).astype(float)
    assert weights.max() >= 2 and weights.min() == 0  # repeats, and some images left out
    ours = corpus.scores(weights, list(BOOTSTRAPPED))
    theirs = score({j: captions[images[k]] for j, k in enumerate(draw)},
                   {j: references[images[k]] for j, k in enumerate(draw)}, BOOTSTRAPPED, java=False).overall
    for metric in BOOTSTRAPPED:
        assert ours[metric] == pytest.approx(theirs[metric], rel=1e-9, abs=1e-12), metric


def test_intervals_are_seeded_and_a_real_difference_is_distinguishable():
    captions, references = _corpus(60)
    # b: the same system with a third of its captions replaced by an unrelated sentence
    worse = {i: ("a plate of food on a table" if n % 3 == 0 else c) for n, (i, c) in enumerate(captions.items())}
    one = paired_bootstrap([(captions, references), (worse, references)], ["cider", "bleu4", "meteor", "loss"],
                           resamples=300, seed=5)
    again = paired_bootstrap([(captions, references), (worse, references)], ["cider", "bleu4"],
                             resamples=300, seed=5)
    assert one.metrics == ["bleu4", "cider"]  # METEOR and the loss are not bootstrapped
    assert one.systems[0]["cider"] == again.systems[0]["cider"]
    for system in one.systems:
        for got in system.values():
            assert got.low < got.value < got.high
    diff = one.differences[(0, 1)]["cider"]
    assert diff.value == pytest.approx(one.systems[0]["cider"].value - one.systems[1]["cider"].value)
    assert diff.low > 0  # distinguishable: the interval of the difference excludes 0
    # a system against itself with a few captions swapped for equally good ones: not distinguishable
    same = dict(captions)
    for i in list(same)[:3]:
        same[i] = references[i][4]
    close = paired_bootstrap([(captions, references), (same, references)], ["cider"], resamples=300, seed=5)
    d = close.differences[(0, 1)]["cider"]
    assert d.low < 0 < d.high
    # another seed gives other (close) bounds
    other = paired_bootstrap([(captions, references), (worse, references)], ["cider"], resamples=300, seed=6)
    assert other.systems[0]["cider"].low != one.systems[0]["cider"].low
