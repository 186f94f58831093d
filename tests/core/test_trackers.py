"""``training.report_to``: a real demo run read back by TensorBoard's own reader (tbparse) and by
MLflow's client from the local SQLite store (one run per training, with the trainable-parameter
stats); unknown trackers and missing packages refused with one line before anything is written;
``export-tb`` for runs recorded without a tracker."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from igrag_gui.core.config import load_config
from igrag_gui.core.errors import UserError
from igrag_gui.core.training.events import Collect, Finished, Message, Started
from igrag_gui.core.experiments.runs import load_run
from igrag_gui.core.training.trackers import requested

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "fixtures" / "sweep" / "tiny.yaml"
INSTALL = 'install the trackers with pip install "igrag-gui[trackers]"'


def tiny(output_dir: Path, *overrides: str):
    cfg, _ = load_config(TINY, [f"training.output_dir={output_dir}", *overrides])
    return cfg


def test_report_to_reads_lists_none_and_comma_text():
    assert requested([]) == [] and requested("none") == [] and requested(None) == [] and requested("") == []
    assert requested("tensorboard, mlflow") == ["tensorboard", "mlflow"] == requested(["tensorboard", "MLflow"])
    assert requested(["none"]) == [] and requested(["mlflow", "mlflow"]) == ["mlflow"]


def test_an_unknown_tracker_is_a_field_problem(tmp_path):
    problems = [str(p) for p in tiny(tmp_path / "run", "training.report_to=[tensorboard, wandb]").errors()]
    assert problems == ["training.report_to: 'wandb' is not a tracker igrag records to; use any of tensorboard, "
                        "mlflow (or [] for none)"]


def test_a_missing_tracker_package_is_named_with_the_extra_and_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "mlflow", None)  # as if not installed: import and find_spec fail
    monkeypatch.setitem(sys.modules, "tensorboard", None)
    cfg = tiny(tmp_path / "run", "training.report_to=[tensorboard, mlflow]")
    assert [str(p) for p in cfg.errors()] == [f"training.report_to: tensorboard and mlflow are not installed; {INSTALL}"]
    from igrag_gui.core.training.train import train

    with pytest.raises(UserError) as err:
        train(cfg, Collect())
    assert str(err.value) == f"training.report_to: tensorboard and mlflow are not installed; {INSTALL}"
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def _mlflow_runs(store: Path) -> list:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(f"sqlite:///{store}")
    experiment = client.get_experiment_by_name("igrag")
    return client.search_runs([experiment.experiment_id], order_by=["attributes.start_time ASC"])


@pytest.mark.slow
def test_a_demo_run_reports_to_tensorboard_and_mlflow(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("TENSORBOARD_LOGGING_DIR", raising=False)
    from tbparse import SummaryReader

    from igrag_gui.core.training.train import train

    run = tmp_path / "runs" / "tiny"
    sink = Collect()
    closing = train(tiny(run, "training.report_to=[tensorboard, mlflow]"), sink)
    assert isinstance(closing, Finished)
    assert [m.text for m in sink.of(Message) if m.level == "note"] == [
        f"recording to TensorBoard in {run / 'tensorboard'} and MLflow at sqlite:///{tmp_path / 'runs' / 'mlflow.db'} "
        f"(experiment 'igrag')"]

    # TensorBoard's event files, inside the run folder, as TensorBoard's reader loads them
    scalars = SummaryReader(str(run / "tensorboard")).scalars
    logged = [e for e in load_run(run).events if e["event"] == "log"]
    loss = scalars[scalars.tag == "train/loss"].sort_values("step")
    assert list(loss.step) == [e["step"] for e in logged] == [1, 2]
    assert list(loss.value) == pytest.approx([e["loss"] for e in logged], rel=1e-6)
    assert {"train/learning_rate", "eval/loss", "eval/bleu4", "eval/cider"} <= set(scalars.tag)
    trainable = scalars[scalars.tag == "model/trainable_parameters"]
    assert list(trainable.value) == [14336]

    # MLflow's local SQLite store beside the run folder: one run for this training
    [recorded] = _mlflow_runs(tmp_path / "runs" / "mlflow.db")
    assert recorded.info.status == "FINISHED" and recorded.info.run_name == "tiny"
    assert recorded.data.metrics["loss"] == pytest.approx(logged[-1]["loss"], rel=1e-6)
    assert "eval_loss" in recorded.data.metrics and "eval_bleu4" in recorded.data.metrics
    assert recorded.data.params["igrag.trainable_parameters"] == "14336"
    assert recorded.data.params["igrag.method"] == "lora" and recorded.data.params["learning_rate"] == "0.002"

    # a second training is a second MLflow run in the same store
    train(tiny(tmp_path / "runs" / "tiny-2", "training.report_to=[mlflow]", "lora.r=2"), Collect())
    runs = _mlflow_runs(tmp_path / "runs" / "mlflow.db")
    assert [r.info.run_name for r in runs] == ["tiny", "tiny-2"]
    assert runs[1].data.params["igrag.trainable_parameters"] == "7168"
    assert not (tmp_path / "runs" / "tiny-2" / "tensorboard").exists()


def test_an_mlflow_store_that_cannot_be_opened_is_refused_before_the_model_loads(tmp_path, monkeypatch):
    """MLflow 3 refuses a bare ./mlruns file store (unless MLFLOW_ALLOW_FILE_STORE=true)."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", str(tmp_path / "mlruns"))
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)
    from igrag_gui.core.training.train import train

    events = Collect()
    with pytest.raises(UserError) as err:
        train(tiny(tmp_path / "run", "training.report_to=[mlflow]"), events)
    assert err.value.lines == [
        f"training.report_to: MLflow cannot open the tracking store '{tmp_path / 'mlruns'}' (The filesystem "
        f"tracking backend (e.g., './mlruns') is in maintenance mode and will not receive further updates); set "
        f"MLFLOW_TRACKING_URI to a store it can open (e.g. sqlite:///path/to/mlflow.db or http://host:5000)"]
    assert not events.of(Started)


