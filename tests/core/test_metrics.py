"""COCO caption metrics: our figures are pycocoevalcap's own pipeline's, with and without Java.

The reference is COCOEvalCap itself (pycocotools' COCO, loadRes, PTBTokenizer, the scorers) on
fixture files with several references per image, punctuation, capitals, numbers and an empty
caption. SPICE is left out of the comparison: it needs CoreNLP jars downloaded from the
internet (its "unavailable" reason is tested on its own).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from igrag_gui.core.config import RunConfig
from igrag_gui.core.metrics import canonical, format_score, score, scores_of
from igrag_gui.core.metrics.evaluate import evaluate_files
from igrag_gui.core.metrics.grouping import group_by_image
from igrag_gui.core.metrics.java import has_java
from igrag_gui.core.metrics.ptb import tokenize_all
from tests.core.caption_corpus import captions, coco_like_captions

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "captions"
COMPARED = ("bleu1", "bleu2", "bleu3", "bleu4", "meteor", "rouge_l", "cider")
PIPELINE_NAMES = {"bleu1": "Bleu_1", "bleu2": "Bleu_2", "bleu3": "Bleu_3", "bleu4": "Bleu_4",
                  "meteor": "METEOR", "rouge_l": "ROUGE_L", "cider": "CIDEr"}
needs_java = pytest.mark.skipif(not has_java(), reason="no Java runtime on PATH (CI installs default-jre-headless)")


def coco_eval_figures(monkeypatch, annotations: Path, results: Path) -> tuple[dict, dict]:
    """COCOEvalCap.evaluate on the files, as IGRAG runs it; SPICE (last in its list) stops it
    once everything else is computed, so no CoreNLP download is attempted."""
    import pycocoevalcap.eval as coco_eval_module
    from pycocotools.coco import COCO

    class _StopBeforeSpice:
        def method(self):
            return "SPICE"

        def compute_score(self, gts, res):
            raise _Stop

    class _Stop(Exception):
        pass

    monkeypatch.setattr(coco_eval_module, "Spice", _StopBeforeSpice)
    coco = COCO(str(annotations))
    coco_res = coco.loadRes(str(results))
    evaluator = coco_eval_module.COCOEvalCap(coco, coco_res)
    evaluator.params["image_id"] = coco_res.getImgIds()
    with pytest.raises(_Stop):
        evaluator.evaluate()
    evaluator.setEvalImgs()
    return evaluator.eval, {e["image_id"]: e for e in evaluator.evalImgs}


@needs_java
def test_pycocoevalcap_tokens_and_ours_agree_token_for_token_on_varied_captions():
    """3,000 generated captions (capitals, numbers, punctuation, quotes, brackets, contractions,
    abbreviations, accents, empty ones) and 2,000 plain COCO-like ones (the fast path), grouped
    five to an image as the tokenizer sees them."""
    from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer

    texts = captions(3000, seed=13) + coco_like_captions(2000, seed=13)
    grouped = {i: [{"caption": c} for c in texts[5 * i:5 * i + 5]] for i in range(len(texts) // 5)}
    java = PTBTokenizer().tokenize(grouped)
    ours = tokenize_all(grouped)
    mismatches = [(grouped[i][j]["caption"], java[i][j], ours[i][j])
                  for i in grouped for j in range(5) if java[i][j] != ours[i][j]]
    assert not mismatches, mismatches[:5]
    assert sum(len(v) for v in java.values()) == 5000


@needs_java
@pytest.mark.parametrize("java", [True, False], ids=["java-tokenizer", "python-tokenizer"])
def test_our_figures_are_coco_eval_caps_on_the_same_files(monkeypatch, java):
    expected, per_image = coco_eval_figures(monkeypatch, FIXTURES / "references.json", FIXTURES / "results.json")
    ours = evaluate_files(FIXTURES / "results.json", FIXTURES / "references.json", COMPARED, java=java)
    assert ours.scores.images == 6 and ours.scores.tokenizer == ("java" if java else "python")
    for metric in COMPARED:
        if metric == "meteor" and not java:
            continue
        assert ours.scores.overall[metric] == pytest.approx(expected[PIPELINE_NAMES[metric]], abs=1e-12), metric
        for image, values in ours.scores.per_image.items():
            assert values[metric] == pytest.approx(per_image[image][PIPELINE_NAMES[metric]], abs=1e-12)
    assert ours.scores.overall["cider"] > 0.5 and ours.scores.per_image[104]["bleu1"] < 1e-6  # the empty caption


def test_without_java_bleu_rouge_cider_are_computed_and_meteor_spice_say_why():
    result = evaluate_files(FIXTURES / "results.jsonl", FIXTURES / "references.jsonl", java=False)
    figures = result.to_json()
    assert figures["METEOR"] is None and figures["SPICE"] is None
    assert figures["unavailable"] == {
        "METEOR": "METEOR needs Java, and no Java runtime was found on PATH; install one (Debian/Ubuntu: "
                  "apt-get install default-jre-headless) to compute it",
        "SPICE": "SPICE needs Java, and no Java runtime was found on PATH; install one (Debian/Ubuntu: "
                 "apt-get install default-jre-headless) to compute it"}
    assert all(isinstance(figures[k], float) for k in ("BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4", "ROUGE-L", "CIDEr"))
    assert figures["images"] == 6
    # the same figures as pycocoevalcap's scorers on pycocoevalcap's own tokens, where Java can make them
    if has_java():
        with_java = evaluate_files(FIXTURES / "results.json", FIXTURES / "references.json", java=True,
                                   metrics=("bleu4", "rouge_l", "cider"))
        for key in ("BLEU-4", "ROUGE-L", "CIDEr"):
            assert figures[key] == with_java.to_json()[key]


def test_spice_offline_says_the_corenlp_download_failed(monkeypatch, tmp_path):
    """pycocoevalcap fetches SPICE's CoreNLP jars on first use; without internet that fails."""
    import urllib.error

    from pycocoevalcap.spice import get_stanford_models as models

    from igrag_gui.core.metrics.coco import spice_missing

    def offline(url, reporthook=None):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(models, "SPICEDIR", str(tmp_path))
    monkeypatch.setattr(models, "urlretrieve", offline)
    assert spice_missing(download=False) == (  # batch runs and training never start a 400 MB download
        "SPICE needs the Stanford CoreNLP 3.6.0 jars, which pycocoevalcap downloads on first use, and they are not "
        "downloaded yet; run 'igrag score RESULTS --references REFS --metrics spice' once with internet access "
        f"(about 400 MB), or put stanford-corenlp-3.6.0.jar and stanford-corenlp-3.6.0-models.jar into {tmp_path / 'lib'}")
    assert spice_missing() == (
        "SPICE needs the Stanford CoreNLP 3.6.0 jars, which pycocoevalcap downloads on first use from "
        "nlp.stanford.edu, and the download failed ([Errno -3] Temporary failure in name resolution); run once "
        f"with internet access, or put stanford-corenlp-3.6.0.jar and stanford-corenlp-3.6.0-models.jar into "
        f"{tmp_path / 'lib'}")


