"""Several processes opening one new SQLite sweep storage at once: every one gets it."""

import multiprocessing

from igrag_gui.core.experiments.sweep import open_storage


def _open(url: str) -> str:
    try:
        storage = open_storage(url)
        storage.engine.dispose()  # noqa - RDBStorage keeps a pool; close it before the process ends
        return "ok"
    except Exception as exc:  # noqa: BLE001 - the failure text is what the test reports
        return f"{type(exc).__name__}: {exc}"


def test_processes_racing_to_create_one_sqlite_storage_all_open_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'sweep' / 'sweep.db'}"
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        results = pool.map(_open, [url] * 4)
    assert results == ["ok"] * 4


def test_a_trial_whose_heartbeat_stopped_is_failed_and_queued_again(tmp_path, monkeypatch):
    # a sweep process on another machine took trial 0, beat once, then went silent (killed, network gone)
    import time

    import yaml
    from optuna.trial import TrialState

    from igrag_gui.core.experiments.heartbeat import Heartbeat, fail_stale_trials
    from igrag_gui.core.experiments.sweep import open_study, ranking
    from igrag_gui.core.experiments.sweep_spec import load_sweep
    from tests.cli.test_sweep_cli import TINY

    monkeypatch.setenv("IGRAG_SWEEP_HEARTBEAT", "1")  # grace period: 4 s
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({"config": str(TINY), "space": {"lora.r": [2, 4]}, "sampler": "grid",
                                    "metric": "bleu4", "trials": 2}))
    study, storage = open_study(load_sweep(path), resume=False)
    taken = study.ask()
    taken.set_user_attr("host", "other-machine")
    taken.set_user_attr("run", str(tmp_path / "s" / "trial-000"))
    trial_id = storage.get_trial_id_from_study_id_trial_number(storage.get_study_id_from_name(study.study_name), 0)
    with Heartbeat(storage, trial_id):
        time.sleep(0.2)
    fail_stale_trials(study)  # within the grace period: still running
    assert study.get_trials()[0].state == TrialState.RUNNING
    time.sleep(5)
    fail_stale_trials(study)
    trials = study.get_trials()
    assert trials[0].state == TrialState.FAIL
    again = [t for t in trials if t.state == TrialState.WAITING and t.user_attrs.get("requeued_from") == 0]
    assert [(t.params, t.user_attrs["resume_dir"]) for t in again] == [(taken.params, str(tmp_path / "s" /
                                                                                        "trial-000"))]
    assert again[0].user_attrs["stale_reason"] == ("interrupted: its sweep process on other-machine stopped "
                                                   "answering; requeued")
    assert [r["trial"] for r in ranking(study, load_sweep(path))] == [1, again[0].number]  # 0 replaced, not counted
