"""Ranks and sweep trials the user cannot see: a heartbeat that cannot be written is told, a trial
requeued before its first checkpoint starts again in its folder, a rank never waits forever for
another, and ranks end with their launcher (docs/trust-ranks.md)."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

from igrag_gui.core.errors import UserError
from igrag_gui.core.task_state import TaskState
from igrag_gui.resources import demo_config_path
from tests.cli.test_cli import assert_user_error, igrag
from tests.cli.test_sweep_cli import TINY, env

ROOT = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------------------------- sweeps
def _study(tmp_path: Path, **keys):
    from igrag_gui.core.experiments.sweep import open_study
    from igrag_gui.core.experiments.sweep_spec import load_sweep

    doc = {"config": str(TINY), "space": {"lora.r": [2]}, "sampler": "grid", "metric": "bleu4", "trials": 1, **keys}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc))
    sweep = load_sweep(path)
    study, storage = open_study(sweep, resume=False)
    return path, sweep, study, storage


def test_a_heartbeat_that_cannot_be_recorded_is_told_once_and_retried_until_it_is(tmp_path, monkeypatch):
    # the database is locked by another client (a long write, a backup): the beat fails for real
    import optuna

    from igrag_gui.core.experiments import heartbeat as hb

    monkeypatch.setenv("IGRAG_SWEEP_HEARTBEAT", "1")
    _, sweep, study, _ = _study(tmp_path)
    db = tmp_path / "s" / "sweep.db"
    assert sweep.storage == f"sqlite:///{db}"
    storage = optuna.storages.RDBStorage(sweep.storage, engine_kwargs={"connect_args": {"timeout": 0.05}},
                                         **hb.storage_options(lambda s, t: None))
    trial = study.ask()
    trial_id = storage.get_trial_id_from_study_id_trial_number(storage.get_study_id_from_name(study.study_name), 0)
    lines: list[str] = []
    told = threading.Event()

    def warn(line: str) -> None:
        lines.append(line)
        told.set()

    locker = sqlite3.connect(db, timeout=0.05, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    beat = hb.Heartbeat(storage, trial_id, warn=warn, label=f"trial {trial.number}")
    with beat:
        assert told.wait(60)
        while beat.failures < 3:  # retried, and still failing, without a second line
            time.sleep(0.05)
        assert len(lines) == 1
        told.clear()
        locker.execute("ROLLBACK")
        assert told.wait(60)  # recorded again
    locker.close()
    assert lines == [
        "the heartbeat of trial 0 could not be recorded in the sweep's storage (OperationalError: "
        "(sqlite3.OperationalError) database is locked); retrying every 1 s (after 4 s without one, other "
        "sweep processes requeue the trial)",
        "the heartbeat of trial 0 is recorded again"]
    with sqlite3.connect(db) as check:
        assert check.execute("SELECT count(*) FROM trial_heartbeats WHERE trial_id = ?", (trial_id,)).fetchone() == (1,)


def test_the_sweep_prints_a_heartbeat_warning_as_one_line():
    from igrag_gui.cli.sweep_cmd import _Printer

    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        _Printer(False)({"event": "warning", "number": 3, "message": "the heartbeat of trial 3 could not be recorded"})
    assert err.getvalue() == "igrag: warning: the heartbeat of trial 3 could not be recorded\n"


@pytest.mark.slow
def test_a_trial_requeued_before_its_first_checkpoint_starts_again_in_its_folder(tmp_path, trash):
    # a sweep process on another machine took trial 0, trained a little into trial-000, and died
    # before its first checkpoint; its heartbeat stopped and the trial was requeued with that folder
    from optuna.trial import TrialState

    from igrag_gui.core.experiments.sweep import _requeue_stale, run_sweep
    from igrag_gui.core.experiments.sweep_spec import load_sweep
    from igrag_gui.core.files.output_folders import mark

    path, _, study, _ = _study(tmp_path)
    folder = tmp_path / "s" / "trial-000"
    folder.mkdir(parents=True)
    mark(folder, "run")
    (folder / "metrics.jsonl").write_text(json.dumps({"event": "started", "step": 0, "resumed_from": None}) + "\n")
    taken = study.ask()
    taken.set_user_attr("run", str(folder))
    taken.set_user_attr("host", "other-machine")
    study.tell(taken, state=TrialState.FAIL)
    _requeue_stale(study, study.get_trials()[0])

    events: list[dict] = []
    rows = run_sweep(load_sweep(path), resume=True, sink=events.append)
    ended = [e for e in events if e["event"] == "trial_ended"]
    assert [(e["state"], e["run"]) for e in ended] == [("complete", str(folder))], ended
    assert [e["message"] for e in events if e["event"] == "warning"] == [
        f"trial 1: its earlier attempt in '{folder}' stopped before its first checkpoint; starting it again from "
        f"the beginning (the earlier attempt's files are in the trash)"]
    started = [json.loads(line) for line in (folder / "metrics.jsonl").open()]
    assert [e["resumed_from"] for e in started if e["event"] == "started"] == [None]  # one clean run
    assert [r["state"] for r in rows] == ["complete"] and rows[0]["run"] == str(folder)
    trashed = list((trash / "files").iterdir())  # the earlier attempt, recoverable
    assert [p.name for p in trashed] == ["trial-000"] and (trashed[0] / "metrics.jsonl").is_file()


def test_a_requeued_folder_with_a_checkpoint_is_resumed_and_a_foreign_one_left_alone(tmp_path):
    from igrag_gui.core.experiments.sweep import _continue_in

    events: list[dict] = []
    with_checkpoint = tmp_path / "a"
    (with_checkpoint / "checkpoint-2").mkdir(parents=True)
    (with_checkpoint / "checkpoint-2" / "trainer_state.json").write_text("{}")
    assert _continue_in(with_checkpoint, 0, events.append) is True
    foreign = tmp_path / "b"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    assert _continue_in(foreign, 0, events.append) is False  # igrag train refuses it with its reason
    assert (foreign / "notes.txt").read_text() == "mine" and events == []
    assert (with_checkpoint / "checkpoint-2" / "trainer_state.json").is_file()


# ---------------------------------------------------------------------------------- a rank waiting
@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    from igrag_gui.resources import demo_model_path

    return AutoTokenizer.from_pretrained(demo_model_path())


def test_a_rank_whose_rank_0_never_prepares_the_data_gives_up_naming_it(tmp_path, tokenizer, monkeypatch):
    # world_size 2, and rank 0 never comes (its machine is down, it crashed before the data)
    from igrag_gui.core.data.prepare import prepare_data

    monkeypatch.setenv("IGRAG_RANK_WAIT_S", "0.5")
    data = tmp_path / "train.jsonl"
    data.write_text('{"prompt": "p", "caption": "c"}\n', encoding="utf-8")
    root = tmp_path / "cache"
    with pytest.raises(UserError) as err:
        prepare_data(data, tokenizer, "seq2seq", 64, 12, root=root, rank=1, world_size=2)
    assert str(err.value) == (
        f"rank 1 waited 0.5 s for rank 0 to prepare train.jsonl (in the data cache '{root}'), and rank 0 never "
        f"answered; check that rank 0 is running (its machine, its log), or raise IGRAG_RANK_WAIT_S (now 0.5 s) "
        f"when it is just slow")


def test_a_rank_waits_as_long_as_rank_0_makes_progress(tmp_path, tokenizer, monkeypatch):
    # rank 0's staging file grows at every look of rank 1, for 12 s in all (a clock of the test's
    # own: each pause of rank 1 is one second), with a limit of 3 s: rank 1 waits, then opens rank 0's entry
    import shutil
    import time as real_time

    from igrag_gui.core.data import prepare as prepare_mod

    class Clock:
        now = 0.0

        def monotonic(self):
            return self.now

        def sleep(self, seconds):
            self.now += 1.0
            real_time.sleep(0.001)

    monkeypatch.setenv("IGRAG_RANK_WAIT_S", "3")
    monkeypatch.setattr(prepare_mod, "REPORT_EVERY", 0.0)
    monkeypatch.setattr(prepare_mod, "time", Clock())
    data = tmp_path / "train.jsonl"
    data.write_text('{"prompt": "p", "caption": "c"}\n' * 10, encoding="utf-8")
    root = tmp_path / "cache"
    staging = root / f"{_entry_key(data, tokenizer)}.tmp-999999"
    looks: list[float] = []
    rank0: dict = {}

    def look(event):
        if event.phase != "waiting":
            return
        looks.append(prepare_mod.time.now)
        if len(looks) <= 12:  # rank 0 tokenizes slowly
            staging.mkdir(parents=True, exist_ok=True)
            with (staging / prepare_mod.DATA_FILE).open("ab") as fh:
                fh.write(b"x")
        elif not rank0:  # rank 0 is done
            shutil.rmtree(staging)
            rank0["data"] = prepare_mod.prepare_data(data, tokenizer, "seq2seq", 64, 12, root=root)

    got = prepare_mod.prepare_data(data, tokenizer, "seq2seq", 64, 12, root=root, rank=1, world_size=2,
                                 state=TaskState(on_detail=look))
    assert looks[-1] >= 12 and got.folder == rank0["data"].folder and len(got) == 10


def _entry_key(data, tokenizer) -> str:
    from igrag_gui.core.data.cache import cache_key, file_digest

    return cache_key(file_digest(data, lambda d, t: None), tokenizer, "seq2seq", "prompt", "caption",
                     64, 12)


def test_a_bad_rank_wait_is_refused(monkeypatch):
    from igrag_gui.core.ranks import wait_limit

    monkeypatch.setenv("IGRAG_RANK_WAIT_S", "forever")
    with pytest.raises(UserError) as err:
        wait_limit()
    assert str(err.value) == ("IGRAG_RANK_WAIT_S='forever': give the seconds a rank waits for another, a number "
                              "above 0 (default 600)")


def test_igrag_train_as_rank_1_without_rank_0_ends_in_one_line_exit_2(tmp_path):
    cache = tmp_path / "cache"
    result = igrag("train", str(TINY), "--set", f"training.output_dir={tmp_path / 'run'}",
                   env={"RANK": "1", "WORLD_SIZE": "2", "IGRAG_RANK_WAIT_S": "1", "IGRAG_DATA_CACHE": str(cache),
                        "OMP_NUM_THREADS": "1"})
    train = TINY.parent / "train.jsonl"
    assert assert_user_error(result) == [
        f"igrag: error: rank 1 waited 1 s for rank 0 to prepare {train.name} (in the data cache '{cache}'), and "
        f"rank 0 never answered; check that rank 0 is running (its machine, its log), or raise IGRAG_RANK_WAIT_S "
        f"(now 1 s) when it is just slow"]


# ---------------------------------------------------------------------------------- the launcher stopped
def _torchrun(tmp_path: Path) -> subprocess.Popen:
    from tests.cli.test_train_cli import free_port

    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", free_port(),
           "-m", "igrag_gui", "train", str(demo_config_path()), "--set", f"training.output_dir={tmp_path / 'run'}",
           "--set", "training.save_strategy=no", "--set", "training.eval_strategy=no", "--max-steps", "100000"]
    return subprocess.Popen(cmd, cwd=ROOT, env={**env(), "IGRAG_DATA_CACHE": str(tmp_path / "cache")},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _ranks_of(launcher: subprocess.Popen) -> list:
    import psutil

    parent = psutil.Process(launcher.pid)
    while True:
        ranks = [p for p in parent.children() if "igrag_gui" in " ".join(p.cmdline())]
        if len(ranks) == 2:
            return ranks
        assert launcher.poll() is None, "the launcher ended before starting its ranks"
        time.sleep(0.2)


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the kill test reads Linux processes")
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
def test_ranks_end_when_their_launcher_is_stopped(tmp_path, how):
    import psutil

    launcher = _torchrun(tmp_path)
    lines: list[str] = []
    training = threading.Event()

    def read() -> None:
        for line in launcher.stderr:
            lines.append(line)
            if line.startswith("training: "):  # both ranks joined: each is well past its start
                training.set()

    threading.Thread(target=read, daemon=True).start()
    ranks = _ranks_of(launcher)
    try:
        while not training.wait(1):
            assert launcher.poll() is None, "".join(lines)[-3000:]
        launcher.send_signal(how)
        launcher.wait(120)
        gone, alive = psutil.wait_procs(ranks, timeout=120)
        assert alive == [], f"ranks {[p.pid for p in alive]} outlived their launcher stopped by {how.name}"
    finally:
        for rank in ranks:
            try:
                rank.kill()
            except psutil.NoSuchProcess:
                pass
        if launcher.poll() is None:
            launcher.kill()
        launcher.wait(60)
