"""``igrag data import`` and the preparation progress of ``igrag train``, run as a user runs them."""

from __future__ import annotations

import json

from tests.cli.test_cli import ROOT, assert_user_error, igrag


def test_import_csv_with_a_mapping(tmp_path):
    src = tmp_path / "pairs.csv"
    src.write_text("img,src,tgt\n3,two dogs. Objects: dog,two dogs play.\n4,a bus. Objects: bus,a red bus.\n",
                   encoding="utf-8")
    out = tmp_path / "train.jsonl"
    result = igrag("data", "import", str(src), "--out", str(out), "--prompt", "src", "--caption", "tgt",
                   "--image-id", "img")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"wrote 2 rows to {out} (prompt <- src, caption <- tgt, image id <- img)"
    assert [json.loads(line) for line in out.read_text().splitlines()] == [
        {"image_id": 3, "prompt": "two dogs. Objects: dog", "caption": "two dogs play."},
        {"image_id": 4, "prompt": "a bus. Objects: bus", "caption": "a red bus."}]


def test_import_errors_are_one_line(tmp_path):
    src = tmp_path / "pairs.csv"
    src.write_text("question,answer,n\nq1,a1,1\nq2,a2,2\n", encoding="utf-8")
    out = str(tmp_path / "o.jsonl")
    assert assert_user_error(igrag("data", "import", str(src), "--out", out, "--prompt", "query")) == [
        f"igrag: error: {src}: there is no column 'query' to use as the prompt; the columns are question, answer, n"]
    assert assert_user_error(igrag("data", "import", str(src), "--out", out, "--caption", "n")) == [
        "igrag: error: column 'n' (the caption) holds numbers (e.g. 1), not text; map a column that holds text"]
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert assert_user_error(igrag("data", "import", str(empty), "--out", out)) == [
        f"igrag: error: {empty}: no rows in the file; nothing to import"]
    other = tmp_path / "other.jsonl"
    other.write_text('{"a": "x", "b": "y"}\n')
    assert assert_user_error(igrag("data", "import", str(other), "--out", out)) == [
        f"igrag: error: {other}: no column looks like the prompt; name it with --prompt COL (the columns are a, b)"]
    assert not (tmp_path / "o.jsonl").exists()


def test_train_shows_preparation_then_reads_the_cache(tmp_path):
    lines = (ROOT / "resources/demo/data/train.jsonl").read_text(encoding="utf-8").splitlines()
    data = tmp_path / "big.jsonl"
    data.write_text("".join(lines[i % len(lines)] + "\n" for i in range(3000)), encoding="utf-8")
    env = {"IGRAG_DATA_CACHE": str(tmp_path / "cache")}
    args = ("train", str(ROOT / "configs/demo.yaml"), "--max-steps", "1", "--set", f"data.train_path={data}",
            "--set", f"training.output_dir={tmp_path / 'out'}", "--set", "training.eval_strategy=no",
            "--set", "training.save_strategy=no")
    first = igrag(*args, env=env)
    assert first.returncode == 0, first.stderr
    prep = [line for line in first.stderr.splitlines() if "big.jsonl" in line]
    assert prep[0] == "reading big.jsonl"
    assert prep[1].startswith("tokenizing big.jsonl: 0 of 3,000 rows")
    assert prep[-1].startswith("big.jsonl: 3,000 rows tokenized in ")
    second = igrag(*(a.replace(str(tmp_path / "out"), str(tmp_path / "out2")) for a in args), env=env)  # a new run
    assert second.returncode == 0, second.stderr
    assert [line for line in second.stderr.splitlines() if "big.jsonl" in line][-1] == \
        "big.jsonl: 3,000 rows, tokenized, from the cache"
    assert "training: " in second.stderr and "3,000 examples" in second.stderr
    listed = igrag("data", "cache", env=env)
    assert listed.returncode == 0, listed.stderr
    row, total = listed.stdout.strip().splitlines()
    assert "3,000 rows  used" in row and row.endswith(str(data))
    assert total.startswith("1 entry, ") and total.endswith(f" in {tmp_path / 'cache'}")
    trimmed = igrag("data", "cache", "--trim", "1KB", env=env)
    assert trimmed.stdout.startswith("removed 1 entry (") and trimmed.stdout.strip().endswith("now holds 0 B")
    assert igrag("data", "cache", env=env).stdout.strip() == f"the data cache {tmp_path / 'cache'} is empty"


def test_data_cache_refuses_a_size_that_is_not_one(tmp_path):
    result = igrag("data", "cache", "--trim", "lots", env={"IGRAG_DATA_CACHE": str(tmp_path)})
    assert assert_user_error(result) == [
        "igrag: error: --trim: 'lots' is not a size; write a number with an optional unit, e.g. 20GB, 500MB or 0 "
        "(no limit)"]


def test_coco_import_of_one_image_with_3000_captions_stays_small(tmp_path):
    """Issue 24, case 6: a 236 KB COCO file of one image with 3,000 captions became a 342 MB JSONL."""
    anns = [{"id": i, "image_id": 1, "caption": f"A man riding a wave on top of surfboard number {i}."}
            for i in range(3000)] + [{"id": 3000, "image_id": 2, "caption": "a man riding a horse."}]
    src = tmp_path / "captions.json"
    src.write_text(json.dumps({"info": {}, "annotations": anns}), encoding="utf-8")
    out = tmp_path / "train.jsonl"
    result = igrag("data", "import", str(src), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        "igrag: warning: 1 image(s) have more than 10 captions (image 1: 3,000); kept the first 10 of each, "
        "2,990 captions left out (--max-captions-per-image)"]
    assert result.stdout.strip() == f"wrote 11 rows to {out} (prompt <- prompt, caption <- caption, image id <- image_id)"
    assert out.stat().st_size < 5_000 < src.stat().st_size
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows[0]["prompt"].splitlines()[1] == "Similar images: a man riding a horse."  # never its own captions
    check = igrag("data", "check", str(ROOT / "configs/demo.yaml"), "--set", f"data.train_path={out}",
                  "--set", "data.val_path=", "--set", "training.eval_strategy=no")
    assert check.returncode == 0, check.stdout + check.stderr
    assert igrag("data", "import", str(src), "--out", str(out), "--max-captions-per-image", "0").returncode == 2


def test_coco_import_with_a_neighbours_file(tmp_path):
    src = tmp_path / "captions.json"
    src.write_text(json.dumps({"annotations": [{"image_id": 1, "caption": "a dog."}, {"image_id": 2, "caption": "a cat."},
                                               {"image_id": 3, "caption": "a bird."}]}), encoding="utf-8")
    nn = tmp_path / "neighbours.json"
    nn.write_text(json.dumps({"1": [3, 2], "2": [2], "3": [1]}))
    out = tmp_path / "train.jsonl"
    result = igrag("data", "import", str(src), "--out", str(out), "--neighbours", str(nn), "--context-captions", "1")
    assert result.returncode == 0, result.stderr
    assert [json.loads(line)["prompt"].splitlines()[1] for line in out.read_text().splitlines()] == [
        "Similar images: a bird.", "Similar images: none", "Similar images: a dog."]
    nn.write_text(json.dumps({"1": [7]}))
    assert assert_user_error(igrag("data", "import", str(src), "--out", str(tmp_path / "o.jsonl"), "--neighbours",
                                   str(nn))) == [
        f"igrag: error: {nn}: image 1 lists neighbour 7, which has no captions in the COCO file; list only images "
        f"of that file"]
    assert not (tmp_path / "o.jsonl").exists()
