"""The engine's Trainer callbacks and process helpers: what a run reports and how it stops.

``EngineCallback`` turns Trainer hooks into ``events`` (rank 0 only), writes ``metrics.jsonl``
and carries a stop request (Ctrl+C, the stop line, a sweep's pruner) into the loop at the next
step, agreed by every process so none waits forever in an all-reduce. ``training.py`` builds the
run; this module only watches it.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from ..task_state import TaskState
from .checkpoints import save_adapter
from .trackers import stats_text
from .events import CheckpointSaved, Evaluated, Event, Logged, Message, Progress, Sink, Started


# ---------------------------------------------------------------------------------- processes
def world() -> tuple[int, int]:
    """(rank, world size) of this process under torchrun / accelerate, else (0, 1)."""
    return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))


def is_main_process() -> bool:
    return world()[0] == 0


def leave_process_group(finished: bool) -> None:
    """End torch.distributed cleanly before the interpreter exits. A gloo group left alive at
    exit can abort a rank ("terminate called without an active exception") after a good run.
    After a normal end the ranks meet first, so none leaves while another still writes."""
    if world()[1] <= 1:
        return
    import torch.distributed as dist

    if not dist.is_available() or not dist.is_initialized():
        return
    try:
        if finished:
            dist.barrier()
    finally:
        dist.destroy_process_group()


# ---------------------------------------------------------------------------------- the callback
@dataclass
class RunState:
    """What the callback learns during the run, read by ``train`` when it ends."""

    task: TaskState = field(default_factory=TaskState)  # its cancel request is the run's stop
    stopped: bool = False
    nan_step: int | None = None
    best_score: float | None = None  # the best value of the metric that decides best/
    best_dir: Path | None = None
    last_checkpoint: Path | None = None
    start_time: float = 0.0
    start_step: int = 0


class EngineCallback(TrainerCallback):
    """Turns Trainer hooks into events (rank 0 only) and carries stop requests into the loop."""

    def __init__(self, sink: Sink, state: RunState, metrics_path: Path | None, started: dict[str, Any],
                 effective_batch: int):
        self.sink, self.run, self.metrics_path = sink, state, metrics_path
        self.started, self.effective_batch = started, effective_batch
        self.trainer: Any = None
        self.best_metric: str | None = None  # training.metric_for_best_model, when it is measured
        self._told: set[str] = set()

    def _emit(self, event: Event, record: bool = True) -> None:
        if not is_main_process():
            return
        if record and self.metrics_path is not None:
            with self.metrics_path.open("a", encoding="utf-8") as fh:
                fh.write(event.to_json() + "\n")
        self.sink(event)

    def _timing(self, state: Any) -> tuple[float, float | None]:
        elapsed = time.monotonic() - self.run.start_time
        done = state.global_step - self.run.start_step
        left = state.max_steps - state.global_step
        return elapsed, (elapsed / done * left if done > 0 else None)

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.run.start_time = time.monotonic()
        self.run.start_step = state.global_step
        self._emit(Started(max_steps=state.max_steps, start_step=state.global_step, **self.started))

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        stop, nan = self.run.task.cancelled(), self.trainer is not None and self.trainer.nan_step is not None
        stop, nan = _agree_across_processes(stop, nan)
        if nan:
            self.run.nan_step = self.run.nan_step or (self.trainer.nan_step if self.trainer else state.global_step)
            control.should_training_stop = True
            control.should_save = False  # never checkpoint NaN weights
            control.should_evaluate = False
            control.should_log = False
        elif stop:
            self.run.stopped = True
            control.should_training_stop = True
            control.should_save = True  # a resumable checkpoint at this very step
            control.should_evaluate = False
        elapsed, eta = self._timing(state)
        self._emit(Progress(step=state.global_step, max_steps=state.max_steps, epoch=float(state.epoch or 0),
                            elapsed=round(elapsed, 3), eta=None if eta is None else round(eta, 3)), record=False)

    def on_epoch_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        """A stop ends the epoch early: its checkpoint was saved at the step, and the epoch's
        evaluation (15-30 s at FLAN-T5-base's size) is not what the user asked for; it can run on
        Resume or on request (``igrag eval``)."""
        if self.run.stopped or self.run.nan_step is not None:
            control.should_evaluate = False
            control.should_save = False

    def on_log(self, args: Any, state: Any, control: Any, logs: dict | None = None, **kwargs: Any) -> None:
        logs = logs or {}
        if "loss" not in logs or "eval_loss" in logs:
            return
        elapsed, eta = self._timing(state)
        done = state.global_step - self.run.start_step
        grad_norm = logs.get("grad_norm")
        self._emit(Logged(
            step=state.global_step, max_steps=state.max_steps, epoch=float(logs.get("epoch", state.epoch or 0)),
            loss=float(logs["loss"]), learning_rate=float(logs.get("learning_rate", 0.0)),
            grad_norm=None if grad_norm is None else float(grad_norm),
            samples_per_second=round(done * self.effective_batch / elapsed, 3) if elapsed > 0 and done else None,
            elapsed=round(elapsed, 3), eta=None if eta is None else round(eta, 3),
        ))

    def on_evaluate(self, args: Any, state: Any, control: Any, metrics: dict | None = None,
                    model: Any = None, **kwargs: Any) -> None:
        metrics = metrics or {}
        if "eval_loss" not in metrics:
            return
        from ..metrics.names import METRICS, event_key

        scores = {m: float(metrics[event_key(m)]) for m in METRICS if event_key(m) in metrics}
        for reason in getattr(self.trainer, "caption_unavailable", {}).values():
            if reason not in self._told:
                self._told.add(reason)
                self._emit(Message("warning", f"{reason}; it is left out of this run's evaluations"))
        value = scores.get(self.best_metric, float("nan")) if self.best_metric else float("nan")
        best = not math.isnan(value) and (self.run.best_score is None or value > self.run.best_score)
        if best:
            self.run.best_score = value
            if is_main_process() and model is not None:
                self.run.best_dir = save_adapter(model, Path(args.output_dir) / "best",
                                                 extra={"step": state.global_step, "eval_loss": float(metrics["eval_loss"]),
                                                        "best_metric": self.best_metric,
                                                        **{event_key(m): v for m, v in scores.items()}})
        self._emit(Evaluated(step=state.global_step, epoch=float(state.epoch or 0),
                             eval_loss=float(metrics["eval_loss"]), scores=scores, best=best,
                             best_metric=self.best_metric))

    def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        path = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        if path.is_dir():
            self.run.last_checkpoint = path
            self._emit(CheckpointSaved(step=state.global_step, path=str(path)))


class AdaLoraAllocation(TrainerCallback):
    """AdaLoRA's rank budget: PEFT asks for ``update_and_allocate(step)`` after each optimizer
    step and before the gradients are zeroed, which is where ``on_optimizer_step`` runs."""

    def on_optimizer_step(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
        if model is not None:
            inner = getattr(model, "module", model)  # DDP
            inner.base_model.update_and_allocate(state.global_step)


def _agree_across_processes(*flags: bool) -> tuple[bool, ...]:
    """Every process must stop at the same step, or the others wait forever in an all-reduce."""
    if world()[1] <= 1:
        return flags
    import torch
    import torch.distributed as dist

    if not dist.is_available() or not dist.is_initialized():
        return flags
    t = torch.tensor([1.0 if f else 0.0 for f in flags])
    if dist.get_backend() == "nccl":
        t = t.cuda()
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return tuple(bool(v) for v in t.tolist())


class TrackerStats(TrainerCallback):
    """The trainable-parameter stats, which the Trainer's integrations do not log: TensorBoard
    scalars ``model/trainable_parameters`` ... and a text; MLflow params ``igrag.*``. Runs after
    the integrations' ``on_train_begin`` (the Trainer calls its report_to callbacks first), so
    the TensorBoard writer and the MLflow run exist."""

    SCALARS = ("trainable", "total", "percent")

    def __init__(self, stats: dict[str, Any], board: Any, mlflow: bool):
        self.stats, self.board, self.mlflow = stats, board, mlflow

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if not state.is_world_process_zero:
            return
        s = self.stats
        writer = getattr(self.board, "tb_writer", None)
        if writer is not None:
            for key, tag in zip(self.SCALARS, ("trainable_parameters", "total_parameters", "trainable_percent")):
                writer.add_scalar(f"model/{tag}", s[key], state.global_step)
            writer.add_text("model/parameters", stats_text(s), state.global_step)
            writer.flush()
        if self.mlflow:
            import mlflow

            if mlflow.active_run() is not None:
                mlflow.log_params({"igrag.method": s["method"], "igrag.trainable_parameters": s["trainable"],
                                   "igrag.total_parameters": s["total"], "igrag.trainable_percent": s["percent"],
                                   "igrag.effective_batch_size": s["effective_batch_size"],
                                   "igrag.num_train_examples": s["num_train_examples"]})


def attach_trackers(trainer: Any, names: list[str], output_dir: Path, stats: dict[str, Any]) -> None:
    """Send the Trainer's TensorBoard events into the run folder (MLflow's store was opened before
    the model loaded), and add the callback that logs the trainable-parameter stats (rank 0; the integrations are
    rank-0-only themselves)."""
    if not names:
        return
    board = None
    if "tensorboard" in names:
        from transformers.integrations import TensorBoardCallback

        board = next((c for c in trainer.callback_handler.callbacks if isinstance(c, TensorBoardCallback)), None)
        if board is not None:
            from .trackers import tensorboard_dir

            board.logging_dir = str(tensorboard_dir(output_dir))  # the callback's public setting
    trainer.add_callback(TrackerStats(stats, board, "mlflow" in names))
