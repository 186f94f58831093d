"""``igrag train`` as a process: progress, Ctrl+C, SIGKILL, resume, two processes."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from igrag_gui.resources import demo_config_path

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def env() -> dict:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"}


def train_args(out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "igrag_gui", "train", str(demo_config_path()),
            "--set", f"training.output_dir={out}", "--set", "training.eval_strategy=no", *extra]


def wait_for(predicate, proc: subprocess.Popen, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if proc.poll() is not None:
            raise AssertionError(f"training ended early: {proc.returncode} {proc.stderr.read() if proc.stderr else ''}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("timed out")
        time.sleep(0.05)


def test_ctrl_c_saves_a_resumable_checkpoint_and_exits_0(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.Popen(train_args(out, "--max-steps", "200", "--events", str(tmp_path / "events.jsonl")),
                            cwd=ROOT, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    events = tmp_path / "events.jsonl"
    wait_for(lambda: events.exists() and '"event": "log"' in events.read_text(), proc)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr
    closing = [json.loads(line) for line in events.read_text().splitlines()][-1]
    step = closing["step"]  # the value from the run's own record, not parsed out of the text
    assert closing["event"] == "finished" and closing["stopped"] is True
    assert f"Stopped at step {step}; resumable checkpoint: {out / f'checkpoint-{step}'}" in stderr.splitlines()
    assert "resume with: igrag train CONFIG --resume" in stderr
    assert (out / f"checkpoint-{step}" / "trainer_state.json").is_file()


def test_a_stop_line_on_stdin_stops_like_ctrl_c(tmp_path):
    """The window and a sweep stop their child so: 'stop' on stdin, no signal."""
    out = tmp_path / "run"
    proc = subprocess.Popen(train_args(out, "--max-steps", "200", "--events", "-"), cwd=ROOT, env=env(),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdin is not None
    for line in proc.stdout:
        if json.loads(line)["event"] == "log":
            break
    proc.stdin.write("stop\n")
    proc.stdin.flush()
    rest, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    closing = [json.loads(line) for line in rest.splitlines()][-1]
    assert closing["event"] == "finished" and closing["stopped"] is True and closing["step"] < 200
    assert closing["checkpoint"] == str(out / f"checkpoint-{closing['step']}")
    assert (out / f"checkpoint-{closing['step']}" / "trainer_state.json").is_file()
    # the parent words the events itself; stderr adds only the step lines, not each event again
    lines = stderr.splitlines()
    assert any(line.startswith("step 1/200 [") for line in lines)
    assert not any(line.startswith(("training: ", "Stopped at step", "resume with", "train.jsonl")) for line in lines)


def test_sigkill_mid_run_leaves_a_loadable_checkpoint_that_resume_continues(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.Popen(train_args(out, "--max-steps", "400", "--set", "training.save_strategy=steps",
                                       "--set", "training.save_steps=2", "--set", "training.save_total_limit=2"),
                            cwd=ROOT, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: (out / "checkpoint-4").is_dir(), proc)
    time.sleep(0.3)  # land somewhere inside the next steps or saves
    proc.kill()
    proc.wait(timeout=30)
    from peft import PeftModel
    from transformers import AutoModelForSeq2SeqLM

    from igrag_gui.core.training.checkpoints import latest_checkpoint
    from igrag_gui.resources import demo_model_path

    last = latest_checkpoint(out)
    assert last is not None and int(last.name.split("-")[1]) >= 4
    PeftModel.from_pretrained(AutoModelForSeq2SeqLM.from_pretrained(demo_model_path()), str(last))
    step = int(last.name.split("-")[1])
    resumed = subprocess.run(train_args(out, "--max-steps", str(step + 2), "--resume"), cwd=ROOT, env=env(),
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming at step {step}" in resumed.stderr
    assert (out / "adapter_model.safetensors").is_file()


def free_port() -> str:
    """A port nobody listens on now: two test runs on one machine must not meet on a fixed one."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return str(sock.getsockname()[1])


def test_two_cpu_processes_with_torchrun(tmp_path):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", free_port(),
           "-m", "igrag_gui", "train", str(demo_config_path()), "--set", f"training.output_dir={out}",
           "--set", "training.eval_strategy=steps", "--set", "training.eval_steps=4",
           "--set", "training.save_strategy=steps", "--set", "training.save_steps=4",
           "--set", "training.logging_steps=1", "--max-steps", "4"]
    cache = tmp_path / "cache"
    result = subprocess.run(cmd, cwd=ROOT, env={**env(), "IGRAG_DATA_CACHE": str(cache)}, capture_output=True,
                            text=True, timeout=400)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stderr.count("training: ") == 1  # only rank 0 reports
    assert result.stderr.count("train.jsonl: 1,000 rows tokenized in ") == 1  # rank 0 prepared, rank 1 waited
    assert len([p for p in cache.iterdir() if not p.name.startswith(".")]) == 1
    assert "on 2 cpu processes, fp32" in result.stderr
    metrics = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [m["step"] for m in metrics if m["event"] == "log"] == [1, 2, 3, 4]
    evals = [m for m in metrics if m["event"] == "eval"]
    assert len(evals) == 1  # captions generated on both ranks, gathered, scored once per image:
    assert {"eval_bleu4", "eval_cider"} <= set(evals[0]) and 0 <= evals[0]["eval_bleu4"] <= 1
    assert (out / "checkpoint-4" / "adapter_model.safetensors").is_file()
    assert (out / "adapter_model.safetensors").is_file()
