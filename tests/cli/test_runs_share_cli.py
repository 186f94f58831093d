"""``igrag runs pack|unpack|list`` as a user types them: a pack written and restored into a run the
listing shows, and the refusals (zip slip, existing files, wrong arguments) as one line, exit 2."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from tests.cli.test_cli import assert_user_error, igrag

EVENTS = [
    {"event": "started", "trainable": 10, "total": 100, "percent": 10.0, "max_steps": 2, "num_train_examples": 4,
     "num_val_examples": 2, "effective_batch_size": 2, "output_dir": "RUN", "method": "lora"},
    {"event": "log", "step": 2, "max_steps": 2, "epoch": 1.0, "loss": 1.5, "learning_rate": 1e-3},
    {"event": "eval", "step": 2, "epoch": 1.0, "eval_loss": 1.25, "eval_bleu4": 0.5},
    {"event": "finished", "step": 2, "output_dir": "RUN", "seconds": 3.0},
]


def a_run(folder: Path) -> Path:
    """A run folder as the engine leaves it (adapter files standing in for a trained adapter)."""
    folder.mkdir(parents=True)
    (folder / "metrics.jsonl").write_text("".join(json.dumps(e).replace("RUN", str(folder)) + "\n" for e in EVENTS))
    (folder / "run.yaml").write_text(f"model:\n  base_model_path: google/flan-t5-small\ndata:\n  train_path: "
                                     f"{folder.parent}/train.jsonl\ntraining:\n  output_dir: {folder}\n")
    (folder / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": "google/flan-t5-small",
                                                            "peft_type": "LORA", "task_type": "SEQ_2_SEQ_LM"}))
    (folder / "adapter_model.safetensors").write_bytes(b"weights")
    return folder


def test_pack_then_unpack_lists_the_run(tmp_path):
    run = a_run(tmp_path / "runs" / "a")
    result = igrag("runs", "pack", str(run), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == f"packed {run} into a.zip"
    with zipfile.ZipFile(tmp_path / "a.zip") as zf:
        assert str(tmp_path) not in "".join(zf.read(n).decode() for n in zf.namelist())
    result = igrag("runs", "unpack", "a.zip", "--into", "shared/a", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    listed = json.loads(igrag("runs", "list", "shared", "--json", cwd=tmp_path).stdout)["runs"]
    assert [(Path(r["run"]).name, r["status"], r["metrics"]["bleu4"]["best"]) for r in listed] == [("a", "finished", 0.5)]
    lines = assert_user_error(igrag("runs", "unpack", "a.zip", "--into", "shared/a", cwd=tmp_path))
    assert lines == [f"igrag: error: '{Path('shared/a')}' already exists and is not empty; unpack --into a new "
                     f"folder (nothing was unpacked)"]


def test_a_zip_slip_pack_is_refused_with_one_line(tmp_path):
    with zipfile.ZipFile(tmp_path / "evil.zip", "w") as zf:
        zf.writestr("metrics.jsonl", "{}\n")
        zf.writestr("../../escaped.txt", "x")
    lines = assert_user_error(igrag("runs", "unpack", "evil.zip", cwd=tmp_path))
    assert lines == ["igrag: error: 'evil.zip' holds an unsafe path '../../escaped.txt' (it would be written "
                     "outside the folder it unpacks into); nothing was unpacked"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evil.zip"]
    assert not (tmp_path.parent / "escaped.txt").exists()


def test_pack_and_unpack_take_one_argument(tmp_path):
    assert assert_user_error(igrag("runs", "pack", cwd=tmp_path)) == [
        "igrag: error: runs pack takes one run folder, e.g. igrag runs pack runs/a --out a.zip"]
    assert assert_user_error(igrag("runs", "unpack", "a.zip", "b.zip", cwd=tmp_path)) == [
        "igrag: error: runs unpack takes one zip, e.g. igrag runs unpack a.zip --into runs/a"]


def test_export_tb_writes_event_files_for_each_run_and_refuses_a_second_time(tmp_path):
    runs = [a_run(tmp_path / "runs" / name) for name in ("a", "b")]
    result = igrag("runs", "export-tb", *map(str, runs), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines() == [f"wrote TensorBoard events to {r / 'tensorboard'}" for r in runs]
    assert all(any(p.name.startswith("events.out.tfevents") for p in (r / "tensorboard").iterdir()) for r in runs)
    assert assert_user_error(igrag("runs", "export-tb", str(runs[1]), cwd=tmp_path)) == [
        f"igrag: error: run '{runs[1]}' already has TensorBoard event files in {runs[1] / 'tensorboard'}; nothing "
        f"was written (delete that folder to export again)"]
