"""A sweep in MLflow: one parent run for the study, one child run per trial.

Only when the sweep's config asks for it (``training.report_to`` holds ``mlflow``). The sweep
process creates the runs with MLflow's client (``mlflow.parentRunId`` ties a child to its
parent, which is how MLflow's UI nests them) and logs each trial's sampled values as params; the
trial's ``igrag train`` child then records into its own run through the Trainer's MLflowCallback
(``MLFLOW_RUN_ID``: losses, learning rate, eval metrics, arguments). When the trial ends the
sweep logs its outcome (Optuna's value as ``best_<metric>``, the state) and closes the run;
at the end the parent gets the sweep's best. The store is ``MLFLOW_TRACKING_URI`` or the sweep
folder's ``mlflow.db``, the one the trials (run folders inside it) use anyway.
"""

from __future__ import annotations

from typing import Any

from ..config import load_config
from ..errors import UserError
from ..training.trackers import check, experiment_name, first_sentence, quiet_mlflow, store_uri
from .sweep_spec import Sweep, flow

SWEEP_TAG = "igrag.sweep"
STATUS = {"complete": "FINISHED", "pruned": "KILLED", "interrupted": "KILLED", "failed": "FAILED"}


class SweepTracker:
    """The parent run of one sweep, and its trials' child runs."""

    def __init__(self, client: Any, uri: str, experiment_id: str, parent_id: str, metric: str):
        self.client, self.uri, self.experiment_id = client, uri, experiment_id
        self.parent_id, self.metric = parent_id, metric

    @classmethod
    def open(cls, sweep: Sweep, resume: bool) -> "SweepTracker | None":
        """The sweep's parent run (found again on ``resume``), or None when the config does not
        report to MLflow."""
        cfg, _ = load_config(sweep.config, sweep.overrides)
        if "mlflow" not in check(cfg.training.report_to):
            return None
        from mlflow.tracking import MlflowClient

        quiet_mlflow()
        uri = store_uri(sweep.folder)
        sweep.folder.mkdir(parents=True, exist_ok=True)
        key = f"{sweep.study}:{sweep.fingerprint()}"
        try:
            client = MlflowClient(uri)
            experiment = client.get_experiment_by_name(experiment_name())
            experiment_id = experiment.experiment_id if experiment else client.create_experiment(experiment_name())
            found = client.search_runs([experiment_id], filter_string=f"tags.`{SWEEP_TAG}` = '{key}'",
                                       max_results=1) if resume else []
            if found:
                parent_id = found[0].info.run_id
                client.update_run(parent_id, status="RUNNING")
            else:
                parent = client.create_run(experiment_id, run_name=sweep.study,
                                           tags={SWEEP_TAG: key, "igrag.sweep_folder": sweep.folder.name})
                parent_id = parent.info.run_id
                client.log_batch(parent_id, params=_params({
                    "sampler": sweep.sampler, "metric": sweep.metric, "direction": sweep.direction,
                    "trials": sweep.trials, "pruner": sweep.pruner, "space": flow(
                        {k: (v if isinstance(v, list) else vars(v)) for k, v in sweep.space.items()})}))
        except Exception as exc:  # noqa: BLE001 - SQLAlchemy and the REST client raise many kinds
            reason = first_sentence(exc)
            raise UserError(f"training.report_to: MLflow cannot open the tracking store '{uri}' ({reason}); "
                            f"set MLFLOW_TRACKING_URI to a store it can open") from None
        return cls(client, uri, experiment_id, parent_id, sweep.metric)

    def start_trial(self, number: int, values: dict[str, Any]) -> tuple[str, dict[str, str]]:
        """A child run for trial ``number``, its sampled values logged; returns (its id, the
        environment that makes the trial's training record into it)."""
        run = self.client.create_run(self.experiment_id, run_name=f"trial-{number:03d}",
                                     tags={"mlflow.parentRunId": self.parent_id, "igrag.trial": str(number)})
        run_id = run.info.run_id
        self.client.log_batch(run_id, params=_params(values))
        return run_id, {"MLFLOW_RUN_ID": run_id, "MLFLOW_TRACKING_URI": self.uri,
                        "MLFLOW_EXPERIMENT_NAME": experiment_name()}

    def end_trial(self, run_id: str, state: str, value: float | None, reason: str) -> None:
        from mlflow.entities import Metric, RunTag

        tags = [RunTag("igrag.trial_state", state)] + ([RunTag("igrag.reason", reason[:4000])] if reason else [])
        metrics = [Metric(f"best_{self.metric}", float(value), _now(), 0)] if value is not None else []
        self.client.log_batch(run_id, metrics=metrics, tags=tags)
        self.client.set_terminated(run_id, STATUS.get(state, "FAILED"))

    def finish(self, best: dict[str, Any] | None, stopped: bool) -> None:
        from mlflow.entities import Metric, RunTag

        if best is not None:
            self.client.log_batch(self.parent_id, metrics=[Metric(f"best_{self.metric}", float(best["value"]), _now(), 0)],
                                  tags=[RunTag("igrag.best_trial", str(best["trial"]))])
        self.client.set_terminated(self.parent_id, "KILLED" if stopped else "FINISHED")


def _params(values: dict[str, Any]) -> list[Any]:
    from mlflow.entities import Param

    return [Param(str(k), (v if isinstance(v, str) else flow(v))[:6000]) for k, v in values.items()]


def _now() -> int:
    import time

    return int(time.time() * 1000)
