"""COCO import without self-leak (core/data/coco_context.py): each prompt holds captions of other
images (TF-IDF retrieval, or a neighbours file), never its own; an image with 3,000 captions
keeps a stated number of rows."""

from __future__ import annotations

import json

import pytest

from igrag_gui.core.data.checks import check_data
from igrag_gui.core.data.coco_context import MAX_CAPTIONS_PER_IMAGE, POSTINGS_CAP, QUERY_TERMS, CaptionIndex
from igrag_gui.core.data.importing import open_source, write_jsonl
from igrag_gui.core.errors import UserError
from igrag_gui.core.data.prompts import build_prompt

CAPTIONS = [
    (1, "a dog lying on the green grass."), (1, "a brown dog resting on grass."), (1, "a puppy outside."),
    (2, "a red double decker bus."), (2, "a bus driving in the city."),
    (3, "a black dog sleeping on the grass."), (3, "a dog asleep in a yard."),
    (4, "a red bus parked by the road."), (4, "an old bus in the city street."),
    (5, "a cat on a sofa."),
]


def coco(path, captions=CAPTIONS):
    path.write_text(json.dumps({"info": {}, "annotations": [{"id": i, "image_id": im, "caption": c}
                                                            for i, (im, c) in enumerate(captions)]}))
    return path


def imported(tmp_path, src, **kw):
    source = open_source(str(src), **kw)
    result = write_jsonl(source, source.fixed, tmp_path / "out.jsonl")
    return result, [json.loads(line) for line in result.out.read_text().splitlines()]


def test_prompts_hold_captions_of_similar_other_images(tmp_path):
    _, rows = imported(tmp_path, coco(tmp_path / "c.json"))
    prompts = {r["image_id"]: r["prompt"] for r in rows}
    assert len(rows) == len(CAPTIONS)
    assert all(r["prompt"] == prompts[r["image_id"]] for r in rows)  # one context per image
    retrieved = {i: p.split("Similar images: ")[1].split("\n")[0].split(" | ") for i, p in prompts.items()}
    own = {i: {c for im, c in CAPTIONS if im == i} for i in prompts}
    for image, got in retrieved.items():
        assert len(got) <= 4 and not own[image] & set(got)  # one caption per other image, none its own
        assert len({next(im for im, c in CAPTIONS if c == text) for text in got}) == len(got)
    # the most similar image first: the dogs each other, the buses each other
    assert retrieved[1][0] in own[3] and retrieved[3][0] in own[1]
    assert retrieved[2][0] in own[4] and retrieved[4][0] in own[2]
    for image, text in CAPTIONS:
        assert text not in prompts[image]
    report = check_data(tmp_path / "out.jsonl", None)
    assert report.findings["caption_in_prompt"].count == 0


def test_a_caption_another_image_repeats_is_not_retrieved_into_its_own_prompt(tmp_path):
    same = "a man riding a wave on top of a surfboard."
    _, rows = imported(tmp_path, coco(tmp_path / "c.json", [
        (1, same), (1, "a surfer on a big wave."), (2, same.capitalize()), (3, "a man riding a surfboard on a wave.")]))
    assert rows[0]["prompt"] == build_prompt(["a man riding a surfboard on a wave."], [])
    assert not check_data(tmp_path / "out.jsonl", None).leakage


def test_retrieval_looks_at_a_capped_candidate_set():
    """10,000 images sharing the rare word 'zebu': each query scores at most QUERY_TERMS *
    POSTINGS_CAP captions, not all 10,000."""
    by_image = {i: [f"a zebu number w{i} in a field."] for i in range(10_000)}
    index = CaptionIndex(by_image)
    assert max(len(p) for p in index.postings.values()) == POSTINGS_CAP
    assert len(index.postings["zebu"]) == POSTINGS_CAP < 10_000
    picked = index.similar(5000, by_image[5000], k=5)
    assert len(picked) == 5 and by_image[5000][0] not in picked
    assert QUERY_TERMS * POSTINGS_CAP < 10_000


def test_one_image_with_3000_captions_keeps_a_stated_number_of_rows(tmp_path):
    """Issue 24's case 6: a 236 KB file of one image with 3,000 captions made a 342 MB JSONL."""
    many = [(1, f"a photo of a scene with detail number {i} in it.") for i in range(3000)]
    src = coco(tmp_path / "one.json", many + [(2, "a photo of a tree.")])
    result, rows = imported(tmp_path, src)
    assert len(rows) == MAX_CAPTIONS_PER_IMAGE + 1
    assert [r["caption"] for r in rows[:MAX_CAPTIONS_PER_IMAGE]] == [c for _, c in many[:MAX_CAPTIONS_PER_IMAGE]]
    assert result.warnings == [f"1 image(s) have more than {MAX_CAPTIONS_PER_IMAGE} captions (image 1: 3,000); "
                               f"kept the first {MAX_CAPTIONS_PER_IMAGE} of each, 2,990 captions left out "
                               f"(--max-captions-per-image)"]
    assert result.out.stat().st_size < src.stat().st_size  # it shrinks now, it never amplifies
    _, five = imported(tmp_path, src, max_captions=5, context=1)
    assert len(five) == 6 and five[0]["prompt"] == build_prompt(["a photo of a tree."], [])


def test_a_neighbours_file_gives_the_context(tmp_path):
    src = coco(tmp_path / "c.json")
    listed = tmp_path / "nn.json"
    listed.write_text(json.dumps({"1": [1, 4, 2], "2": [5]}))  # image 1 lists itself: dropped
    _, rows = imported(tmp_path, src, neighbours=str(listed), context=5)
    prompts = {r["image_id"]: r["prompt"] for r in rows}
    assert prompts[1] == build_prompt(["a red bus parked by the road.", "a red double decker bus."], [])
    assert prompts[2] == build_prompt(["a cat on a sofa."], [])
    assert prompts[3] == build_prompt([], [])  # not listed: no context rather than a guess
    lines = tmp_path / "nn.jsonl"
    lines.write_text('{"image_id": 1, "neighbours": [3]}\n{"image_id": 3, "neighbours": [1]}\n')
    _, rows = imported(tmp_path, src, neighbours=str(lines), context=1)
    assert rows[0]["prompt"] == build_prompt(["a black dog sleeping on the grass."], [])


def test_neighbours_file_errors_are_one_line(tmp_path):
    src = coco(tmp_path / "c.json")
    bad = tmp_path / "nn.json"
    bad.write_text(json.dumps({"1": [99]}))
    with pytest.raises(UserError) as err:
        open_source(str(src), neighbours=str(bad))
    assert str(err.value) == (f"{bad}: image 1 lists neighbour 99, which has no captions in the COCO file; "
                              f"list only images of that file")
    with pytest.raises(UserError) as err:
        open_source(str(src), neighbours=str(tmp_path / "missing.json"))
    assert str(err.value) == (f"cannot read the neighbours file '{tmp_path / 'missing.json'}' (No such file or "
                              f"directory); check --neighbours")
    csv = tmp_path / "d.csv"
    csv.write_text("prompt,caption\na,b\n")
    with pytest.raises(UserError) as err:
        open_source(str(csv), neighbours=str(bad))
    assert str(err.value) == f"a neighbours file is for COCO captions files; '{csv}' is read as csv"
