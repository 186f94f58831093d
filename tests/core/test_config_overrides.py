"""The ``--set`` list between a saved config and the edited one, and the command line built from it
(the Train tab's "Copy command"): what ``igrag train`` parses back must be the edited config."""

from __future__ import annotations

import shlex

import yaml

from igrag_gui.core.config import apply_overrides, load_config, train_command


def test_no_edits_no_overrides(make_config):
    cfg, _ = load_config(make_config())
    assert cfg.overrides_since(cfg.copy()) == []
    assert train_command(cfg, cfg.copy()) == f"igrag train {cfg.source}"


def test_edits_come_back_in_section_order_spelled_as_the_file_spells_them(make_config):
    saved, _ = load_config(make_config(raw=yaml.safe_dump({"lora": {"r": 16, "alpha": 32, "target_modules": ["q"]},
                                                           "training": {"output_dir": "out"}})))
    cfg = saved.copy()
    cfg.lora.lora_alpha = 8
    cfg.lora.target_modules = ["q", "v"]
    cfg.training.learning_rate = 1e-3
    cfg.method = "ia3"
    assert cfg.overrides_since(saved) == ["method=ia3", "training.learning_rate=0.001", "lora.alpha=8",
                                          "lora.target_modules=[q, v]"]


def test_the_overrides_rebuild_the_edited_config(make_config):
    path = make_config()
    saved, _ = load_config(path)
    cfg = saved.copy()
    cfg.lora.r = 4
    cfg.data.prompt_field = "it's: [odd]"
    cfg.training.save_total_limit = None
    again = apply_overrides(saved.to_dict(), cfg.overrides_since(saved))
    assert again == cfg.to_dict()


def test_the_command_line_survives_the_shell(make_config, tmp_path):
    """A path with a space and a value with a quote split back into the same arguments."""
    folder = tmp_path / "my runs"
    folder.mkdir()
    saved, _ = load_config(make_config(name="my runs/run config.yaml"))
    cfg = saved.copy()
    cfg.data.caption_field = "it's"
    line = train_command(cfg, saved)
    assert shlex.split(line) == ["igrag", "train", str(folder / "run config.yaml"),
                                 "--set", "data.caption_field=it's"]
    accel = shlex.split(train_command(cfg, saved, launcher="accelerate"))
    assert accel[:7] == ["accelerate", "launch", "--num_processes", "2", "-m", "igrag_gui", "train"]


def test_an_unsaved_config_names_run_yaml():
    from igrag_gui.core.config import RunConfig

    assert train_command(RunConfig(), None) == "igrag train run.yaml"


def test_a_new_methods_section_sets_only_what_differs_from_its_defaults(make_config):
    saved, _ = load_config(make_config())
    cfg = saved.copy()
    cfg.method = "ia3"
    assert cfg.overrides_since(saved) == ["method=ia3"]
    cfg.ia3.learning_rate = 0.5
    assert cfg.overrides_since(saved) == ["method=ia3", "ia3.learning_rate=0.5"]
