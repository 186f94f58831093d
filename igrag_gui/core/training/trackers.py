"""Experiment trackers (TensorBoard, MLflow) for a training run, through their own libraries.

The Trainer's own ``report_to`` integrations write the curves (transformers' TensorBoardCallback
and MLflowCallback: loss, learning rate, grad norm, every eval metric, the Trainer's arguments);
``config.report_to`` names the trackers and refuses one whose package is missing with one line
before any model loads; this module decides where they write; the
trainable-parameter stats those callbacks do not log are ``training.callbacks.TrackerStats``.
Where things go, and why:

- TensorBoard: ``RUN/tensorboard/`` (``TENSORBOARD_LOGGING_DIR`` wins, as transformers documents),
  so the run folder is all a user copies or points ``tensorboard --logdir`` at;
- MLflow: ``MLFLOW_TRACKING_URI`` when set, else ``sqlite:///RUN/../mlflow.db``: one store for a
  folder of runs (a sweep's trials share their sweep's). MLflow 3 refuses a bare ``./mlruns``
  file store unless ``MLFLOW_ALLOW_FILE_STORE=true``, so the default is its SQLite store.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from ..config.report_to import INSTALL, TRACKERS, installed, missing_message, problems, requested  # noqa: F401 - re-exported
from ..errors import UserError

TB_FOLDER = "tensorboard"
MLFLOW_DB = "mlflow.db"
EXPERIMENT = "igrag"  # MLFLOW_EXPERIMENT_NAME wins


def store_uri(folder: Path) -> str:
    """``MLFLOW_TRACKING_URI``, else the SQLite store ``folder/mlflow.db``."""
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{(Path(folder).resolve() / MLFLOW_DB).as_posix()}"


def tracking_uri(run_dir: Path) -> str:
    """Where MLflow records a run in ``run_dir``: the store beside the run folder (a sweep's
    trials: the sweep folder's), unless ``MLFLOW_TRACKING_URI`` says otherwise."""
    return store_uri(Path(run_dir).resolve().parent)


def tensorboard_dir(run_dir: Path) -> Path:
    return Path(os.environ.get("TENSORBOARD_LOGGING_DIR") or Path(run_dir) / TB_FOLDER).expanduser()


def destinations(names: list[str], run_dir: Path) -> str:
    """The one line that says where the trackers record this run."""
    where = {"tensorboard": f"TensorBoard in {tensorboard_dir(run_dir)}",
             "mlflow": f"MLflow at {tracking_uri(run_dir)} (experiment '{experiment_name()}')"}
    return "recording to " + " and ".join(where[n] for n in names)


def experiment_name() -> str:
    return os.environ.get("MLFLOW_EXPERIMENT_NAME") or EXPERIMENT


def quiet_mlflow() -> None:
    """MLflow's SQLite store logs its schema migrations at INFO on first use; the run's own
    events are what the terminal shows."""
    for name in ("alembic", "mlflow"):
        logging.getLogger(name).setLevel(logging.WARNING)


def first_sentence(exc: BaseException) -> str:
    """The first sentence of an exception's text, at most 200 characters (MLflow's run long)."""
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return text.split(". ")[0].rstrip(".")[:200]


def open_mlflow(uri: str) -> Any:
    """Point MLflow's fluent API at ``uri`` and the experiment, creating the store if new; a store
    that cannot be opened is the user's to fix (one line)."""
    import mlflow

    quiet_mlflow()
    try:
        mlflow.set_tracking_uri(uri)
        mlflow.set_experiment(experiment_name())
    except Exception as exc:  # noqa: BLE001 - SQLAlchemy, the file store and the REST client raise many kinds
        reason = first_sentence(exc)
        raise UserError(f"training.report_to: MLflow cannot open the tracking store '{uri}' ({reason}); "
                        f"set MLFLOW_TRACKING_URI to a store it can open (e.g. sqlite:///path/to/mlflow.db "
                        f"or http://host:5000)") from None
    return mlflow


def check(value: Any) -> list[str]:
    """The names to pass as the Trainer's ``report_to``, or the one-line refusal."""
    found = problems(value)
    if found:
        raise UserError(f"training.report_to: {found[0]}")
    return requested(value)


def stats_text(stats: dict[str, Any]) -> str:
    return (f"{stats['method']}: {stats['trainable']:,} trainable parameters of {stats['total']:,} "
            f"({stats['percent']:g}%)")
