"""The prompt box's first example: the validation file named by the run the adapter comes from."""

from __future__ import annotations

import json

import pytest

from igrag_gui.core.errors import UserError
from igrag_gui.core.playground.examples import run_examples, run_validation_file, validation_examples
from igrag_gui.resources import demo_config_path, resource_path

VAL = resource_path("demo/data/val.jsonl")


def write_run(folder, val_path: str):
    import yaml

    folder.mkdir(parents=True)
    data = yaml.safe_load(demo_config_path().read_text(encoding="utf-8"))
    data["data"]["val_path"] = val_path
    (folder / "run.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    (folder / "adapter_config.json").write_text("{}")
    return folder


def test_the_runs_validation_file_is_found_from_the_adapter_or_its_checkpoint(tmp_path):
    val = tmp_path / "val.jsonl"
    val.write_text(json.dumps({"prompt": "Caption: a dog", "caption": "a dog"}) + "\n"
                   + json.dumps({"prompt": " ", "caption": "nothing to try"}) + "\n"
                   + json.dumps({"prompt": "Caption: a cat", "caption": "a cat"}) + "\n")
    run = write_run(tmp_path / "run", str(val))
    (run / "checkpoint-4").mkdir()
    assert run_validation_file(run) == val
    assert run_validation_file(run / "checkpoint-4") == val
    assert run_validation_file(run / "adapter_config.json") == val
    assert [(e.prompt, e.caption, e.line) for e in validation_examples(val)] == [
        ("Caption: a dog", "a dog", 1), ("Caption: a cat", "a cat", 3)]
    path, examples = run_examples(run / "checkpoint-4")
    assert path == val and [e.line for e in examples] == [1, 3]
    val.write_bytes(b'{"prompt": "caf\xe9"}\n')  # unreadable now: nothing offered, no error
    assert run_examples(run) is None


def test_no_run_or_a_missing_file_gives_none_and_a_bad_file_is_named(tmp_path):
    assert run_validation_file(tmp_path) is None and run_examples(tmp_path) is None
    assert run_validation_file(write_run(tmp_path / "gone", str(tmp_path / "missing.jsonl"))) is None
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "run.yaml").write_text("data: [unclosed")
    assert run_validation_file(tmp_path / "broken") is None
    assert len(validation_examples(VAL, limit=5)) == 5
    with pytest.raises(UserError) as caught:
        validation_examples(tmp_path / "none.jsonl")
    assert str(caught.value).startswith(f"data file '{tmp_path / 'none.jsonl'}' does not exist")