def test_unknown_images_and_images_without_references_are_counted_not_dropped(tmp_path):
    results = tmp_path / "results.json"
    rows = json.loads((FIXTURES / "results.json").read_text())
    results.write_text(json.dumps(rows + [{"image_id": 107, "caption": "a photo"},
                                          {"image_id": 999, "caption": "no such image"},
                                          {"image_id": 101, "caption": "a second caption for 101"}]))
    result = evaluate_files(results, FIXTURES / "references.json", ("bleu4", "cider"), java=False)
    data = result.to_json()
    assert (data["images"], data["no_reference"], data["unknown_images"]) == (6, 1, 1)
    assert result.results[101] == "A man riding a wave on a surfboard."  # the first result is kept
    assert data["warnings"] == [
        f"{results}: 1 result(s) repeat an image already given; the first caption of each image is kept, as "
        f"COCO's evaluator does",
        f"{results}: 1 caption(s) are empty; they are scored as empty captions",
        "1 result(s) are for images the references do not list; they are not scored",
        "1 result(s) are for images with no reference caption; they are not scored"]


def test_per_image_rows_are_worst_first():
    result = evaluate_files(FIXTURES / "results.json", FIXTURES / "references.json", ("bleu4", "cider"), java=False)
    rows = result.per_image()
    ciders = [r["CIDEr"] for r in rows]
    assert ciders == sorted(ciders) and rows[0]["image_id"] == 104 and rows[0]["caption"] == ""
    assert len(rows[0]["references"]) == 5


def test_validation_rows_group_by_image_id():
    from igrag_gui.core.data import Example

    rows = [Example("p1", "a dog", 1, 7), Example("p1", "a brown dog", 2, 7), Example("p2", "a cat", 3, None),
            Example("p3", "a bus", 4, "7"), Example("p4", "a car", 5, "img-9")]
    groups = group_by_image(rows)
    assert [(g.key, g.prompt, g.references, g.lines) for g in groups] == [
        (7, "p1", ["a dog", "a brown dog", "a bus"], [1, 2, 4]), ("line 3", "p2", ["a cat"], [3]),
        ("img-9", "p4", ["a car"], [5])]


def test_metric_names_and_the_one_formatting():
    assert [canonical(n) for n in ("BLEU-4", "bleu", "eval_cider", "ROUGE_L", "rouge-l", "Meteor", "blue")] == [
        "bleu4", "bleu4", "cider", "rouge_l", "rouge_l", "meteor", None]
    assert (format_score(0.31234), format_score(1.5), format_score(None), format_score(float("nan"))) == (
        "0.312", "1.500", "\u2014", "\u2014")
    assert scores_of({"eval_bleu4": 0.3, "eval_cider": 1.2, "eval_loss": 2.0}) == {"bleu4": 0.3, "cider": 1.2}
    assert scores_of({"eval_bleu": 25.0}) == {"bleu4": 0.25}


@pytest.mark.parametrize("training, expected", [
    ({}, []),
    ({"metric_for_best_model": "bleu"}, []),  # IGRAG's key and spelling
    ({"metrics": ["bleu4", "blue"]}, ["training.metrics: unknown metric 'blue'; choose from bleu1, bleu2, bleu3, "
                                      "bleu4, meteor, rouge_l, cider, spice"]),
    ({"metrics": ["bleu4"], "metric_for_best_model": "cider"},
     ["training.metric_for_best_model: 'cider' is not in training.metrics [bleu4]; add it there or choose one of them"]),
    ({"metric_for_best_model": "accuracy"},
     ["training.metric_for_best_model: 'accuracy' is not a caption metric; choose one of bleu1, bleu2, bleu3, "
      "bleu4, meteor, rouge_l, cider, spice"]),
])
def test_metric_settings_are_judged(training, expected):
    cfg = RunConfig.from_dict({"training": training})
    problems = [str(p) for p in cfg.validate(check_files=False) if p.field.startswith("training.metric")]
    assert problems == expected


def test_score_needs_references_for_each_scored_image():
    out = score({1: "a dog"}, {1: ["a dog on grass"], 2: ["unused"]}, ("bleu1",), java=False)
    assert out.images == 1 and out.overall["bleu1"] > 0
