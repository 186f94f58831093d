"""Data files: every bad record named by file, line and field; tokenised once, padded per batch."""

from __future__ import annotations

import json

import pytest

from igrag_gui.core.data import read_examples
from igrag_gui.core.errors import UserError


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_jsonl_records(tmp_path):
    path = write(tmp_path, "d.jsonl", '{"prompt": "p1", "caption": "c1."}\n\n{"prompt": "p2", "caption": "c2.", "image_id": 3}\n')
    examples = read_examples(path)
    assert [(e.prompt, e.caption, e.line) for e in examples] == [("p1", "c1.", 1), ("p2", "c2.", 3)]


def test_csv_and_json_list_with_custom_fields(tmp_path):
    csv_path = write(tmp_path, "d.csv", "question,answer\nhello,world\n\"a, b\",c\n")
    assert [(e.prompt, e.caption) for e in read_examples(csv_path, "question", "answer")] == [("hello", "world"), ("a, b", "c")]
    json_path = write(tmp_path, "d.json", json.dumps([{"q": "x", "a": "y"}]))
    assert read_examples(json_path, "q", "a")[0].caption == "y"


def test_line_that_is_not_json(tmp_path):
    path = write(tmp_path, "d.jsonl", '{"prompt": "p", "caption": "c"}\n{"prompt": "p", caption: c}\n')
    with pytest.raises(UserError) as err:
        read_examples(path)
    assert str(err.value) == (f"{path}:2: not valid JSON (Expecting property name enclosed in double quotes "
                              f"at column 17); each line must be one JSON object")


def test_record_missing_a_field(tmp_path):
    path = write(tmp_path, "d.jsonl", '{"prompt": "p", "caption": "c"}\n{"prompt": "p", "image_id": 1}\n')
    with pytest.raises(UserError) as err:
        read_examples(path)
    assert str(err.value) == (f"{path}:2: record has no 'caption' field; each record needs 'prompt' and "
                              f"'caption' (set data.caption_field if yours is named differently)")


def test_record_with_a_non_text_field(tmp_path):
    path = write(tmp_path, "d.jsonl", '{"prompt": 5, "caption": "c"}\n')
    with pytest.raises(UserError) as err:
        read_examples(path)
    assert str(err.value) == f"{path}:1: 'prompt' must be text, got 5"


def test_empty_dataset(tmp_path):
    path = write(tmp_path, "d.jsonl", "\n\n")
    with pytest.raises(UserError) as err:
        read_examples(path)
    assert str(err.value) == (f"{path}: no examples in the file; each line must be a JSON object with "
                              f"'prompt' and 'caption'")


def test_not_utf8(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_bytes(b'{"prompt": "ok", "caption": "ok"}\n{"prompt": "caf\xe9", "caption": "x"}\n')
    with pytest.raises(UserError) as err:
        read_examples(path)
    assert str(err.value) == f"{path}:2: not UTF-8 text (byte 49); save the file as UTF-8"
