"""Runs read back from their folders, and compared: histories, results, differences, labels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from igrag_gui.core.errors import UserError
from igrag_gui.core.experiments.compare import comparison, differences, metric_names
from igrag_gui.core.experiments.runs import delete_run, find_runs, load_run, metric_name, set_label


def write_run(folder: Path, events: list[dict], config: dict | None = None) -> Path:
    folder.mkdir(parents=True)
    (folder / "metrics.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    if config is not None:
        (folder / "run.yaml").write_text(yaml.safe_dump(config))
    return folder


def started(batch: int = 8, trainable: int = 1000) -> dict:
    return {"event": "started", "trainable": trainable, "total": 10_000, "percent": 10.0, "max_steps": 4,
            "num_train_examples": 32, "num_val_examples": 4, "effective_batch_size": batch}


def log(step: int, loss: float) -> dict:
    return {"event": "log", "step": step, "max_steps": 4, "epoch": step / 4, "loss": loss,
            "learning_rate": 1e-3 / step, "samples_per_second": 5.0, "elapsed": step * 2.0}


CONFIG = {"method": "lora", "model": {"base_model_path": "m"}, "training": {"output_dir": "x", "learning_rate": 1e-3},
          "lora": {"r": 8, "dropout": 0.1}, "versions": {"torch": "2"}}


@pytest.fixture
def old_run(tmp_path) -> Path:
    """An engine of today: eval_bleu (BLEU-4), finished."""
    return write_run(tmp_path / "runs" / "old", [
        started(batch=8), log(1, 3.0), log(2, 2.0),
        {"event": "eval", "step": 2, "epoch": 0.5, "eval_loss": 2.5, "eval_bleu": 10.0, "best": True},
        log(4, 1.0),
        {"event": "eval", "step": 4, "epoch": 1.0, "eval_loss": 2.1, "eval_bleu": 8.0, "best": False},
        {"event": "finished", "step": 4, "output_dir": "x", "seconds": 12.5, "train_samples_per_second": 3.2},
    ], CONFIG)


@pytest.fixture
def new_run(tmp_path) -> Path:
    """COCO metrics under their contract names; stopped; a line cut short by a kill at the end."""
    folder = write_run(tmp_path / "runs" / "new", [
        started(batch=16, trainable=2000), log(1, 2.9),
        {"event": "eval", "step": 1, "epoch": 0.5, "eval_loss": 2.4, "eval_bleu4": 12.0, "eval_cider": 40.0},
        {"event": "finished", "step": 1, "output_dir": "y", "stopped": True},
    ], {**CONFIG, "training": {"output_dir": "y", "learning_rate": 3e-3}, "lora": {"r": 16, "dropout": 0.1}})
    with (folder / "metrics.jsonl").open("a") as fh:
        fh.write('{"event": "log", "st')
    return folder


def test_metric_names_follow_the_contract_and_old_bleu_is_bleu4():
    assert [metric_name(k) for k in ("eval_bleu", "eval_bleu4", "eval_cider", "eval_loss", "eval_rouge_l")] == \
        ["bleu4", "bleu4", "cider", "loss", "rouge_l"]


def test_a_run_reads_its_curves_results_and_status(old_run, new_run):
    old, new = load_run(old_run), load_run(new_run)
    series = old.series()
    assert [p.value for p in series["train_loss"]] == [3.0, 2.0, 1.0]
    assert [(p.step, p.examples) for p in series["bleu4"]] == [(2, 16), (4, 32)]
    assert old.metrics() == {"loss": {"best": 2.1, "last": 2.1}, "bleu4": {"best": 10.0, "last": 8.0}}
    assert (old.status, old.steps, old.seconds, old.samples_per_second, old.trainable) == ("finished", 4, 12.5, 3.2, 1000)
    assert new.status == "stopped" and new.series()["cider"][0].examples == 16
    assert new.metrics()["cider"] == {"best": 40.0, "last": 40.0}


def test_a_run_without_a_closing_event_is_incomplete_and_a_failed_one_failed(tmp_path):
    assert load_run(write_run(tmp_path / "a", [started(), log(1, 2.0)])).status == "incomplete"
    failed = write_run(tmp_path / "b", [started(), {"event": "failed", "message": "NaN"}])
    assert load_run(failed).status == "failed"


def test_differences_list_only_fields_that_differ(old_run, new_run):
    runs = [load_run(old_run), load_run(new_run)]
    assert differences(runs) == {"lora.r": [8, 16], "training.learning_rate": [1e-3, 3e-3]}
    assert metric_names(runs) == ["loss", "bleu4", "cider"]
    data = comparison(runs)
    assert set(data) == {"runs", "differences", "results", "intervals"}
    assert [r["status"] for r in data["results"]] == ["finished", "stopped"]
    # runs of an engine that kept no per-image captions: no intervals, and the reason
    assert data["intervals"]["runs"] == {} and data["intervals"]["pairs"] == []
    assert all(reason.startswith("it kept no per-image evaluation (eval_captions.json)")
               for reason in data["intervals"]["unavailable"].values())
    assert set(data["intervals"]["unavailable"]) == {str(r.path) for r in runs}


def test_find_runs_searches_folders_and_below_each_once(old_run, new_run, tmp_path):
    (tmp_path / "runs" / "not-a-run").mkdir()
    found = find_runs([tmp_path, tmp_path / "runs", old_run])
    assert sorted(found) == sorted([old_run.resolve(), new_run.resolve()])


def test_labels_are_kept_in_the_run_folder(old_run):
    set_label(old_run, "  r8   baseline ")
    assert load_run(old_run).name == "r8 baseline"
    set_label(old_run, "")
    assert load_run(old_run).name == "old"


def test_delete_sends_a_run_to_the_trash_and_refuses_other_folders(old_run, tmp_path, trash):
    other = tmp_path / "precious"
    other.mkdir()
    with pytest.raises(UserError, match="is not a run folder"):
        delete_run(other)
    delete_run(old_run)
    assert not old_run.exists() and other.exists()
    assert [p.name for p in (trash / "files").iterdir()] == [old_run.name]


def test_loading_a_folder_that_is_not_a_run_says_so(tmp_path):
    with pytest.raises(UserError) as err:
        load_run(tmp_path)
    assert err.value.lines == [f"'{tmp_path}' is not a run folder (it has no metrics.jsonl); give the "
                               f"output_dir of a training run"]


def test_a_configs_runs_are_at_its_output_dir_and_beside_it(tmp_path, make_config):
    from igrag_gui.core.config import load_config
    from igrag_gui.core.experiments.runs import config_run_folders, config_runs

    cfg, _ = load_config(make_config(training={"output_dir": "runs/mine"}))
    assert config_run_folders(cfg) == [tmp_path / "runs/mine", tmp_path / "runs"]
    mine = write_run(tmp_path / "runs/mine", [started()])
    other = write_run(tmp_path / "runs/other", [started()])
    write_run(tmp_path / "runs/sweep/trial-0", [started()])  # two levels down: a sweep's, not listed
    import os

    os.utime(mine / "metrics.jsonl", (1, 1))
    assert config_runs(cfg) == [other.resolve(), mine.resolve()]


def test_a_resumed_run_s_curves_continue_from_its_checkpoint(tmp_path):
    """Steps the stopped attempt logged after the checkpoint are replaced by the resumed attempt's,
    as the live view draws them: one curve, steps increasing, the later values kept."""
    run = load_run(write_run(tmp_path / "resumed", [
        started(), log(1, 3.0), log(2, 2.5),
        {"event": "eval", "step": 2, "epoch": 0.5, "eval_loss": 2.4, "eval_cider": 10.0},
        log(3, 2.2), {"event": "eval", "step": 3, "epoch": 0.75, "eval_loss": 2.3, "eval_cider": 50.0},
        {"event": "finished", "step": 3, "output_dir": "x", "stopped": True},
        {**started(), "start_step": 2, "resumed_from": "x/checkpoint-2"},
        log(3, 2.1), log(4, 1.9), {"event": "eval", "step": 4, "epoch": 1.0, "eval_loss": 2.2, "eval_cider": 20.0},
        {"event": "finished", "step": 4, "output_dir": "x"},
    ]))
    series = run.series()
    assert [(p.step, p.value) for p in series["train_loss"]] == [(1, 3.0), (2, 2.5), (3, 2.1), (4, 1.9)]
    assert [(p.step, p.value) for p in series["cider"]] == [(2, 10.0), (4, 20.0)]
    assert run.metrics()["cider"] == {"best": 20.0, "last": 20.0}  # the abandoned 50.0 is gone
    assert run.status == "finished"
