"""TensorBoard event files for runs recorded before ``training.report_to`` (``igrag runs export-tb``).

The curves come from the run's ``metrics.jsonl`` as ``Run.series`` reads them (a resumed run's
replaced steps left out), written by TensorBoard's own writer (torch's ``SummaryWriter``) under
the tags transformers' TensorBoardCallback uses live (``train/loss``, ``train/learning_rate``,
``eval/<metric>``), into the same ``RUN/tensorboard/``: an exported run and a live one sit side by
side in TensorBoard. The trainable-parameter stats go under ``model/`` as in a live run.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import UserError
from ..training.trackers import TB_FOLDER, installed, missing_message, stats_text
from .runs import Run

TAGS = {"train_loss": "train/loss", "learning_rate": "train/learning_rate"}


def tag(name: str) -> str:
    """The TensorBoard tag of a ``Run.series`` curve."""
    return TAGS.get(name, f"eval/{name}")


def has_events(folder: Path) -> bool:
    return folder.is_dir() and any(p.name.startswith("events.out.tfevents") for p in folder.rglob("*"))


def export_tensorboard(runs: list[Run]) -> list[Path]:
    """Write each run's event files; refuse (writing nothing) when TensorBoard is missing or a
    run already has event files (a live ``report_to`` run, or an earlier export)."""
    if not installed("tensorboard"):
        raise UserError(f"runs export-tb: {missing_message(['tensorboard'])}")
    for run in runs:
        if has_events(run.path / TB_FOLDER):
            raise UserError(f"run '{run.path}' already has TensorBoard event files in {run.path / TB_FOLDER}; "
                            f"nothing was written (delete that folder to export again)")
    from torch.utils.tensorboard import SummaryWriter

    written = []
    for run in runs:
        folder = run.path / TB_FOLDER
        writer = SummaryWriter(log_dir=str(folder))
        try:
            started = next((e for e in run.events if e.get("event") == "started"), None)
            if started and {"trainable", "total", "percent"} <= set(started):
                for key, name in (("trainable", "trainable_parameters"), ("total", "total_parameters"),
                                  ("percent", "trainable_percent")):
                    writer.add_scalar(f"model/{name}", float(started[key]), 0)
                writer.add_text("model/parameters", stats_text({"method": run.method, **started}), 0)
            for name, points in run.series().items():
                for point in points:
                    writer.add_scalar(tag(name), point.value, point.step)
        finally:
            writer.close()
        written.append(folder)
    return written