# ---------------------------------------------------------------------------------- export-tb
def old_run(folder: Path) -> Path:
    """A run recorded before report_to, resumed once (steps after 2 were logged again)."""
    events = [
        {"event": "started", "trainable": 1000, "total": 10_000, "percent": 10.0, "effective_batch_size": 8,
         "start_step": 0},
        {"event": "log", "step": 1, "epoch": 0.25, "loss": 3.0, "learning_rate": 1e-3},
        {"event": "log", "step": 2, "epoch": 0.5, "loss": 2.0, "learning_rate": 9e-4},
        {"event": "log", "step": 3, "epoch": 0.75, "loss": 9.0, "learning_rate": 8e-4},  # replaced by the resume
        {"event": "started", "trainable": 1000, "total": 10_000, "percent": 10.0, "effective_batch_size": 8,
         "start_step": 2},
        {"event": "log", "step": 3, "epoch": 0.75, "loss": 1.5, "learning_rate": 8e-4},
        {"event": "eval", "step": 3, "epoch": 0.75, "eval_loss": 1.25, "eval_bleu": 10.0},
        {"event": "finished", "step": 3, "seconds": 5.0},
    ]
    folder.mkdir(parents=True)
    (folder / "metrics.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    return folder


def test_export_tb_writes_what_the_run_recorded_under_the_live_tags(tmp_path):
    from tbparse import SummaryReader

    from igrag_gui.core.experiments.tb_export import export_tensorboard

    run = old_run(tmp_path / "old")
    assert export_tensorboard([load_run(run)]) == [run / "tensorboard"]
    scalars = SummaryReader(str(run / "tensorboard")).scalars
    loss = scalars[scalars.tag == "train/loss"].sort_values("step")
    assert list(zip(loss.step, loss.value)) == [(1, 3.0), (2, 2.0), (3, 1.5)]
    assert list(scalars[scalars.tag == "eval/bleu4"].value) == [10.0]  # old eval_bleu is BLEU-4
    assert list(scalars[scalars.tag == "model/trainable_parameters"].value) == [1000]

    with pytest.raises(UserError) as err:
        export_tensorboard([load_run(run)])
    assert str(err.value) == (f"run '{run}' already has TensorBoard event files in {run / 'tensorboard'}; nothing "
                              f"was written (delete that folder to export again)")


def test_export_tb_without_tensorboard_names_the_extra(tmp_path, monkeypatch):
    from igrag_gui.core.experiments.tb_export import export_tensorboard

    monkeypatch.setitem(sys.modules, "tensorboard", None)
    run = old_run(tmp_path / "old")
    with pytest.raises(UserError) as err:
        export_tensorboard([load_run(run)])
    assert str(err.value) == f"runs export-tb: tensorboard is not installed; {INSTALL}"
    assert sorted(p.name for p in run.iterdir()) == ["metrics.jsonl"]
