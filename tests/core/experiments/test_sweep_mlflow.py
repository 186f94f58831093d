"""A sweep whose config reports to MLflow is one parent run with one child run per trial: the
trial's sampled values as params, its own training curves (the trial's Trainer recorded into the
child run), its Optuna value and state; the parent holds the sweep's settings and best value."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from igrag_gui.core.experiments.sweep import run_sweep
from igrag_gui.core.experiments.sweep_spec import load_sweep

ROOT = Path(__file__).resolve().parents[3]
TINY = ROOT / "tests" / "fixtures" / "sweep" / "tiny.yaml"

pytestmark = pytest.mark.slow


def test_a_sweep_is_an_mlflow_parent_run_with_a_child_per_trial(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump({"config": str(TINY), "space": {"lora.r": [2, 4]}, "sampler": "grid",
                                    "trials": 2, "metric": "bleu4", "folder": "sweep"}))
    rows = run_sweep(load_sweep(path, ["training.report_to=[mlflow]"]))
    assert [r["state"] for r in rows] == ["complete", "complete"]

    from mlflow.tracking import MlflowClient

    client = MlflowClient(f"sqlite:///{tmp_path / 'sweep' / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("igrag")
    runs = client.search_runs([experiment.experiment_id])
    [parent] = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = sorted((r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id),
                      key=lambda r: r.info.run_name)
    assert len(runs) == 3 and [c.info.run_name for c in children] == ["trial-000", "trial-001"]
    assert parent.info.status == "FINISHED" and parent.data.params["metric"] == "bleu4"
    assert parent.data.params["sampler"] == "grid"
    best = max(rows, key=lambda r: r["value"])
    assert parent.data.metrics["best_bleu4"] == pytest.approx(best["value"])
    assert parent.data.tags["igrag.best_trial"] == str(best["trial"])
    for child, r in zip(children, (2, 4)):
        row = next(x for x in rows if x["params"]["lora.r"] == r)
        assert child.info.status == "FINISHED" and child.data.params["lora.r"] == str(r)
        assert child.data.metrics["best_bleu4"] == pytest.approx(row["value"])
        assert child.data.tags["igrag.trial_state"] == "complete"
        # recorded by the trial's own training (the Trainer's MLflowCallback in the child process)
        assert "loss" in child.data.metrics and "eval_bleu4" in child.data.metrics
        assert child.data.params["igrag.trainable_parameters"] == str(3584 * r)
