"""BLEU-4 against hand-computed values."""

from __future__ import annotations

import math

import pytest

from igrag_gui.core.bleu import BleuStats, corpus_bleu, tokenize


def test_tokenize_lowercases_and_splits_punctuation():
    assert tokenize("A dog, on the beach.") == ["a", "dog", ",", "on", "the", "beach", "."]


def test_identical_sentences_score_100():
    assert corpus_bleu(["a man riding a wave on a surfboard ."], ["A man riding a wave on a surfboard."]) == pytest.approx(100)


def test_no_four_gram_match_scores_0():
    assert corpus_bleu(["a cat sits"], ["a cat sits on a mat"]) == 0.0


def test_hand_computed_value_with_brevity_penalty():
    hyp = "the cat sat on the mat"       # 6 tokens
    ref = "the cat sat on the red mat"   # 7 tokens
    # 1-grams 6/6, 2-grams 4/5, 3-grams 3/4, 4-grams 2/3, BP = exp(1 - 7/6)
    expected = 100 * math.exp(1 - 7 / 6) * (1 * 4 / 5 * 3 / 4 * 2 / 3) ** 0.25
    assert corpus_bleu([hyp], [ref]) == pytest.approx(expected)


def test_clipping_counts_repeated_words_once():
    stats = BleuStats()
    stats.add("the the the the", ["the cat"])
    assert stats.matches[0] == 1 and stats.totals[0] == 4


def test_stats_from_shards_add_up_to_the_whole():
    pairs = [("a dog on a beach", "a dog runs on a beach"), ("two people fly a kite", "two people fly a kite")]
    whole = corpus_bleu([h for h, _ in pairs], [r for _, r in pairs])
    parts = [BleuStats(), BleuStats()]
    for part, (h, r) in zip(parts, pairs):
        part.add(h, [r])
    summed = BleuStats.from_list([a + b for a, b in zip(parts[0].as_list(), parts[1].as_list())])
    assert summed.score() == pytest.approx(whole)


def test_multiple_references_take_the_best_matches():
    assert corpus_bleu(["a red bus on the street"], [["a bus", "a red bus on the street"]]) == pytest.approx(100)
