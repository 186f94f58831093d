"""The Data page's table for IGRAG's JSONL: image_id and metadata columns, images counted once."""

from __future__ import annotations

import json

import pytest

from igrag_gui.core.data import read_examples
from igrag_gui.core.data.preview import preview_table, readable
from igrag_gui.core.errors import UserError
from tests.igrag_layout import IGRAG

TRAIN = IGRAG / "lora_training/data/coco_lora_train_train.jsonl"


def test_igrag_rows_show_image_id_and_readable_metadata():
    table = preview_table(TRAIN, read_examples(TRAIN))
    assert table.columns == ["image_id", "prompt", "caption", "metadata"]
    assert table.rows[0] == ["139", "Retrieved captions: a woman stands in a kitchen. Objects: person, oven, "
                             "sink. Caption:", "A woman standing in a kitchen next to an oven.",
                             "source: coco, split: train, retrieved: 3"]
    assert (table.examples, table.images) == (4, 3)  # image 139 has two reference captions


def test_plain_prompt_caption_files_keep_two_columns(tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_text('{"prompt": "p", "caption": "c"}\n' * 3)
    table = preview_table(path, read_examples(path), limit=2)
    assert (table.columns, table.rows, table.examples, table.images) == (["prompt", "caption"],
                                                                         [["p", "c"]] * 2, 3, None)


def test_a_row_without_the_caption_field_is_reported_with_its_line(tmp_path):
    path = tmp_path / "train.jsonl"
    rows = [{"image_id": 1, "prompt": "p", "caption": "c"}, {"image_id": 2, "prompt": "p", "text": "c"}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    with pytest.raises(UserError) as err:
        read_examples(path)
    assert err.value.lines == [f"{path}:2: record has no 'caption' field; each record needs 'prompt' and "
                               f"'caption' (set data.caption_field if yours is named differently)"]


@pytest.mark.parametrize("value,text", [(None, ""), ({"a": 1, "b": [2, 3]}, "a: 1, b: 2, 3"), (7, "7")])
def test_readable(value, text):
    assert readable(value) == text


def test_a_large_file_gives_its_first_rows_without_counting_images(tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps({"image_id": i // 2, "prompt": f"p{i}", "caption": "c"}) + "\n"
                            for i in range(10)) + "not json\n")  # never reached: only the first rows are read
    from igrag_gui.core.data import first_examples

    head = first_examples(path, 3)
    table = preview_table(path, head, limit=3, count_images=False)
    assert (table.columns, [r[0] for r in table.rows], table.images) == (["image_id", "prompt", "caption"],
                                                                         ["0", "0", "1"], None)


def test_a_configs_preview_counts_examples_and_images(make_config, tmp_path):
    from igrag_gui.core.config import load_config
    from igrag_gui.core.data.preview import data_preview

    rows = [{"image_id": i // 2, "prompt": f"p{i}", "caption": f"c{i}."} for i in range(6)]
    (tmp_path / "data" / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    cfg, _ = load_config(make_config())
    preview = data_preview(cfg, limit=4)
    assert preview.columns == ("image_id", "prompt", "caption")
    assert [row[1] for row in preview.rows] == ["p0", "p1", "p2", "p3"]
    assert (preview.count, preview.images) == (6, 3)
    assert preview.summary() == ("train.jsonl: 6 examples of 3 images (2.0 reference captions per image); "
                                 "0 prompt(s) longer than max_source_length=512 tokens (they will be "
                                 "truncated). Showing the first 4.")
