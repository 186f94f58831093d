"""The ``igrag`` command as a user runs it: exit codes, stdout, one-line errors on stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from igrag_gui import __version__
from tests.conftest import FLAN_T5_BASE

ROOT = Path(__file__).resolve().parents[2]


def igrag(*args: str, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "igrag_gui", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=300)


def assert_user_error(result: subprocess.CompletedProcess) -> list[str]:
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert all(line.startswith("igrag: error: ") for line in lines), lines
    return lines


def test_version():
    result = igrag("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"igrag {__version__}"


@pytest.mark.parametrize("command", ["params", "validate"])
def test_subcommand_help(command):
    result = igrag(command, "--help")
    assert result.returncode == 0
    assert "--set SECTION.KEY=VALUE" in result.stdout


def test_params_json_flan_t5_base_from_config_alone():
    result = igrag("params", "configs/lora_config.yaml", "--json",
                   "--set", f"model.base_model_path={FLAN_T5_BASE}")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["trainable"], data["total"], data["modules"]) == (1_769_472, 249_347_328, 72)
    assert round(data["percent"], 2) == 0.71
    assert result.stderr == ""


def test_params_table():
    result = igrag("params", "configs/lora_config.yaml", "--set", f"model.base_model_path={FLAN_T5_BASE}")
    assert result.returncode == 0
    assert "trainable        1,769,472" in result.stdout
    assert "total          249,347,328" in result.stdout
    assert "0.71%" in result.stdout


def test_params_needs_a_model_the_machine_has():
    result = igrag("params", "configs/lora_config.yaml", env={"HF_HOME": "/nonexistent-hf-home"})
    lines = assert_user_error(result)
    assert lines == [
        "igrag: error: configs/lora_config.yaml:4: model.base_model_path: model 'google/flan-t5-base' "
        "is not in the local Hugging Face cache and the hub cannot be reached; on a machine with "
        "internet run `hf download google/flan-t5-base` (it fills ~/.cache/huggingface), or set "
        "model.base_model_path to a local model folder"]


def test_missing_config_file():
    lines = assert_user_error(igrag("params", "nope.yaml"))
    assert lines == ["igrag: error: config file 'nope.yaml' does not exist; check the path, or start "
                     "from configs/lora_config.yaml"]


def test_every_problem_at_once_one_line_each(make_config, tmp_path):
    path = make_config(lora={"r": "sixteen", "lora_alpha": 0, "dropout": 1.5, "target_modules": ["q_proj"]},
                       training={"fp16": True, "bf16": True, "train_batch_size": 0},
                       data={"train_path": "missing.jsonl"})
    lines = assert_user_error(igrag("validate", str(path)))
    text = "\n".join(lines)
    for expected in ["lora.r: must be a whole number such as 16, got the text 'sixteen'",
                     "lora.lora_alpha: must be greater than 0, got 0",
                     "lora.dropout: must be at least 0 and below 1, got 1.5",
                     "lora.target_modules: the model has no module named 'q_proj'; did you mean 'q'?",
                     "training.bf16: fp16 and bf16 are both true",
                     "training.train_batch_size: must be at least 1, got 0",
                     "data.train_path: 'missing.jsonl' exists neither in the config's folder"]:
        assert expected in text, text
    assert len(lines) == 7


def test_yaml_error_has_line_and_column(make_config):
    path = make_config(raw="lora:\n  r: 16\n   alpha: 3\n")
    lines = assert_user_error(igrag("validate", str(path)))
    assert lines[0].startswith(f"igrag: error: {path}:3:") and "YAML syntax error" in lines[0]


def test_validate_ok_and_unknown_key_warning(make_config):
    path = make_config(lora={"typo_key": 1})
    result = igrag("validate", str(path))
    assert result.returncode == 0, result.stderr
    assert "ok (T5ForConditionalGeneration, seq2seq, method lora)" in result.stdout
    assert "igrag: warning: " in result.stderr and "unknown key 'lora.typo_key'" in result.stderr


def test_bad_set_override_is_a_user_error(make_config):
    lines = assert_user_error(igrag("params", str(make_config()), "--set", "lora.rank=4"))
    assert lines[0].startswith("igrag: error: --set lora.rank=4: section 'lora' has no key 'rank'")


def test_internal_error_exits_1_and_logs_traceback(monkeypatch, tmp_path, capsys):
    from igrag_gui.cli import main as cli_main
    from igrag_gui.cli import validate_cmd

    monkeypatch.setenv("IGRAG_LOG_DIR", str(tmp_path / "logs"))

    def broken(args):
        raise RuntimeError("something we did not expect")

    monkeypatch.setattr(validate_cmd, "run", broken)
    code = cli_main.main(["validate", "whatever.yaml"])
    err = capsys.readouterr().err
    log = tmp_path / "logs" / "igrag.log"
    assert code == 1
    assert err.strip() == (f"igrag: internal error: RuntimeError: something we did not expect "
                           f"(this is a bug; the traceback is in {log})")
    assert "Traceback" in log.read_text() and "something we did not expect" in log.read_text()


def test_unknown_subcommand_is_exit_2():
    result = igrag("fly")
    assert result.returncode == 2 and "Traceback" not in result.stderr
