"""Importing what users have: each source, the column guesses, and the mapping checks."""

from __future__ import annotations

import json

import pytest

from igrag_gui.core.data import read_examples
from igrag_gui.core.data.importing import (Finding, Mapping, check_mapping, detect_kind, guess_mapping, open_source,
                                           write_jsonl)
from igrag_gui.core.errors import UserError
from igrag_gui.core.data.prompts import build_prompt

ROWS = [{"id": 7, "question": "Similar images: a dog on grass. Objects: dog", "answer": "a dog lying on grass."},
        {"id": 8, "question": "Similar images: a red bus. Objects: bus", "answer": "a red bus on a street."}]


def imported(tmp_path, src, mapping=None, **kw):
    source = open_source(str(src), **kw)
    result = write_jsonl(source, mapping or source.fixed or guess_mapping(source.columns), tmp_path / "out.jsonl")
    return result, [json.loads(line) for line in result.out.read_text(encoding="utf-8").splitlines()]


EXPECTED = [{"image_id": 7, "prompt": ROWS[0]["question"], "caption": ROWS[0]["answer"]},
            {"image_id": 8, "prompt": ROWS[1]["question"], "caption": ROWS[1]["answer"]}]


@pytest.mark.parametrize("name, delimiter", [("d.csv", ","), ("d.tsv", "\t")])
def test_csv_and_tsv_with_other_column_names(tmp_path, name, delimiter):
    import csv

    path = tmp_path / name
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, ["id", "question", "answer"], delimiter=delimiter)
        writer.writeheader()
        writer.writerows(ROWS)
    source = open_source(str(path))
    assert (source.kind, source.columns) == (name[-3:], ["id", "question", "answer"])
    assert guess_mapping(source.columns) == Mapping("question", "answer", "id")
    result, rows = imported(tmp_path, path)
    assert rows == EXPECTED and result.rows == 2
    assert [e.caption for e in read_examples(result.out)] == [r["answer"] for r in ROWS]  # trainable as is


