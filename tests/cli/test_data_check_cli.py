"""``igrag data check`` as a user runs it: exit 0 on the demo, 1 with planted leaks (JSON), 2 on a
user error; and ``igrag train`` warns once, before training, when the data leaks."""

from __future__ import annotations

import json

from tests.cli.test_cli import ROOT, assert_user_error, igrag

DEMO = str(ROOT / "configs/demo.yaml")


def _leaky(folder):
    """A hidden training file with two planted leaks against the demo's validation file."""
    val = [json.loads(line) for line in (ROOT / "resources/demo/data/val.jsonl").read_text().splitlines()]
    rows = [json.loads(line) for line in (ROOT / "resources/demo/data/train.jsonl").read_text().splitlines()[:40]]
    rows[3]["prompt"] = rows[3]["prompt"].replace("Caption:", f"{rows[3]['caption'].upper()}\nCaption:")
    rows.append(dict(val[7], metadata={}))  # a validation row copied into training: its image and row
    path = folder / ".hidden" / ".train.jsonl"
    path.parent.mkdir()
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path, val


def test_the_demo_is_clean():
    result = igrag("data", "check", DEMO)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "checked 1,000 train rows (train.jsonl), 100 val rows (val.jsonl)"
    assert "ok          0  prompts that contain their own caption" in lines
    assert lines[-1] == "no leakage found" and result.stderr == ""


def test_planted_leaks_in_a_hidden_file_are_reported_in_json(tmp_path):
    train, val = _leaky(tmp_path)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    result = igrag("data", "check", DEMO, "--set", f"data.train_path={train}", "--json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["leakage"] is True and report["rows"] == {"train": 41, "val": 100}
    f = report["findings"]
    assert f["caption_in_prompt"]["count"] == 1 and f["caption_in_prompt"]["examples"] == [
        {"split": "train", "file": ".train.jsonl", "line": 4, "caption": json.loads(
            train.read_text().splitlines()[3])["caption"]}]
    assert f["val_image_in_train"]["examples"] == [
        {"split": "val", "file": "val.jsonl", "line": 8, "image_id": str(val[7]["image_id"])}]
    assert f["val_row_in_train"]["examples"] == [
        {"split": "val", "file": "val.jsonl", "line": 8, "caption": val[7]["caption"]}]
    assert all(f[k]["leak"] for k in ("caption_in_prompt", "val_image_in_train", "val_row_in_train"))
    assert not f["caption_mostly_in_prompt"]["leak"]
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # the check writes nothing
    text = igrag("data", "check", DEMO, "--set", f"data.train_path={train}")
    assert text.returncode == 1
    assert "LEAK        1  prompts that contain their own caption" in text.stdout.splitlines()
    assert text.stdout.splitlines()[-1] == "leakage found: see the LEAK lines (exit code 1)"


def test_user_errors_are_one_line_and_exit_2(tmp_path):
    missing = tmp_path / "nope.jsonl"
    lines = assert_user_error(igrag("data", "check", DEMO, "--set", f"data.val_path={missing}"))
    assert lines == [f"igrag: error: {DEMO}:9: data.val_path: file '{missing}' does not exist; check the path"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "a", "caption": 3}\n')
    assert assert_user_error(igrag("data", "check", DEMO, "--set", f"data.train_path={bad}")) == [
        f"igrag: error: {bad}:1: 'caption' must be text, got 3"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.jsonl"]


def test_training_warns_once_before_it_starts(tmp_path):
    train, _ = _leaky(tmp_path)
    result = igrag("train", DEMO, "--max-steps", "1", "--set", f"data.train_path={train}",
                   "--set", f"training.output_dir={tmp_path / 'out'}", "--set", "training.eval_strategy=no",
                   "--set", "training.save_strategy=no")
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    warned = [i for i, line in enumerate(lines) if "data leakage" in line]
    assert len(warned) == 1
    assert lines[warned[0]] == (
        "igrag: warning: data leakage in .train.jsonl, val.jsonl: 1 validation rows whose image is also in training (same image_id or "
        "file); 1 validation rows whose prompt and caption are also a training row; 1 prompts that contain "
        "their own caption; the scores may flatter the model; 'igrag data check CONFIG' lists the rows")
    assert warned[0] < next(i for i, line in enumerate(lines) if line.startswith("training: "))
