"""``igrag sweep`` and ``igrag runs`` as a user runs them: bad sweep files refused before any trial
with one line each, a real sweep on the demo model (one trial made to fail), stop and resume, two
processes sharing one study, and comparing the trials' runs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from igrag_gui.core.config import field_specs
from tests.cli.test_cli import assert_user_error, igrag

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "sweep"
TINY = FIXTURES / "tiny.yaml"


def sweep_file(where: Path, name: str = "sweep.yaml", **keys) -> Path:
    doc = {"config": str(TINY), "space": {"lora.r": [2, 4]}, "sampler": "grid", "trials": 2, "metric": "bleu4"}
    doc.update(keys)
    path = where / name
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def env() -> dict:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"}


def sweep_process(path: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "igrag_gui", "sweep", str(path), "--events", "-", *extra],
                            cwd=ROOT, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def events_of(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


# ---------------------------------------------------------------------------------- bad input
def test_every_problem_of_a_space_is_reported_at_once_before_any_trial(tmp_path):
    path = sweep_file(tmp_path, space={"lora.rank": [4], "training.learning_rate": {"low": 3e-3, "high": 1e-4},
                                       "lora.dropout": [0.1, 1.5], "lora.r": [4, 0]})
    lines = assert_user_error(igrag("sweep", str(path)))
    assert lines == [
        f"igrag: error: {path}: space: 'lora.rank' is not a config field; section 'lora' has "
        f"{', '.join(f.name for f in field_specs('lora'))}",
        f"igrag: error: {path}: space.training.learning_rate: low 0.003 exceeds high 0.0001; swap them",
        f"igrag: error: {path}: space.lora.dropout: value 1.5 is rejected: must be at least 0 and below 1, got 1.5",
        f"igrag: error: {path}: space.lora.r: value 0 is rejected: must be at least 1, got 0",
    ]
    assert not (tmp_path / "sweep").exists()


def test_a_metric_the_config_does_not_compute_is_refused(tmp_path):
    path = sweep_file(tmp_path, metric="meteor")
    assert assert_user_error(igrag("sweep", str(path))) == [
        f"igrag: error: {path}: metric: 'meteor' is not computed by tiny.yaml; it computes loss, bleu4, cider"]


def test_a_storage_that_cannot_be_opened_is_refused(tmp_path):
    path = sweep_file(tmp_path, storage="nosuchdb://host/db")
    lines = assert_user_error(igrag("sweep", str(path)))
    assert len(lines) == 1
    assert lines[0].startswith("igrag: error: storage 'nosuchdb://host/db' cannot be opened (")
    assert lines[0].endswith("); use sqlite:///path/to/sweep.db or a database URL every machine reaches "
                             "(e.g. postgresql://user@host/db)")


def test_a_storage_whose_database_driver_is_missing_names_the_module(tmp_path):
    path = sweep_file(tmp_path, storage="postgresql+pg8000://igrag@dbhost/sweeps")
    assert assert_user_error(igrag("sweep", str(path))) == [
        "igrag: error: storage 'postgresql+pg8000://igrag@dbhost/sweeps' needs the Python module 'pg8000', which "
        "is not installed; install it in igrag's environment (PostgreSQL: pip install \"psycopg[binary]\")"]


def test_a_folder_holding_another_study_is_refused(tmp_path):
    first = sweep_file(tmp_path, "a.yaml", folder="shared", trials=1)
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "sweep.json").write_text(json.dumps({"study": "other", "fingerprint": "x",
                                                                "source": "/elsewhere/other.yaml"}))
    assert assert_user_error(igrag("sweep", str(first))) == [
        f"igrag: error: sweep folder '{tmp_path / 'shared'}' already holds another study ('other', from "
        f"/elsewhere/other.yaml); set folder: in the sweep file to a new folder"]


def test_bad_trials_and_sampler_and_a_range_for_grid(tmp_path):
    path = sweep_file(tmp_path, sampler="bayes", trials=0)
    assert assert_user_error(igrag("sweep", str(path))) == [
        f"igrag: error: {path}: sampler: 'bayes' is not a sampler; use one of grid, random, tpe",
        f"igrag: error: {path}: trials: must be a whole number of at least 1, got 0"]
    grid = sweep_file(tmp_path, "g.yaml", space={"lora.r": {"low": 2, "high": 8}})
    assert assert_user_error(igrag("sweep", str(grid))) == [
        f"igrag: error: {grid}: space.lora.r: the grid sampler needs a list of values, not a range"]


def test_runs_compare_needs_two_runs(tmp_path):
    assert assert_user_error(igrag("runs", "compare", str(tmp_path))) == [
        "igrag: error: runs compare needs at least two run folders, e.g. igrag runs compare runs/a runs/b"]
    assert assert_user_error(igrag("runs", str(tmp_path / "nope"))) == [
        f"igrag: error: folder '{tmp_path / 'nope'}' does not exist; give folders that hold run folders"]


# ------------------------------------------------------------------------------- real sweeps
@pytest.mark.slow
def test_a_sweep_of_three_trials_one_failing_ranks_them_and_runs_compare_them(tmp_path):
    for name in ("train.jsonl", "broken.jsonl"):
        (tmp_path / name).write_text((FIXTURES / name).read_text())
    path = sweep_file(tmp_path, space={"lora.r": [2, 4], "data.train_path": ["train.jsonl", "broken.jsonl"]},
                      trials=3)
    result = igrag("sweep", str(path), "--set", "training.learning_rate=0.003")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    folder = tmp_path / "sweep"
    rows = list(__import__("csv").DictReader((folder / "sweep.csv").open()))
    assert [(r["trial"], r["state"]) for r in rows] == [("0", "complete"), ("2", "complete"), ("1", "failed")]
    assert rows[2]["reason"].startswith(f"{tmp_path / 'broken.jsonl'}:4: not valid JSON")
    assert float(rows[0]["value"]) >= float(rows[1]["value"])
    best = rows[0]["run"]
    assert result.stdout.strip().endswith(f"Best run: {best}")
    assert "trial 1: failed (" in result.stderr
    trained = yaml.safe_load((folder / "trial-002" / "run.yaml").read_text())
    assert (trained["lora"]["r"], trained["training"]["learning_rate"]) == (4, 0.003)

    listed = igrag("runs", str(folder), "--json")
    assert listed.returncode == 0, listed.stderr
    assert {Path(r["run"]).name for r in json.loads(listed.stdout)["runs"]} == {"trial-000", "trial-002"}
    compared = igrag("runs", "compare", str(folder / "trial-000"), str(folder / "trial-002"), "--json")
    data = json.loads(compared.stdout)
    assert set(data) == {"runs", "differences", "results", "intervals"}
    assert data["differences"] == {"lora.r": [2, 4]}
    assert set(data["intervals"]["runs"]) == {str(folder / "trial-000"), str(folder / "trial-002")}
    assert [r["status"] for r in data["results"]] == ["finished", "finished"]
    assert all({"loss", "bleu4"} <= set(r["metrics"]) for r in data["results"])
    text = igrag("runs", "compare", str(folder / "trial-000"), str(folder / "trial-002")).stdout
    assert text.splitlines()[2].split() == ["lora.r", "2", "4"]


@pytest.mark.slow
def test_a_stopped_sweep_resumes_and_refuses_a_second_start_without_resume(tmp_path):
    path = sweep_file(tmp_path, space={"lora.r": [2, 4]}, trials=2)
    sets = ["--set", "training.max_steps=4", "--set", "training.eval_steps=2"]
    proc = sweep_process(path, *sets)
    seen = []
    assert proc.stdout is not None
    for line in proc.stdout:
        seen.append(json.loads(line))
        if seen[-1]["event"] == "trial_progress":  # the first trial is training: stop the sweep
            proc.send_signal(signal.SIGINT)
            break
    out, err = proc.communicate(timeout=240)
    assert proc.returncode == 0, err
    seen += events_of(out)
    ended = [e for e in seen if e["event"] == "trial_ended"]
    assert [e["state"] for e in ended] == ["interrupted"] and ended[0]["number"] == 0
    assert [e for e in seen if e["event"] == "sweep_finished"][0]["stopped"] is True
    assert (tmp_path / "sweep" / "trial-000" / "metrics.jsonl").is_file()

    again = igrag("sweep", str(path))
    assert assert_user_error(again) == [
        f"igrag: error: sweep folder '{tmp_path / 'sweep'}' already holds study 'sweep' (0 trials done); pass --resume "
        f"to continue it (or to join it from another machine), or set folder: to a new folder"]

    resumed = igrag("sweep", str(path), "--resume", *sets)
    assert resumed.returncode == 0, resumed.stderr
    rows = list(__import__("csv").DictReader((tmp_path / "sweep" / "sweep.csv").open()))
    assert sorted(r["lora.r"] for r in rows) == ["2", "4"] and {r["state"] for r in rows} == {"complete"}
    first = next(r for r in rows if r["lora.r"] == "2")
    assert first["run"] == str(tmp_path / "sweep" / "trial-000")  # continued in its own folder
    resumed_run = [json.loads(line) for line in (tmp_path / "sweep" / "trial-000" / "metrics.jsonl").open()]
    assert [e["resumed_from"] is not None for e in resumed_run if e["event"] == "started"] == [False, True]
    assert [e["step"] for e in resumed_run if e["event"] == "eval"][-1] == 4


@pytest.mark.slow
def test_two_sweep_processes_share_one_study_without_running_a_trial_twice(tmp_path):
    path = sweep_file(tmp_path, space={"lora.r": [2, 4, 8]}, trials=3)
    procs = [sweep_process(path, "--resume") for _ in range(2)]
    outs = [p.communicate(timeout=400) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1] for o in outs]
    started = [[e for e in events_of(o[0]) if e["event"] == "trial_started"] for o in outs]
    numbers = [e["number"] for s in started for e in s]
    assert sorted(numbers) == [0, 1, 2]
    assert sorted(e["params"]["lora.r"] for s in started for e in s) == [2, 4, 8]
    rows = list(__import__("csv").DictReader((tmp_path / "sweep" / "sweep.csv").open()))
    assert len(rows) == 3 and {r["state"] for r in rows} == {"complete"}


@pytest.mark.skipif(not os.environ.get("IGRAG_TEST_POSTGRES"),
                    reason="set IGRAG_TEST_POSTGRES=postgresql://user:pw@host/db (an empty database) to run")
def test_two_sweep_processes_share_one_study_on_postgresql(tmp_path):
    # the several-machines set-up: one database server; its tables are created by whichever process comes first
    url = os.environ["IGRAG_TEST_POSTGRES"]
    path = sweep_file(tmp_path, space={"lora.r": [2, 4, 8]}, trials=3, storage=url, study=f"t{os.getpid()}")
    procs = [sweep_process(path, "--resume") for _ in range(2)]
    outs = [p.communicate(timeout=400) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1] for o in outs]
    started = [e for o in outs for e in events_of(o[0]) if e["event"] == "trial_started"]
    assert sorted(e["params"]["lora.r"] for e in started) == [2, 4, 8]


@pytest.mark.slow
def test_a_trial_runs_on_several_processes_through_a_launcher(tmp_path):
    launcher = f"{sys.executable} -m torch.distributed.run --nproc_per_node 2"
    path = sweep_file(tmp_path, space={"lora.r": [2]}, trials=1, launcher=launcher)
    result = igrag("sweep", str(path), env={"OMP_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in (tmp_path / "sweep" / "trial-000" / "metrics.jsonl").open()]
    assert [e["world_size"] for e in events if e["event"] == "started"] == [2]
    assert result.stdout.strip().endswith(f"Best run: {tmp_path / 'sweep' / 'trial-000'}")


@pytest.mark.slow
def test_the_median_pruner_stops_a_hopeless_trial_through_the_stop_path(tmp_path):
    # trial 0 learns (lr 3e-3); trial 1 cannot (lr 1e-12): its first loss is above trial 0's there
    path = sweep_file(tmp_path, space={"training.learning_rate": [3e-3, 1e-12]}, metric="loss",
                      pruner={"name": "median", "n_startup_trials": 1, "n_warmup_steps": 0})
    result = igrag("sweep", str(path), "--set", "training.max_steps=4", "--set", "training.eval_steps=2",
                   "--set", "training.learning_rate=3e-3")
    assert result.returncode == 0, result.stderr
    rows = list(__import__("csv").DictReader((tmp_path / "sweep" / "sweep.csv").open()))
    assert [(r["trial"], r["state"]) for r in rows] == [("0", "complete"), ("1", "pruned")]
    assert rows[1]["reason"] == "pruned by the median rule at step 2"
    pruned = [json.loads(line) for line in (tmp_path / "sweep" / "trial-001" / "metrics.jsonl").open()]
    closing = pruned[-1]
    assert closing["event"] == "finished" and closing["stopped"] is True and closing["step"] < 4


def test_runs_label_and_delete_are_the_pages_twins(tmp_path):
    from tests.core.experiments.test_runs import started, write_run

    run = write_run(tmp_path / "runs" / "a", [started()])
    assert igrag("runs", "label", str(run), "r8 baseline").returncode == 0
    assert json.loads(igrag("runs", str(tmp_path), "--json").stdout)["runs"][0]["name"] == "r8 baseline"
    assert assert_user_error(igrag("runs", "delete", str(run))) == [
        "igrag: error: runs delete moves 1 run folder(s) to the trash; add --yes to confirm"]
    assert run.exists()
    deleted = igrag("runs", "delete", str(run), "--yes", env={"XDG_DATA_HOME": str(tmp_path / "share")})
    assert deleted.returncode == 0, deleted.stderr
    assert not run.exists() and (tmp_path / "share" / "Trash" / "files" / "a").is_dir()
