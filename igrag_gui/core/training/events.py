"""What a training run reports: plain, typed, serialisable events.

The engine emits them to any sink (a callable). The CLI prints them, metrics.jsonl stores them,
and the GUI, which runs training in a child process, reads them as JSON lines from its pipe.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Callable, ClassVar

from ..data.progress import PrepareProgress


@dataclass
class Event:
    kind: ClassVar[str] = "event"

    def to_dict(self) -> dict[str, Any]:
        return {"event": self.kind, **asdict(self)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), allow_nan=True)


@dataclass
class Started(Event):
    """Training is about to take its first step."""

    kind: ClassVar[str] = "started"
    trainable: int
    total: int
    percent: float
    max_steps: int
    num_train_examples: int
    num_val_examples: int
    effective_batch_size: int
    world_size: int = 1
    device: str = "cpu"
    precision: str = "fp32"
    resumed_from: str | None = None
    start_step: int = 0
    output_dir: str = ""
    method: str = "lora"
    seed: int | None = None  # training.seed: data order, initialisation and dropout all follow it


@dataclass
class Logged(Event):
    """A training log line (every ``logging_steps``)."""

    kind: ClassVar[str] = "log"
    step: int
    max_steps: int
    epoch: float
    loss: float
    learning_rate: float
    grad_norm: float | None = None
    samples_per_second: float | None = None
    elapsed: float = 0.0
    eta: float | None = None


@dataclass
class Progress(Event):
    """An optimizer step finished (no loss: that comes with ``Logged``)."""

    kind: ClassVar[str] = "progress"
    step: int
    max_steps: int
    epoch: float
    elapsed: float
    eta: float | None = None


@dataclass
class Preparing(PrepareProgress, Event):
    """Data preparation before the first step: a ``data.progress.PrepareProgress`` step (its fields)
    as an event."""

    kind: ClassVar[str] = "preparing"

    def describe(self) -> str:
        """The one wording of this event, for the terminal and the window alike."""
        if self.phase == "reading":
            if not self.total:
                return f"reading {self.file}"
            return f"reading {self.file}: {self.done / 1e6:,.0f} of {self.total / 1e6:,.0f} MB"
        if self.phase == "tokenizing":
            rate = f" ({self.rate:,.0f} rows/s)" if self.rate else ""
            return f"tokenizing {self.file}: {self.done:,} of {self.total:,} rows{rate}"
        if self.phase == "waiting":
            return f"waiting for rank 0 to prepare {self.file}"
        if self.phase == "cached":
            return f"{self.file}: {self.done:,} rows, tokenized, from the cache"
        return f"{self.file}: {self.done:,} rows tokenized in {self.elapsed:.1f} s"


@dataclass
class Evaluated(Event):
    """An evaluation: loss, and the configured caption metrics (``scores``: config name -> value
    on pycocoevalcap's 0-1 scale). In JSON the scores are flat ``eval_<name>`` keys
    (``eval_bleu4``, ``eval_cider``); an old run's ``eval_bleu`` (0-100) reads back as bleu4."""

    kind: ClassVar[str] = "eval"
    step: int
    epoch: float
    eval_loss: float
    scores: dict[str, float] = field(default_factory=dict)
    best: bool = False
    best_metric: str | None = None  # the metric that decides best/ (training.metric_for_best_model)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"event": self.kind, "step": self.step, "epoch": self.epoch, "eval_loss": self.eval_loss}
        out.update({f"eval_{name}": value for name, value in self.scores.items()})
        out.update(best=self.best, best_metric=self.best_metric)
        return out

    @property
    def best_value(self) -> float | None:
        """The value of the metric that decides best/, if measured."""
        return self.scores.get(self.best_metric) if self.best_metric else None


@dataclass
class CheckpointSaved(Event):
    kind: ClassVar[str] = "checkpoint"
    step: int
    path: str


@dataclass
class Message(Event):
    """A warning or note for the user (truncated prompts, fp16 on a CPU, ...)."""

    kind: ClassVar[str] = "message"
    level: str
    text: str
    topic: str = ""  # "leakage": the data check found leakage (the window shows it above the plots)


@dataclass
class Finished(Event):
    kind: ClassVar[str] = "finished"
    step: int
    output_dir: str
    stopped: bool = False
    checkpoint: str | None = None
    best_checkpoint: str | None = None
    best_score: float | None = None  # best value of best_metric (0-1 scale)
    best_metric: str | None = None
    seconds: float = 0.0
    train_samples_per_second: float | None = None


@dataclass
class Failed(Event):
    """The run ended on an error the user can act on (``message`` says how)."""

    kind: ClassVar[str] = "failed"
    message: str
    step: int | None = None
    checkpoint: str | None = None
    details: str = ""


EVENT_TYPES: dict[str, type[Event]] = {
    cls.kind: cls for cls in (Preparing, Started, Logged, Progress, Evaluated, CheckpointSaved, Message, Finished, Failed)
}

Sink = Callable[[Event], None]


def event_from_dict(data: dict[str, Any]) -> Event:
    """Rebuild an event from ``to_dict`` output (unknown keys from newer versions are dropped)."""
    cls = EVENT_TYPES[data["event"]]
    names = {f.name for f in fields(cls)}
    values = {k: v for k, v in data.items() if k in names}
    if cls is Evaluated and "scores" not in data:
        from ..metrics.names import scores_of

        values["scores"] = scores_of(data)
        if values.get("best_metric") is None and "eval_bleu" in data:
            values["best_metric"] = "bleu4"
    elif cls is Finished and "best_bleu" in data and data.get("best_bleu") is not None and "best_score" not in data:
        values.update(best_score=float(data["best_bleu"]) / 100.0, best_metric="bleu4")
    return cls(**values)


def event_from_json(line: str) -> Event:
    from ..files.bounded import json_loads

    return event_from_dict(json_loads(line))


@dataclass
class Collect:
    """A sink that keeps every event (tests, the GUI's run history)."""

    events: list[Event] = field(default_factory=list)

    def __call__(self, event: Event) -> None:
        self.events.append(event)

    def of(self, cls: type[Event]) -> list[Any]:
        return [e for e in self.events if isinstance(e, cls)]
