"""RunConfig: the IGRAG layout in and out, and every bad value reported with its message."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from igrag_gui.core.config import (
    RunConfig, field_help, field_specs, format_problem, load_config, SECTIONS,
)
from igrag_gui.core.errors import UserError

ROOT = Path(__file__).resolve().parents[2]


def messages(cfg: RunConfig, **kw) -> list[str]:
    return [str(p) for p in cfg.validate(**kw)]


def test_igrag_default_config_is_the_reference_setup():
    cfg, warnings = load_config(ROOT / "configs" / "lora_config.yaml")
    assert warnings == []
    assert cfg.model.base_model_path == "google/flan-t5-base"
    assert (cfg.lora.r, cfg.lora.lora_alpha, cfg.lora.dropout) == (16, 32, 0.1)
    assert cfg.lora.target_modules == ["q", "v"]
    assert (cfg.data.max_source_length, cfg.data.max_target_length) == (512, 64)
    assert cfg.training.fp16 is True


def test_every_field_has_help_text():
    for section in SECTIONS:
        for f in field_specs(section):
            assert len(f.metadata["help"]) > 15, f"{section}.{f.name}"
    assert "rank" in field_help("lora.r")


def test_round_trip_keeps_unknown_keys_and_warns(make_config, tmp_path):
    path = make_config(lora={"fancy": 3}, training={"note": "keep me"})
    text = path.read_text() + "extra_section:\n  a: 1\n"
    path.write_text(text)
    cfg, warnings = load_config(path)
    assert any("unknown key 'lora.fancy'" in w for w in warnings)
    assert any("unknown key 'training.note'" in w for w in warnings)
    assert any("unknown key 'extra_section'" in w for w in warnings)
    assert all(w.startswith(str(path)) for w in warnings)
    out = tmp_path / "saved.yaml"
    cfg.save(out)
    saved = yaml.safe_load(out.read_text())
    assert saved["lora"]["fancy"] == 3
    assert saved["training"]["note"] == "keep me"
    assert saved["extra_section"] == {"a": 1}
    again, _ = load_config(out)
    assert again.to_dict() == cfg.to_dict()


@pytest.mark.parametrize("alpha_key,dropout_key", [("alpha", "lora_dropout"), ("lora_alpha", "dropout")])
def test_both_spellings_of_alpha_and_dropout(make_config, tmp_path, alpha_key, dropout_key):
    path = make_config(raw=f"lora:\n  r: 8\n  {alpha_key}: 24\n  {dropout_key}: 0.05\n")
    cfg, _ = load_config(path)
    assert cfg.lora.lora_alpha == 24 and cfg.lora.dropout == 0.05
    out = tmp_path / "out.yaml"
    cfg.save(out)
    saved = yaml.safe_load(out.read_text())["lora"]
    assert saved[alpha_key] == 24 and saved[dropout_key] == 0.05  # written back as read
    assert {"alpha", "lora_alpha"} & set(saved) == {alpha_key}


def test_both_spellings_at_once_is_a_problem(make_config):
    cfg, _ = load_config(make_config(raw="lora:\n  alpha: 8\n  lora_alpha: 16\n"))
    assert "lora.lora_alpha: is given twice, as 'alpha' and 'lora_alpha'; keep one of them" in messages(cfg)


def test_relative_paths_resolve_against_the_config_folder(make_config, tmp_path):
    cfg, _ = load_config(make_config())
    assert cfg.train_file == tmp_path / "data" / "train.jsonl"
    assert cfg.output_path == tmp_path / "out"


def test_save_elsewhere_rebases_relative_paths(make_config, tmp_path):
    cfg, _ = load_config(make_config())
    other = tmp_path / "elsewhere" / "deeper"
    other.mkdir(parents=True)
    cfg.save(other / "copy.yaml")
    saved = yaml.safe_load((other / "copy.yaml").read_text())
    assert saved["data"]["train_path"] == "../../data/train.jsonl"
    reloaded, _ = load_config(other / "copy.yaml")
    assert reloaded.train_file.resolve() == (tmp_path / "data" / "train.jsonl").resolve()
    assert messages(reloaded) == []


def test_yaml_no_means_the_strategy_no(make_config):
    cfg, _ = load_config(make_config(raw="training:\n  eval_strategy: no\n  save_strategy: no\n"))
    assert (cfg.training.eval_strategy, cfg.training.save_strategy) == ("no", "no")
    assert [str(p) for p in cfg.validate() if p.field.startswith("training")] == []


def test_very_high_learning_rate_is_a_warning(make_config):
    cfg, _ = load_config(make_config(training={"learning_rate": 5}))
    problems = cfg.validate()
    assert [(p.field, p.severity) for p in problems] == [("training.learning_rate", "warning")]
    assert str(problems[0]) == ("training.learning_rate: 5 is unusually high (LoRA usually trains at 1e-4 to "
                                "1e-3); training may diverge")


def test_yaml_floats_without_a_dot_are_numbers(make_config):
    cfg, _ = load_config(make_config(raw="training:\n  learning_rate: 2e-4\n"))
    assert cfg.training.learning_rate == pytest.approx(2e-4)


def test_overrides_parse_values_and_reject_unknown_keys(make_config, tmp_path, monkeypatch):
    path = make_config()
    cfg, _ = load_config(path, ["lora.r=8", "training.fp16=true", "lora.target_modules=[q,k,v]",
                                "lora.alpha=12"])
    assert (cfg.lora.r, cfg.training.fp16, cfg.lora.target_modules) == (8, True, ["q", "k", "v"])
    assert cfg.lora.lora_alpha == 12
    with pytest.raises(UserError) as err:
        load_config(path, ["lora.rank=8"])
    assert str(err.value) == ("--set lora.rank=8: section 'lora' has no key 'rank'; its keys are r, "
                              "lora_alpha, dropout, target_modules, bias, use_rslora, use_dora, init_lora_weights")
    with pytest.raises(UserError) as err:
        load_config(path, ["lora.r"])
    assert str(err.value) == "--set lora.r: expected section.key=value, e.g. --set lora.r=8"
    monkeypatch.chdir(tmp_path)
    cfg, _ = load_config(path, ["data.train_path=data/val.jsonl"])
    assert cfg.train_file == tmp_path / "data" / "val.jsonl"


# ------------------------------------------------------------------------------- bad input
def test_missing_config_file(tmp_path):
    with pytest.raises(UserError) as err:
        load_config(tmp_path / "nope.yaml")
    assert str(err.value) == (f"config file '{tmp_path / 'nope.yaml'}' does not exist; check the "
                              f"path, or start from configs/lora_config.yaml")


def test_yaml_syntax_error_names_file_line_and_column(make_config):
    path = make_config(raw="model:\n  base_model_path: x\nlora:\n  r: [16\n  alpha: 3\n")
    with pytest.raises(UserError) as err:
        load_config(path)
    text = str(err.value)
    assert text.startswith(f"{path}:5:8: YAML syntax error: ")
    assert "fix the file" in text


def test_top_level_must_be_a_mapping(make_config):
    path = make_config(raw="- just\n- a list\n")
    with pytest.raises(UserError) as err:
        load_config(path)
    assert str(err.value) == (f"{path}: the top level must be a mapping with sections model, data, "
                              f"training, lora, got a list (['just', 'a list'])")


def test_section_that_is_not_a_mapping(make_config):
    cfg, _ = load_config(make_config(raw="lora: 16\n"))
    assert ("lora: must be a mapping of keys to values (for example 'r: 16' under 'lora:'), got 16"
            in messages(cfg))


BAD_VALUES = [
    ({"lora": {"r": "sixteen"}}, "lora.r: must be a whole number such as 16, got the text 'sixteen'"),
    ({"lora": {"r": 0}}, "lora.r: must be at least 1, got 0"),
    ({"lora": {"r": -4}}, "lora.r: must be at least 1, got -4"),
    ({"lora": {"r": 16.5}}, "lora.r: must be a whole number such as 16, got 16.5"),
    ({"lora": {"lora_alpha": 0}}, "lora.lora_alpha: must be greater than 0, got 0"),
    ({"lora": {"lora_alpha": -1}}, "lora.lora_alpha: must be greater than 0, got -1"),
    ({"lora": {"dropout": 1.0}}, "lora.dropout: must be at least 0 and below 1, got 1.0"),
    ({"lora": {"dropout": -0.1}}, "lora.dropout: must be at least 0, got -0.1"),
    ({"lora": {"target_modules": []}},
     "lora.target_modules: is empty; name at least one module, e.g. [q, v] for T5 models"),
    ({"data": {"max_source_length": 0}}, "data.max_source_length: must be at least 1, got 0"),
    ({"data": {"max_target_length": -64}}, "data.max_target_length: must be at least 1, got -64"),
    ({"training": {"train_batch_size": 0}}, "training.train_batch_size: must be at least 1, got 0"),
    ({"training": {"eval_batch_size": 0}}, "training.eval_batch_size: must be at least 1, got 0"),
    ({"training": {"num_train_epochs": 0}}, "training.num_train_epochs: must be greater than 0, got 0"),
    ({"training": {"learning_rate": 0}}, "training.learning_rate: must be greater than 0, got 0"),
    ({"training": {"learning_rate": -1e-4}}, "training.learning_rate: must be greater than 0, got -0.0001"),
    ({"training": {"fp16": True, "bf16": True}},
     "training.bf16: fp16 and bf16 are both true; choose one precision (set the other to false)"),
    ({"training": {"fp16": "yes please"}}, "training.fp16: must be true or false, got the text 'yes please'"),
    ({"training": {"eval_strategy": "sometimes"}},
     "training.eval_strategy: must be one of no, steps, epoch, got 'sometimes'"),
    ({"model": {"type": "encoder"}}, "model.type: 'encoder' is not a model family igrag knows (such as "
                                     "seq2seq, causal, flan-t5, gpt2); the kind is read from the model's "
                                     "config.json"),
]


@pytest.mark.parametrize("sections,expected", BAD_VALUES, ids=[e.split(":")[0] + "-" + str(i) for i, (_, e) in enumerate(BAD_VALUES)])
def test_bad_value_message(make_config, sections, expected):
    cfg, _ = load_config(make_config(**sections))
    found = messages(cfg)
    assert expected in found
    assert len(found) == 1, found


def test_missing_model_folder_and_data_files(make_config, tmp_path):
    path = make_config(model={"base_model_path": "./no-such-model"},
                       data={"train_path": "missing/train.jsonl", "val_path": "missing/val.jsonl"})
    cfg, _ = load_config(path)
    found = messages(cfg)
    assert found == [
        f"model.base_model_path: folder '{tmp_path / 'no-such-model'}' does not exist on this "
        f"machine; set model.base_model_path to a Hugging Face id such as google/flan-t5-base "
        f"(found in the Hugging Face cache; on a machine with internet `hf download "
        f"google/flan-t5-base` puts it there) or to a local folder holding config.json and the weights",
        f"data.train_path: 'missing/train.jsonl' exists neither in the config's folder {tmp_path} "
        f"nor in any folder above it up to /; check the path",
        f"data.val_path: 'missing/val.jsonl' exists neither in the config's folder {tmp_path} "
        f"nor in any folder above it up to /; check the path",
    ]


def test_all_problems_reported_at_once_with_file_and_line(make_config):
    path = make_config(lora={"r": 0, "lora_alpha": -1, "dropout": 2, "target_modules": []},
                       training={"fp16": True, "bf16": True, "learning_rate": 0},
                       data={"train_path": "nowhere.jsonl", "max_source_length": 0})
    cfg, _ = load_config(path)
    lines = [format_problem(cfg, p) for p in cfg.validate()]
    assert len(lines) == 8, lines
    r_line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if text.strip().startswith("r:"))
    assert f"{path}:{r_line}: lora.r: must be at least 1, got 0" in lines


def test_hub_ids_are_not_paths(make_config):
    cfg, _ = load_config(make_config(model={"base_model_path": "google/flan-t5-base"}))
    assert messages(cfg) == []


def test_output_dir_that_cannot_be_written(make_config, tmp_path, monkeypatch):
    import os

    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    if os.access(locked, os.W_OK):  # root writes anywhere: deny it the way a mount would
        real_access = os.access
        monkeypatch.setattr("igrag_gui.core.config.field_checks.os.access",
                            lambda p, mode: False if Path(p) == locked else real_access(p, mode))
    try:
        cfg, _ = load_config(make_config(training={"output_dir": "locked/run"}))
        assert messages(cfg) == [f"training.output_dir: cannot write to '{locked}' (permission denied); "
                                 f"choose a folder you can write to"]
    finally:
        locked.chmod(0o700)


def test_output_dir_that_is_a_file(make_config, tmp_path):
    (tmp_path / "taken").write_text("x")
    cfg, _ = load_config(make_config(training={"output_dir": "taken"}))
    assert messages(cfg) == [f"training.output_dir: '{tmp_path / 'taken'}' is a file, not a folder; "
                             f"choose a folder for checkpoints"]


@pytest.mark.parametrize("name", ["demo.yaml", "lora_config.yaml"])
def test_the_fast_yaml_loader_reads_what_safe_load_reads(name):
    """Configs are parsed by libyaml when it is there; the values must be safe_load's exactly."""
    from igrag_gui.core.config.loading import _safe_load

    text = (Path(__file__).resolve().parents[2] / "configs" / name).read_text(encoding="utf-8")
    tricky = text + "\nextra:\n  a: 1e-4\n  b: 0x1F\n  c: ~\n  d: 2026-11-29\n  e: [yes, no, 'on']\n"
    assert _safe_load(tricky) == yaml.safe_load(tricky)
