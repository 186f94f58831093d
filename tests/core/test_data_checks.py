"""The leakage check (core/data/checks.py): what it finds on the demo, on planted leaks, and that
200k rows go through the bounded near-duplicate index, not all pairs."""

from __future__ import annotations

import json
import random
from pathlib import Path

from igrag_gui.core.data.checks import caption_overlap, check_data, words
from igrag_gui.resources import resource_path

ROOT = Path(__file__).resolve().parents[2]
TRAIN = resource_path("demo/data/train.jsonl")
VAL = resource_path("demo/data/val.jsonl")


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_caption_overlap_ignores_case_and_the_final_period():
    caption = words("A man riding a wave on top of a surfboard.")
    assert caption_overlap(words("Similar: a MAN riding a wave on top of a surfboard | x"), caption) == "all"
    # 8 of 9 words in a row (>= 80%): most of it
    assert caption_overlap(words("Similar: a guy riding a wave on top of a surfboard"), caption) == "most"
    # 7 of 9 (78%): not most
    assert caption_overlap(words("a guy riding a wave on top of the surfboard"), caption) is None
    assert caption_overlap(words("the man rides"), words("a man")) is None  # whole words only
    assert caption_overlap(words("a mango"), words("a man")) is None


def test_the_demo_data_holds_no_caption_in_its_prompt():
    report = check_data(TRAIN, VAL)
    assert report.rows == {"train": 1000, "val": 100}
    assert not report.leakage and report.leaks() == []
    f = report.findings
    assert f["caption_in_prompt"].count == 0
    assert f["val_image_in_train"].count == f["val_row_in_train"].count == f["same_file"].count == 0
    assert f["duplicate_rows"].count == f["near_duplicate_rows"].count == f["empty_caption"].count == 0
    # near copies of a similar image's caption are the demo's design: reported, not a leak
    assert f["caption_mostly_in_prompt"].by_split == {"train": 121, "val": 11}
    assert check_data(TRAIN, VAL, strict=True).leakage


def test_the_former_demo_generator_made_exactly_53_and_4_leaks(tmp_path, monkeypatch):
    """The demo as the generator wrote it before its fix (a neighbour could be the caption itself),
    rebuilt in process: exactly the 53 train and 4 val rows whose prompt held their caption, and
    the fix changed those rows only."""
    monkeypatch.syspath_prepend(str(ROOT / "tools"))
    import make_demo_data as m

    fixed = m._neighbour_caption
    monkeypatch.setattr(m, "_neighbour_caption", lambda rng, family, scene, caption="": fixed(rng, family, scene))
    for split, rows in m.make_dataset(m.DEFAULT_SEED, 1000, 100).items():
        m.write_jsonl(tmp_path / f"{split}.jsonl", rows)
    report = check_data(tmp_path / "train.jsonl", tmp_path / "val.jsonl")
    assert report.findings["caption_in_prompt"].by_split == {"train": 53, "val": 4}
    assert [f.kind for f in report.leaks()] == ["caption_in_prompt"]
    for split, leaks in (("train", 53), ("val", 4)):
        now = (ROOT / "resources/demo/data" / f"{split}.jsonl").read_text().splitlines()
        before = (tmp_path / f"{split}.jsonl").read_text().splitlines()
        assert sum(x != y for x, y in zip(now, before)) == leaks