def test_jsonl_with_other_field_names_and_explicit_mapping(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text("".join(json.dumps({"img": r["id"], "src": r["question"], "tgt": r["answer"]}) + "\n"
                            for r in ROWS), encoding="utf-8")
    assert guess_mapping(open_source(str(path)).columns) == Mapping(None, None, None)
    _, rows = imported(tmp_path, path, Mapping("src", "tgt", "img"))
    assert rows == EXPECTED


def test_parquet(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "d.parquet"
    pq.write_table(pa.Table.from_pylist(ROWS), path)
    source = open_source(str(path))
    assert (source.kind, source.total) == ("parquet", 2)
    _, rows = imported(tmp_path, path)
    assert rows == EXPECTED


def test_hugging_face_dataset_folder_with_splits(tmp_path):
    from datasets import Dataset, DatasetDict

    folder = tmp_path / "hf"
    DatasetDict({"train": Dataset.from_list(ROWS), "validation": Dataset.from_list(ROWS[:1])}).save_to_disk(folder)
    assert detect_kind(str(folder)) == "hf"
    _, rows = imported(tmp_path, folder)
    assert rows == EXPECTED
    _, rows = imported(tmp_path, folder, split="validation")
    assert rows == EXPECTED[:1]
    with pytest.raises(UserError) as err:
        open_source(str(folder), split="test")
    assert str(err.value) == f"the dataset '{folder}' has no split 'test'; its splits are train, validation"


def test_hugging_face_dataset_by_name_not_in_the_cache(tmp_path):
    with pytest.raises(UserError) as err:
        open_source("no-such-user/no-such-dataset-igrag")
    assert str(err.value).startswith("cannot load the dataset 'no-such-user/no-such-dataset-igrag' offline (")
    assert str(err.value).endswith("); give a file, a folder, or the name of a dataset in the local Hugging "
                                   "Face cache")


def test_coco_captions_one_row_per_caption_grouped_by_image(tmp_path):
    path = tmp_path / "captions_train2017.json"
    anns = [(1, "a dog on grass."), (2, "a red bus."), (1, "a brown dog lying down."), (2, "a bus in the city."),
            (1, "a puppy outside.")]
    path.write_text(json.dumps({"info": {}, "images": [{"id": 1}, {"id": 2}],
                                "annotations": [{"id": i, "image_id": im, "caption": c}
                                                for i, (im, c) in enumerate(anns)]}), encoding="utf-8")
    assert detect_kind(str(path)) == "coco"
    _, rows = imported(tmp_path, path)
    assert [(r["image_id"], r["caption"]) for r in rows] == [
        (1, "a dog on grass."), (1, "a brown dog lying down."), (1, "a puppy outside."),
        (2, "a red bus."), (2, "a bus in the city.")]
    # never the image's own captions (see test_coco_import.py): the other image's closest caption
    assert rows[0]["prompt"] == build_prompt(["a red bus."], [])
    assert rows[3]["prompt"] == build_prompt(["a puppy outside."], [])


def write_csv(tmp_path, text, name="d.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return open_source(str(path))


def test_mapping_checks(tmp_path):
    source = write_csv(tmp_path, "id,prompt,caption,score,blank\n1,a long prompt text here,a cap.,0.5,\n"
                                 "1,another long prompt text,cap two.,3,\n")
    assert check_mapping(source, Mapping("prompt", "caption", "id")) == [
        Finding("warning", "1 of the first 2 rows repeat an image id ('1' on rows 1 and 2); fine for several "
                           "captions per image, a mistake if column 'id' is not an id")]
    assert [f.text for f in check_mapping(source, Mapping("prompt", "score"))] == [
        "column 'score' (the caption) holds numbers (e.g. 0.5), not text; map a column that holds text"]
    assert [f.text for f in check_mapping(source, Mapping("blank", "caption"))] == [
        "column 'blank' (the prompt) is empty in the first 2 rows; map a column that holds text"]
    swapped = write_csv(tmp_path, "p,c\nshort," + "a much longer text than any caption should be " * 3 + "\n")
    assert [(f.severity, f.text) for f in check_mapping(swapped, Mapping("p", "c"))] == [
        ("warning", "the captions (column 'c') are much longer on average (138 characters) than the prompts "
                    "(column 'p', 5); are the two swapped?")]


def test_mapped_column_missing_is_one_line(tmp_path):
    source = write_csv(tmp_path, "question,answer\nq,a\n")
    with pytest.raises(UserError) as err:
        write_jsonl(source, Mapping("prompt", "answer"), tmp_path / "out.jsonl")
    assert str(err.value) == (f"{tmp_path / 'd.csv'}: there is no column 'prompt' to use as the prompt; the "
                              f"columns are question, answer")
    assert not (tmp_path / "out.jsonl").exists()


@pytest.mark.parametrize("name, content, message", [
    ("d.csv", b"", "{path}: no rows in the file; nothing to import"),
    ("d.jsonl", b"\n\n", "{path}: no rows in the file; nothing to import"),
    ("d.csv", b"prompt,caption\n", "{path}: only a header line, no rows; nothing to import"),
    ("d.csv", b"prompt,caption\nok,ok\nna\xefve,x\n", "{path}:3: not UTF-8 text (byte 23); save the file as UTF-8"),
    ("d.jsonl", b'{"prompt": "p", "caption": "c"}\n{"prompt": "caf\xe9"}\n',
     "{path}:2: not UTF-8 text (byte 47); save the file as UTF-8"),
    ("d.jsonl", b'{"prompt": "p", "caption": "c"}\n{"prompt": \n',
     "{path}:2: not valid JSON (Expecting value at column 12); each line must be one JSON object"),
    ("captions.json", b'{"info": {}, "annotations": [{"image_id": 1}]}',
     "{path}: annotation 1 needs an 'image_id' and a 'caption' text"),
])
def test_bad_sources(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UserError) as err:
        source = open_source(str(path))
        write_jsonl(source, Mapping("prompt", "caption"), tmp_path / "out.jsonl")
    assert str(err.value) == message.format(path=path)


def test_rows_with_an_empty_prompt_are_skipped_and_counted(tmp_path):
    source = write_csv(tmp_path, "prompt,caption\np1,c1\n,c2\np3,\np4,c4\n")
    result = write_jsonl(source, Mapping("prompt", "caption"), tmp_path / "out.jsonl")
    assert (result.rows, result.skipped) == (2, 2)
    assert result.warnings == [f"skipped 2 rows with an empty prompt or caption (the first is row 3 of "
                               f"{tmp_path / 'd.csv'})"]
