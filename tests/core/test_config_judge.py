"""Judging a config while it is edited: the disk's answer is asked for apart and kept while the
paths it was about are unchanged."""

from __future__ import annotations

from igrag_gui.core.config import load_config
from igrag_gui.core.config.disk_checks import file_problems
from igrag_gui.core.config.judge import ConfigJudge


def fields(problems) -> list[str]:
    return [p.field for p in problems if p.severity == "error"]


def test_the_disk_is_asked_only_by_look(make_config, tmp_path):
    cfg, _ = load_config(make_config(data={"train_path": "data/missing.jsonl"}))
    judge = ConfigJudge()
    assert fields(judge.judge(cfg)) == []  # not looked yet
    assert fields(judge.judge(cfg, look=True)) == ["data.train_path"]
    cfg.lora.r = 0  # an edit naming no file: the disk's answer stands
    assert fields(judge.judge(cfg)) == ["lora.r", "data.train_path"]
    cfg.data.train_path = "data/train.jsonl"  # the path changed: its old answer is dropped
    assert fields(judge.judge(cfg)) == ["lora.r"]
    (tmp_path / "data" / "train.jsonl").unlink()
    assert fields(judge.judge(cfg, look=True)) == ["lora.r", "data.train_path"]


def test_judge_with_look_equals_validate(make_config):
    cfg, _ = load_config(make_config(data={"val_path": "nowhere.jsonl"}, training={"output_dir": "out"}))
    assert ConfigJudge().judge(cfg, look=True) == cfg.validate()


def test_resumable_follows_the_output_folder(make_config, tmp_path):
    cfg, _ = load_config(make_config(training={"output_dir": "out"}))
    judge = ConfigJudge()
    judge.judge(cfg, look=True)
    assert judge.resumable is False
    (tmp_path / "out" / "checkpoint-4").mkdir(parents=True)
    (tmp_path / "out" / "checkpoint-4" / "trainer_state.json").write_text("{}")
    judge.look(cfg)
    judge.judge(cfg)
    assert judge.resumable is True
    cfg.training.output_dir = "elsewhere"
    judge.judge(cfg)
    assert judge.resumable is False


def test_a_value_of_the_wrong_type_is_not_looked_for(make_config):
    cfg, _ = load_config(make_config())
    cfg.data.train_path = 5
    assert file_problems(cfg) == []