def test_planted_leaks_in_a_hidden_file(tmp_path):
    train = _write(tmp_path / ".train.jsonl", [
        {"image_id": 1, "prompt": "Similar images: A red bus on a street\nCaption:", "caption": "a red bus."},
        {"image_id": 2, "prompt": "Similar images: two dogs play in the snow\nCaption:", "caption": "Two dogs"},
        {"image_id": 2, "prompt": "Similar images: two dogs play in the snow\nCaption:", "caption": "Two dogs"},
        {"image_id": 3, "prompt": "p", "caption": "  "},
        {"image_id": 4, "prompt": "x", "caption": "a cat", "file_name": "COCO_4.jpg"},
    ])
    val = _write(tmp_path / ".val.jsonl", [
        {"image_id": 2, "prompt": "kites over a beach", "caption": "a kite."},
        {"image_id": 9, "prompt": "two dogs play in the snow", "caption": "dogs in snow."},
        {"image_id": 10, "prompt": "y", "caption": "a cat on a mat", "metadata": {"file_name": "coco_4.JPG"}},
        {"image_id": 11, "prompt": "x", "caption": "a cat"},
    ])
    d = check_data(train, val).to_dict()
    assert d["leakage"] is True
    got = {k: (v["count"], v["by_split"], v["leak"]) for k, v in d["findings"].items() if v["count"]}
    assert got == {
        "val_image_in_train": (2, {"val": 2}, True),
        "val_row_in_train": (1, {"val": 1}, True),
        "caption_in_prompt": (3, {"train": 3}, True),
        "duplicate_rows": (1, {"train": 1}, False),
        "empty_caption": (1, {"train": 1}, False),
    }
    f = d["findings"]
    assert f["caption_in_prompt"]["examples"] == [
        {"split": "train", "file": ".train.jsonl", "line": 1, "caption": "a red bus."},
        {"split": "train", "file": ".train.jsonl", "line": 2, "caption": "Two dogs"},
        {"split": "train", "file": ".train.jsonl", "line": 3, "caption": "Two dogs"}]
    assert f["val_image_in_train"]["examples"] == [
        {"split": "val", "file": ".val.jsonl", "line": 1, "image_id": "2"},
        {"split": "val", "file": ".val.jsonl", "line": 3, "image_file": "coco_4.jpg"}]
    assert f["val_row_in_train"]["examples"] == [{"split": "val", "file": ".val.jsonl", "line": 4, "caption": "a cat"}]
    assert f["duplicate_rows"]["examples"] == [
        {"split": "train", "file": ".train.jsonl", "line": 3, "first": ".train.jsonl:2"}]
    assert f["empty_caption"]["examples"] == [{"split": "train", "file": ".train.jsonl", "line": 4}]


def test_the_validation_file_being_the_training_file_is_a_leak(tmp_path):
    rows = [{"image_id": i, "prompt": f"p {i}", "caption": f"c {i}"} for i in range(5)]
    train, copy = _write(tmp_path / "t.jsonl", rows), _write(tmp_path / "v.jsonl", rows)
    for val in (train, copy):
        report = check_data(train, val)
        assert report.findings["same_file"].by_split == {"val": 5}
        assert report.findings["val_image_in_train"].count == report.findings["duplicate_rows"].count == 0
        assert report.leakage


def test_200k_rows_take_the_bounded_path(tmp_path):
    """200k rows where all pairs would be 2e10 comparisons, built as the worst case for buckets:
    1,000 templates of 200 rows share their caption and most of their prompt; in each, every 50th
    row is a near copy of the template (the same words in another case), and in template 0 all 200 are, one
    bucket far above the cap. The index compares about a quarter of a pair per row (exactly, on
    3-grams), caps that bucket, and still finds every near copy."""
    rng = random.Random(0)
    vocab = [f"w{i}" for i in range(5000)]
    lines = []
    for t in range(1000):
        base = [rng.choice(vocab) for _ in range(24)]
        for k in range(200):
            prompt = list(base)
            if t == 0 or k % 50 == 0:  # the same words, in a case pattern of its own (k's bits)
                prompt = [w.upper() if k >> i & 1 else w for i, w in enumerate(prompt)]
            else:
                for j in rng.sample(range(24), 6):
                    prompt[j] = rng.choice(vocab)
            lines.append(json.dumps({"image_id": t * 1000 + k, "prompt": " ".join(prompt), "caption": f"cap {t}"}))
    train = tmp_path / "big.jsonl"
    train.write_text("\n".join(lines) + "\n")
    report = check_data(train, None)
    n = report.rows["train"]
    assert n == 200_000
    assert report.capped_buckets >= 1  # template 0's bucket went the star way
    assert 0 < report.comparisons < n  # all pairs: n * (n - 1) / 2 = 2e10
    near = report.findings["near_duplicate_rows"]
    assert near.count == 199 + 999 * 3
    assert near.examples[0] == {"split": "train", "file": "big.jsonl", "line": 2, "like": "big.jsonl:1"}
    assert report.findings["duplicate_rows"].count == 0 and not report.leakage
