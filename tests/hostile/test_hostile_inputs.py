"""Hostile input, as a user (or whoever wrote the file they were sent) can make it: every case
ends in one clear line and exit 2, within bounds of time and memory, runs no foreign code, and
leaves every file byte-identical (``docs/trust-inputs.md`` lists each expectation and its test)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_cli import ROOT


def snapshot(*folders: Path, skip: Path | None = None) -> dict[str, bytes]:
    """Every file under ``folders`` (but ``skip``), by path: what "nothing else changed" compares."""
    out: dict[str, bytes] = {}
    for folder in folders:
        for path in sorted(Path(folder).rglob("*")):
            if skip is not None and path.is_relative_to(skip):
                continue
            if path.is_file():
                out[str(path)] = path.read_bytes()
    return out


@pytest.fixture
def home(tmp_path) -> Path:
    """A HOME (and every cache under it) of the test's own, to see what a command writes there."""
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


def igrag(*args: str, cwd: Path, home: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    """``igrag ARGS`` with HOME and every cache under ``home`` (nothing reaches the real HOME)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("IGRAG_", "XDG_", "HF_"))}
    full = {**clean, "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache"), "HF_HOME": str(home / "hf"),
            "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "IGRAG_LOG_DIR": str(home / "logs"),
            "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "igrag_gui", *args], cwd=cwd, env=full, capture_output=True,
                          text=True, timeout=300)


def refused(result: subprocess.CompletedProcess) -> str:
    """The one ``igrag: error:`` line of a refusal (exit 2, nothing else on stderr)."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("igrag: error: "), result.stderr
    return lines[0][len("igrag: error: "):]


# ------------------------------------------------------------------------------ YAML
def alias_bomb() -> str:
    """Nine copies of nine copies ... eight levels: 43 million values from a few hundred bytes."""
    lines = ['a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for prev, name in zip("abcdefg", "bcdefgh"):
        lines.append(f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]")
    return "model:\n  base_model_path: x\n" + "\n".join(lines) + "\n"


@pytest.mark.parametrize("command", ["validate", "params", "train"])
def test_a_yaml_alias_bomb_is_refused_at_once_and_no_cache_is_written(tmp_path, home, command):
    config = tmp_path / "bomb.yaml"
    config.write_text(alias_bomb())
    assert len(config.read_bytes()) < 500
    before = snapshot(tmp_path)
    result = igrag(command, str(config), cwd=tmp_path, home=home)
    assert refused(result) == (f"{config}: its aliases (*name) expand to more than 100,000 values; a config "
                               f"holds a few hundred, so it is refused: write the values out or remove the aliases")
    assert snapshot(tmp_path) == before  # no parse cache under HOME, nothing beside the config


def test_a_yaml_alias_loop_is_refused(tmp_path, home):
    config = tmp_path / "loop.yaml"
    config.write_text("model:\n  base_model_path: x\nloop: &a [1, *a]\n")
    before = snapshot(tmp_path)
    result = igrag("validate", str(config), cwd=tmp_path, home=home)
    assert refused(result) == f"{config}:3: a YAML alias refers to a value that contains it (a loop); remove the alias"
    assert snapshot(tmp_path) == before


def test_a_huge_config_is_refused_before_it_is_parsed(tmp_path, home):
    config = tmp_path / "huge.yaml"
    config.write_text("model:\n  base_model_path: x\n# " + "x" * (1024 * 1024) + "\n")
    size = config.stat().st_size
    before = snapshot(tmp_path)
    result = igrag("validate", str(config), cwd=tmp_path, home=home)
    assert refused(result) == (f"{config}: the file is {size:,} bytes; a YAML file here is a few kilobytes, so it "
                               f"is refused (the limit is 1,048,576 bytes)")
    assert snapshot(tmp_path) == before


def test_a_sweep_file_alias_bomb_is_refused(tmp_path, home):
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(alias_bomb().replace("model:\n  base_model_path: x\n", "config: run.yaml\n"))
    before = snapshot(tmp_path)
    result = igrag("sweep", str(sweep), cwd=tmp_path, home=home)
    assert refused(result) == (f"{sweep}: its aliases (*name) expand to more than 100,000 values; a config "
                               f"holds a few hundred, so it is refused: write the values out or remove the aliases")
    assert snapshot(tmp_path) == before


def test_the_parse_cache_never_keeps_an_expansion_larger_than_its_limit(tmp_path, monkeypatch):
    """Aliases below the refusal limit still expand; what the cache keeps stays small."""
    from igrag_gui.core.config import parse_cache

    monkeypatch.setenv("IGRAG_CONFIG_CACHE", str(tmp_path / "cache.json"))
    text = "a: &a [" + ", ".join(['"' + "y" * 60 + '"'] * 50) + "]\nb: [" + ", ".join(["*a"] * 40) + "]\n"
    import yaml

    data = yaml.safe_load(text)
    assert parse_cache.store(text, data, []) is False
    assert not (tmp_path / "cache.json").exists()
    assert parse_cache.store("a: 1\n", {"a": 1}, []) is True
    assert parse_cache.lookup("a: 1\n") == ({"a": 1}, [])


# ------------------------------------------------------------------------------ a model folder's own code
def model_with_own_code(tmp_path: Path) -> tuple[Path, Path]:
    """A model folder whose config.json maps its classes to ``evil_code.py``, which writes a mark
    file the moment it is imported; returns (folder, mark)."""
    import json

    folder, mark = tmp_path / "evil-model", tmp_path / "CODE-RAN"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({
        "model_type": "evilgpt", "architectures": ["EvilModel"], "n_embd": 32, "n_layer": 2, "n_head": 2,
        "vocab_size": 100, "auto_map": {"AutoConfig": "evil_code.EvilConfig",
                                        "AutoModelForCausalLM": "evil_code.EvilModel"}}))
    (folder / "evil_code.py").write_text(
        f"import pathlib\npathlib.Path({str(mark)!r}).write_text('ran')\n"
        "from transformers import GPT2Config, GPT2LMHeadModel\n"
        "class EvilConfig(GPT2Config):\n    model_type = 'evilgpt'\n"
        "class EvilModel(GPT2LMHeadModel):\n    config_class = EvilConfig\n")
    return folder, mark


OWN_CODE = ("model '{folder}' is defined by its own Python code (auto_map in its config.json), and checking, "
            "counting and inspecting never run it, so it is not described here; only training (and evaluation) "
            "run it, as model.trust_remote_code asks")


def test_validate_never_runs_a_model_folders_code(tmp_path, home, make_config):
    folder, mark = model_with_own_code(tmp_path)
    config = make_config(model={"base_model_path": str(folder), "type": "causal", "trust_remote_code": True},
                         lora={"target_modules": ["c_attn"]})
    before = snapshot(tmp_path)
    result = igrag("validate", str(config), cwd=tmp_path, home=home)
    assert result.returncode == 0, result.stderr
    assert result.stderr == f"igrag: warning: {OWN_CODE.format(folder=folder)}\n"
    assert result.stdout.splitlines()[0] == f"{config}: ok (model modules not checked, method lora)"
    assert not mark.exists()
    assert snapshot(tmp_path, skip=home / ".cache") == before  # the config's parse cache aside


def test_params_refuses_to_count_a_model_it_would_have_to_run(tmp_path, home, make_config):
    folder, mark = model_with_own_code(tmp_path)
    config = make_config(model={"base_model_path": str(folder), "type": "causal", "trust_remote_code": True},
                         lora={"target_modules": ["c_attn"]})
    before = snapshot(tmp_path)
    result = igrag("params", str(config), cwd=tmp_path, home=home)
    assert refused(result) == f"{config}:2: model.base_model_path: {OWN_CODE.format(folder=folder)}"
    assert not mark.exists()
    assert snapshot(tmp_path, skip=home / ".cache") == before


def test_without_trust_the_code_is_not_run_and_the_user_is_told_how(tmp_path, home, make_config):
    folder, mark = model_with_own_code(tmp_path)
    config = make_config(model={"base_model_path": str(folder), "type": "causal"},
                         lora={"target_modules": ["c_attn"]})
    result = igrag("validate", str(config), cwd=tmp_path, home=home)
    message = refused(result)
    assert message.startswith(f"{config}:2: model.base_model_path: model '{folder}' needs its own Python code to load; "
                              f"if you trust it, set model.trust_remote_code to true (only training and generation "
                              f"run it)"), message
    assert not mark.exists()


def test_counting_data_and_the_train_tab_never_run_a_model_folders_code(tmp_path, make_config, monkeypatch):
    """The Train tab describes the model (and counts the data's tokens) in the window's process."""
    from igrag_gui.core.config import load_config
    from igrag_gui.core.data.summary import summarize
    from igrag_gui.ui.train.param_stats import count_parameters_of
    from igrag_gui.ui.train.tab import _describe

    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    folder, mark = model_with_own_code(tmp_path)
    cfg, _ = load_config(make_config(model={"base_model_path": str(folder), "type": "causal",
                                            "trust_remote_code": True}, lora={"target_modules": ["c_attn"]}))
    assert _describe(cfg) == OWN_CODE.format(folder=folder)
    from igrag_gui.core.errors import UserError

    with pytest.raises(UserError) as counted:
        count_parameters_of(cfg)
    assert counted.value.lines == [OWN_CODE.format(folder=folder)]
    summary = summarize(cfg)
    assert summary.count == 1 and not summary.exact  # no tokenizer: lines counted, the code not run
    assert not mark.exists()


# ------------------------------------------------------------------------------ sweeps
SWEEP_FIXTURES = ROOT / "tests" / "fixtures" / "sweep"


def sweep_file(where: Path, **keys) -> Path:
    import yaml

    doc = {"config": str(SWEEP_FIXTURES / "tiny.yaml"), "space": {"lora.r": [2, 4]}, "sampler": "grid",
           "trials": 2, "metric": "bleu4", **keys}
    path = where / "sweep.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


@pytest.mark.slow
def test_a_sweep_with_an_output_dir_set_still_gives_each_trial_its_own_folder(tmp_path, home):
    import csv

    path = sweep_file(tmp_path)
    shared = tmp_path / "one-folder"
    result = igrag("sweep", str(path), "--set", f"training.output_dir={shared}", cwd=tmp_path, home=home,
                   env={"OMP_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "sweep"
    assert result.stderr.splitlines()[0] == (
        f"igrag: warning: --set training.output_dir={shared} is not used: each trial trains in its own folder "
        f"under {folder} (trial-000, trial-001, ...); set folder: in sweep.yaml to put them elsewhere")
    assert not shared.exists()
    rows = list(csv.DictReader((folder / "sweep.csv").open()))
    assert sorted(r["run"] for r in rows) == [str(folder / "trial-000"), str(folder / "trial-001")]
    for row in rows:  # the ranking names folders that exist, each holding its own trial's adapter
        assert (Path(row["run"]) / "adapter_model.safetensors").is_file()
    import yaml

    assert {yaml.safe_load((Path(r["run"]) / "run.yaml").read_text())["lora"]["r"] for r in rows} == {2, 4}


def test_a_sweep_cannot_vary_the_output_dir(tmp_path, home):
    path = sweep_file(tmp_path, space={"training.output_dir": ["a", "b"]})
    before = snapshot(tmp_path)
    result = igrag("sweep", str(path), cwd=tmp_path, home=home)
    assert refused(result) == (f"{path}: space: 'training.output_dir' cannot be varied: each trial trains in its "
                               f"own folder under the sweep's folder (set folder: to move them)")
    assert snapshot(tmp_path, skip=home / ".cache") == before  # the base config's parse cache aside


def test_a_storage_password_never_reaches_the_terminal_the_log_or_sweep_json(tmp_path, home):
    path = sweep_file(tmp_path, storage="nosuchdb://bob:hunter2@dbhost/sweeps")
    result = igrag("sweep", str(path), cwd=tmp_path, home=home)
    message = refused(result)
    assert message.startswith("storage 'nosuchdb://bob:***@dbhost/sweeps' cannot be opened ("), message
    everything = b"".join(snapshot(tmp_path).values()).decode("utf-8", "replace") + result.stdout + result.stderr
    assert "hunter2" not in everything.replace(path.read_text(), "")  # only the user's own sweep file holds it


def test_sweep_events_and_the_marker_mask_the_password(tmp_path):
    from igrag_gui.core.experiments import sweep as sweep_mod
    from igrag_gui.core.experiments.sweep_spec import Sweep

    spec = Sweep(source=tmp_path / "s.yaml", config=tmp_path / "c.yaml", space={"lora.r": [2]},
                 storage="postgresql://bob:hunter2@db.example:5432/sweeps", folder=tmp_path / "sweep", study="s")
    sweep_mod._write_marker(spec)
    assert "hunter2" not in (tmp_path / "sweep" / "sweep.json").read_text()
    assert '"storage": "postgresql://bob:***@db.example:5432/sweeps"' in (tmp_path / "sweep" / "sweep.json").read_text()


# ------------------------------------------------------------------------------ nested JSON, damaged files, full disks
DEEP = "[" * 100_000 + "]" * 100_000


def test_a_data_row_nested_too_deeply_is_one_line(tmp_path, home):
    import json

    from igrag_gui.core.data.records import read_examples
    from igrag_gui.core.errors import UserError

    data = tmp_path / "train.jsonl"
    data.write_text(json.dumps({"prompt": "p", "caption": "c."}) + "\n" + '{"prompt": ' + DEEP + "}\n")
    before = snapshot(tmp_path)
    with pytest.raises(UserError) as raised:
        read_examples(data)
    assert raised.value.lines == [f"{data}:2: not valid JSON (nested too deeply (more than about 900 levels of "
                                  f"[ or {{) at column 911); each line must be one JSON object"]
    assert snapshot(tmp_path) == before


def test_an_adapter_config_nested_too_deeply_is_one_line(tmp_path, home):
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text('{"peft_type": ' + DEEP + "}")
    before = snapshot(tmp_path)
    result = igrag("inspect", str(adapter), cwd=tmp_path, home=home)
    message = refused(result)
    assert "this is a bug" not in message and message.startswith(f"{adapter / 'adapter_config.json'}"), message
    assert snapshot(tmp_path) == before


def test_a_model_config_json_nested_too_deeply_is_one_line(tmp_path, home, make_config):
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text('{"model_type": ' + DEEP + "}")
    config = make_config(model={"base_model_path": str(model)})
    before = snapshot(tmp_path)
    result = igrag("validate", str(config), cwd=tmp_path, home=home)
    assert refused(result) == (f"{config}:2: model.base_model_path: '{model / 'config.json'}' is not valid JSON "
                               f"(nested too deeply (more than about 900 levels of [ or {{): line 1 column 915 "
                               f"(char 914)); a model's config.json must be one JSON object")
    assert snapshot(tmp_path, skip=home / ".cache") == before


def test_an_event_line_nested_too_deeply_is_malformed_json_not_a_crash():
    import json

    from igrag_gui.core.training.events import event_from_json

    with pytest.raises(json.JSONDecodeError):
        event_from_json('{"event": ' + DEEP + "}")


def test_resuming_from_a_truncated_checkpoint_is_refused_in_one_line(tmp_path):
    """A checkpoint cut short (a copy that stopped, a full disk) is refused before training starts."""
    import shutil

    from igrag_gui.core.training.checkpoints import check_checkpoint_files
    from igrag_gui.core.errors import UserError
    from igrag_gui.resources import demo_model_path

    checkpoint = tmp_path / "run" / "checkpoint-2"
    checkpoint.mkdir(parents=True)
    weights = sorted(Path(demo_model_path()).glob("*.safetensors"))[0]
    shutil.copy(weights, checkpoint / "adapter_model.safetensors")
    check_checkpoint_files(checkpoint)  # whole: accepted
    with open(checkpoint / "adapter_model.safetensors", "r+b") as fh:
        fh.truncate(weights.stat().st_size - 10)
    before = snapshot(tmp_path)
    with pytest.raises(UserError) as raised:
        check_checkpoint_files(checkpoint)
    assert raised.value.lines[0].startswith(f"cannot resume from '{checkpoint}': its adapter_model.safetensors "
                                            f"is damaged or cut short (corrupt safetensors file: tensor '")
    assert raised.value.lines[0].endswith("-byte data section (truncated or corrupt file)); resume from an earlier "
                                          "checkpoint (--resume PATH) or start a new run in another output_dir")
    assert snapshot(tmp_path) == before  # the check reads, never repairs or removes
    (checkpoint / "adapter_model.safetensors").unlink()
    import torch

    torch.save({"step": 2}, checkpoint / "optimizer.pt")
    check_checkpoint_files(checkpoint)
    data = (checkpoint / "optimizer.pt").read_bytes()
    (checkpoint / "optimizer.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(UserError) as raised:
        check_checkpoint_files(checkpoint)
    assert raised.value.lines == [f"cannot resume from '{checkpoint}': its optimizer.pt is damaged or cut short "
                                  f"(not a complete torch archive); resume from an earlier checkpoint "
                                  f"(--resume PATH) or start a new run in another output_dir"]
    assert (checkpoint / "optimizer.pt").read_bytes() == data[: len(data) // 2]  # left as the user had it


def test_a_full_disk_is_a_user_error_not_a_bug(tmp_path, monkeypatch, capsys):
    """ENOSPC raised from a write deep inside a command (labelling a run) ends as one line and
    exit 2, where it was "internal error ... this is a bug"."""
    import errno

    from igrag_gui.cli import main as cli_main

    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.jsonl").write_text('{"event": "started"}\n')
    real_write = Path.write_text

    def full_disk(self, *args, **kwargs):
        if self.is_relative_to(tmp_path):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
        return real_write(self, *args, **kwargs)

    monkeypatch.setenv("IGRAG_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setattr(Path, "write_text", full_disk)
    before = snapshot(tmp_path)
    code = cli_main.main(["runs", "label", str(run), "r8 baseline"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err == (f"igrag: error: cannot write '{run / 'label.txt'}': no space is left on the disk; free some "
                   f"space (or choose a folder on another disk) and run again\n")
    assert snapshot(tmp_path) == before  # and no log of a "bug"


def test_user_caused_os_errors_are_user_errors_and_bugs_stay_bugs():
    import errno

    from igrag_gui.core.errors import as_user_error

    full = as_user_error(OSError(errno.ENOSPC, "No space left on device", "/data/run/checkpoint-4/optimizer.pt"))
    assert full.lines == ["cannot write '/data/run/checkpoint-4/optimizer.pt': no space is left on the disk; free "
                          "some space (or choose a folder on another disk) and run again"]
    quota = as_user_error(OSError(errno.EDQUOT, "Disk quota exceeded"))
    assert quota.lines == ["cannot write: the disk quota is used up; free some space (or choose a folder on "
                           "another disk) and run again"]
    read_only = as_user_error(OSError(errno.EROFS, "Read-only file system", "/mnt/out"))
    assert read_only.lines == ["cannot write '/mnt/out': the file system is read-only; choose a folder you can "
                               "write to"]
    denied = as_user_error(PermissionError(errno.EACCES, "Permission denied", "/srv/shared/runs"))
    assert denied.lines == ["permission denied for '/srv/shared/runs'; check its permissions, or choose a folder "
                            "you can write to"]
    from safetensors import SafetensorError

    damaged = as_user_error(SafetensorError("Error while deserializing header: invalid header length"))
    assert damaged.lines == ["a .safetensors weights file is damaged or cut short (Error while deserializing "
                             "header: invalid header length); copy it again, or save it again (a checkpoint: "
                             "resume from an earlier one)"]
    assert as_user_error(KeyError("x")) is None and as_user_error(OSError(errno.EBADF, "bad fd")) is None


# ------------------------------------------------------------------------------ regular expressions
def test_a_catastrophic_target_modules_pattern_is_refused_before_peft_runs_it(tmp_path, home):
    """``(.|.)*z`` against FLAN-T5's module names took over a minute in PEFT (``igrag params``)."""
    config = tmp_path / "ia3.yaml"
    (tmp_path / "train.jsonl").write_text('{"prompt": "p", "caption": "c."}\n')
    config.write_text(f"method: ia3\nmodel: {{base_model_path: {ROOT / 'tests' / 'fixtures' / 'flan-t5-base'}, "
                      f"type: seq2seq}}\ndata: {{train_path: train.jsonl, val_path: train.jsonl}}\ntraining: {{output_dir: out}}\n"
                      f"ia3: {{target_modules: '(.|.)*z', feedforward_modules: []}}\n")
    before = snapshot(tmp_path)
    for command in ("params", "train"):
        result = igrag(command, str(config), cwd=tmp_path, home=home)
        assert refused(result) == (f"{config}:5: ia3.target_modules: the pattern '(.|.)*z' repeats a group that "
                                   f"itself repeats (it could take exponential time), and PEFT matches it against "
                                   f"every module name, so it is refused; list the module names instead, e.g. [q, v]")
    assert snapshot(tmp_path, skip=home / ".cache") == before


# ------------------------------------------------------------------------------ the log file
def test_the_log_file_rotates_and_masks_passwords(tmp_path, monkeypatch):
    from igrag_gui.core import logs

    monkeypatch.setenv("IGRAG_LOG_DIR", str(tmp_path))
    for _ in range(12):
        try:
            raise ValueError("postgresql://bob:hunter2@db/sweeps " + "x" * (logs.MAX_BYTES // 4))
        except ValueError as exc:
            path = logs.log_exception(exc, context="test")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["igrag.log", "igrag.log.1", "igrag.log.2", "igrag.log.3"]
    assert all(p.stat().st_size <= logs.MAX_BYTES for p in tmp_path.iterdir())
    text = path.read_text()
    assert "postgresql://bob:***@db/sweeps" in text and "hunter2" not in text


def test_a_coco_file_nested_too_deeply_is_one_line_and_writes_nothing(tmp_path, home):
    coco = tmp_path / "captions.json"
    coco.write_text('{"annotations": ' + DEEP + "}")
    before = snapshot(tmp_path)
    result = igrag("data", "import", str(coco), "--out", str(tmp_path / "out.jsonl"), cwd=tmp_path, home=home)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [f"igrag: error: {coco}:1: not valid JSON (nested too deeply (more than "
                                          f"about 900 levels of [ or {{) at column 916)"]
    assert snapshot(tmp_path) == before
