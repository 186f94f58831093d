"""Reliability, sized for CI: the training child killed at random moments, killed while it saves,
and many start/stop cycles from the Train tab without leaks.

Random moments come from a seeded generator (printed on failure) so a failure can be replayed.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QThreadPool

from igrag_gui.core.training.checkpoints import latest_checkpoint, list_checkpoints
from igrag_gui.resources import demo_config_path
from tests.ui.test_train_tab import LONG, set_output

ROOT = Path(__file__).resolve().parents[2]
SEED = int(os.environ.get("IGRAG_RELIABILITY_SEED", "20261129"))


def adapter_loads(folder: Path) -> None:
    """The checkpoint's adapter is complete: its safetensors file parses and matches its config."""
    from safetensors import safe_open

    config = json.loads((folder / "adapter_config.json").read_text())
    with safe_open(str(folder / "adapter_model.safetensors"), framework="pt") as f:
        shapes = {k: f.get_slice(k).get_shape() for k in f.keys()}
    ranks = {shape[0] for name, shape in shapes.items() if "lora_A" in name}
    assert ranks == {config["r"]}, (folder, ranks)
    assert (folder / "trainer_state.json").is_file()


def test_ten_kills_at_random_moments_each_resumed_from_the_last_checkpoint(window, qtbot, tmp_path):
    rng = random.Random(SEED)
    tab = window.train_tab
    run = tmp_path / "run"
    set_output(tab, run, training__max_steps=2000, training__eval_strategy="no",
               training__save_strategy="steps", training__save_steps=2, training__logging_steps=1,
               training__save_total_limit=3)
    steps_seen = []
    for kill in range(10):
        before = latest_checkpoint(run)
        with qtbot.waitSignal(tab.running_changed, timeout=5000):
            qtbot.mouseClick(tab.resume_button if before else tab.start_button, Qt.MouseButton.LeftButton)
        # wait for a new checkpoint, then a random extra moment (possibly mid-save of the next one)
        qtbot.waitUntil(lambda: latest_checkpoint(run) not in (None, before), timeout=LONG)
        qtbot.wait(rng.randint(0, 900))
        with qtbot.waitSignal(tab.running_changed, timeout=60_000):
            os.kill(tab.runner.child_pid(), signal.SIGKILL)
        text = tab.outcome_label.text()
        assert text.startswith("The training process was killed by signal 9"), (SEED, kill, text)
        assert window.isVisible() and tab.resume_button.isEnabled(), (SEED, kill)
        last = latest_checkpoint(run)
        adapter_loads(last)
        step = int(last.name.split("-")[1])
        assert not steps_seen or step >= steps_seen[-1], (SEED, kill, steps_seen, step)
        steps_seen.append(step)
    assert steps_seen[-1] > steps_seen[0]  # each resume continued from where the last kill left it


def test_a_kill_during_checkpoint_saves_never_breaks_the_previous_checkpoint(tmp_path):
    """Saving every step, killed at random moments: whatever checkpoint folders exist are
    complete (each save is written aside and renamed into place), and resume works."""
    rng = random.Random(SEED + 1)
    run = tmp_path / "run"
    base = [sys.executable, "-m", "igrag_gui", "train", str(demo_config_path()), "--events", "-",
            "--set", f"training.output_dir={run}", "--set", "training.eval_strategy=no",
            "--set", "training.save_strategy=steps", "--set", "training.save_steps=1",
            "--set", "training.save_total_limit=4", "--set", "training.logging_steps=1", "--max-steps", "2000"]
    for attempt in range(3):
        args = base + (["--resume"] if latest_checkpoint(run) else [])
        proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        saves = 0
        for line in proc.stdout:  # kill a random number of saves in, mid-step or mid-save
            if '"event": "checkpoint"' in line:
                saves += 1
                if saves >= 2:
                    time.sleep(rng.uniform(0.0, 0.3))
                    break
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        proc.stdout.close()
        assert saves >= 2, (SEED, attempt, "the run (or its resume) did not get to save twice")
        checkpoints = list_checkpoints(run)
        assert checkpoints, (SEED, attempt)
        for folder in checkpoints:  # every folder that looks like a checkpoint is a whole one
            adapter_loads(folder)


def _rss_mb() -> float:
    with open(f"/proc/{os.getpid()}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _open_fds() -> int:
    return len(os.listdir(f"/proc/{os.getpid()}/fd"))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_twenty_start_stop_cycles_leave_nothing_behind(window, qtbot, tmp_path):
    tab = window.train_tab
    set_output(tab, tmp_path / "run", training__max_steps=2000, training__eval_strategy="no",
               training__save_strategy="no", training__logging_steps=1)
    # one warm-up cycle: the first run imports and caches what every later one reuses
    cycle_rss = []
    fds_before = None
    for cycle in range(21):
        tab.form.editor("training.output_dir").setText(str(tmp_path / f"run-{cycle}"))  # a new run: a new folder
        with qtbot.waitSignal(tab.running_changed, timeout=5000):
            qtbot.mouseClick(tab.start_button, Qt.MouseButton.LeftButton)
        if cycle % 2:
            qtbot.waitUntil(lambda: tab.live.point_count() >= 1 or not tab.is_running(), timeout=LONG)
        with qtbot.waitSignal(tab.running_changed, timeout=LONG):
            qtbot.mouseClick(tab.stop_button, Qt.MouseButton.LeftButton)
        QThreadPool.globalInstance().waitForDone(60_000)
        qtbot.wait(100)
        assert not tab.is_running() and tab.runner is None
        if cycle == 0:
            fds_before = _open_fds()
            rss_before = _rss_mb()
        cycle_rss.append(_rss_mb())
    growth = cycle_rss[-1] - rss_before
    assert _open_fds() <= fds_before + 2, (fds_before, _open_fds())
    assert growth < 100, f"resident memory grew {growth:.0f} MB over 20 cycles: {cycle_rss}"
