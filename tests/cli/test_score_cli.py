"""``igrag score`` as a user runs it: figures, JSON keys, and one line for each bad input."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.cli.test_cli import assert_user_error, igrag

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "captions"
RESULTS, REFS = str(FIXTURES / "results.json"), str(FIXTURES / "references.json")
NO_JAVA = {"PATH": str(Path(sys.executable).parent)}  # the venv's python, and no java


def test_json_has_every_metric_on_the_0_1_scale_and_what_was_not_computed(tmp_path):
    per_image = tmp_path / "per-image.json"
    result = igrag("score", RESULTS, "--references", REFS, "--json", "--per-image", str(per_image), env=NO_JAVA)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert list(data)[:8] == ["BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4", "METEOR", "ROUGE-L", "CIDEr", "SPICE"]
    assert data["images"] == 6 and data["METEOR"] is None and data["SPICE"] is None
    assert set(data["unavailable"]) == {"METEOR", "SPICE"} and "needs Java" in data["unavailable"]["METEOR"]
    assert 0 < data["BLEU-4"] < 1 and 0 < data["ROUGE-L"] < 1 and data["CIDEr"] > 0
    assert result.stderr.splitlines() == [
        f"igrag: warning: {RESULTS}: 1 caption(s) are empty; they are scored as empty captions",
        f"igrag: wrote per-image scores to {per_image}"]
    rows = json.loads(per_image.read_text())
    assert [r["image_id"] for r in rows][0] == 104 and rows[0]["CIDEr"] == 0.0


def test_table_names_the_tokenizer_and_the_scale():
    result = igrag("score", str(FIXTURES / "results.jsonl"), "-r", str(FIXTURES / "references.jsonl"),
                   "--metrics", "bleu4,cider,meteor", env=NO_JAVA)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "6 images scored with pycocoevalcap; PTB tokens in Python; 0-1 scale"
    assert lines[1].startswith("  BLEU-4   0.") and lines[2].startswith("  METEOR   unavailable: METEOR needs Java")
    assert lines[3].startswith("  CIDEr    ")


def write(tmp_path: Path, name: str, content: str | bytes) -> str:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return str(path)


@pytest.mark.parametrize("name, content, refs, message", [
    ("r.json", '{"image_id": 1, "caption": "a dog"}', REFS,
     "{path}: not a results file: expected a JSON list of {{\"image_id\": ..., \"caption\": ...}} objects (COCO "
     "results) or JSONL with one such object a line, got a JSON object"),
    ("r.json", '[{"image_id": 101, "text": "a dog"}]', REFS,
     "{path}: item 1: expected an object with 'image_id' and 'caption', got an object with keys image_id, text; the "
     "file must be a JSON list of {{\"image_id\": ..., \"caption\": ...}} objects (COCO results) or JSONL with one "
     "such object a line"),
    ("r.json", '["a dog"]', REFS,
     "{path}: item 1: expected an object with 'image_id' and 'caption', got a JSON str; the file must be a JSON list "
     "of {{\"image_id\": ..., \"caption\": ...}} objects (COCO results) or JSONL with one such object a line"),
    ("r.jsonl", '{"image_id": 101, "caption": "a dog"}\n{"image_id": 102, "caption": 5}\n', REFS,
     "{path}:2: 'caption' must be text, got 5"),
    ("r.json", b'[{"image_id": 101, "caption": "caf\xe9"}]', REFS,
     "{path}:1: not UTF-8 text (byte 34); save the file as UTF-8"),
    ("r.json", '[{"image_id": 5555, "caption": "a dog"}]', REFS,
     "{path}: none of its 1 result(s) is for an image with a reference caption in " + REFS + "; check that both "
     "files use the same image_id values"),
])
def test_bad_results_files_get_one_line(tmp_path, name, content, refs, message):
    path = write(tmp_path, name, content)
    lines = assert_user_error(igrag("score", path, "--references", refs, "--metrics", "bleu4", env=NO_JAVA))
    assert lines == [f"igrag: error: {message.format(path=path)}"]


@pytest.mark.parametrize("content", ['[{"image_id": 101, "caption": "a dog"}]', '{"images": []}', "not json at all"])
def test_a_references_file_in_neither_format_gets_one_line(tmp_path, content):
    path = write(tmp_path, "refs.json", content)
    lines = assert_user_error(igrag("score", RESULTS, "--references", path, env=NO_JAVA))
    if content.startswith("not"):
        assert lines == [f"igrag: error: {path}:1: not valid JSON (Expecting value); expected COCO caption annotations "
                         f"(a JSON object with 'images' and 'annotations') or JSONL whose lines each hold 'image_id' "
                         f"and 'caption'"]
    else:
        assert lines == [f"igrag: error: {path}: not a references file: expected COCO caption annotations (a JSON "
                         f"object with 'images' and 'annotations') or JSONL whose lines each hold 'image_id' and "
                         f"'caption'"]


def test_duplicates_keep_the_first_with_a_warning(tmp_path):
    rows = json.loads(Path(RESULTS).read_text())
    path = write(tmp_path, "dup.json", json.dumps(rows + [{"image_id": 101, "caption": "something else"}]))
    first = json.loads(igrag("score", RESULTS, "-r", REFS, "--json", "--metrics", "bleu4", env=NO_JAVA).stdout)
    result = igrag("score", path, "-r", REFS, "--json", "--metrics", "bleu4", env=NO_JAVA)
    assert result.returncode == 0 and json.loads(result.stdout)["BLEU-4"] == first["BLEU-4"]
    assert (f"igrag: warning: {path}: 1 result(s) repeat an image already given; the first caption of each image "
            f"is kept, as COCO's evaluator does") in result.stderr.splitlines()


def test_unknown_metric_name():
    lines = assert_user_error(igrag("score", RESULTS, "-r", REFS, "--metrics", "bleu4,blue"))
    assert lines == ["igrag: error: --metrics: unknown metric 'blue'; choose from bleu1, bleu2, bleu3, bleu4, meteor, "
                     "rouge_l, cider, spice"]
