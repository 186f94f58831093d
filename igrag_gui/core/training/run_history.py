"""One training run as the user sees it: series, smoothing, best value, status and outcome.

``RunHistory.apply(event)`` is the one model of a run; ``describe(event)`` is the one wording of
an event. The terminal (``cli/progress.py``), the window's log and status (``ui/live``) and the
Train tab's outcome line all read them, so an event is worded the same everywhere. A value that
was not measured (``None`` or NaN: a NaN loss, a metric that could not run) always reads as
``MISSING`` ("—"), as ``metrics.names.format_score`` does for scores.

Kept fast for long runs: points go into preallocated numpy columns that double when full.
numpy is imported on the first point, so importing this module costs nothing at startup.
No Qt here: tested in ``tests/core``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import error_lines
from ..metrics.names import METRICS, describe as describe_scores, format_score, label as metric_label

if TYPE_CHECKING:
    import numpy as np

    from .events import Evaluated, Event, Failed, Finished, Logged, Preparing, Started

# The event classes are imported where events are read, not with this module: the window builds
# a RunHistory for its first frame, and a dozen dataclasses cost that frame ~3 ms.

MISSING = "\u2014"  # what a value that was not measured reads as, everywhere
DEFAULT_SMOOTHING = 0.9  # TensorBoard-style weight: EMA alpha = 1 - 0.9 = 0.1


# ------------------------------------------------------------------------------------ wording
def duration(seconds: float | None) -> str:
    """``0:05``, ``12:34``, ``1:01:40``; ``MISSING`` when unknown."""
    if seconds is None or not math.isfinite(seconds):
        return MISSING
    seconds = int(round(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def format_loss(value: float | None) -> str:
    """A loss with four decimals; ``MISSING`` for None or NaN (never ``nan``)."""
    if value is None or not math.isfinite(float(value)):
        return MISSING
    return f"{float(value):.4f}"


def format_params(trainable: int, total: int, percent: float) -> str:
    """``1,769,472 / 249,347,328 (0.71%)``; tiny shares keep two significant digits."""
    share = f"{percent:.2g}" if 0 < percent < 0.01 else f"{percent:.2f}"
    return f"{trainable:,} / {total:,} ({share}%)"


def describe(event: Event) -> str | None:
    """The one line that says what ``event`` means, or None for progress ticks (``Logged``,
    ``Progress``), which move a bar rather than add a line."""
    from .events import CheckpointSaved, Evaluated, Failed, Finished, Message, Preparing, Started

    if isinstance(event, Preparing):
        return event.describe()
    if isinstance(event, Started):
        procs = f"{event.world_size} {event.device} process{'es' if event.world_size != 1 else ''}"
        resumed = f", resuming at step {event.start_step:,}" if event.resumed_from else ""
        return (f"training: {event.trainable:,} trainable of {event.total:,} parameters ({event.percent:.2f}%), "
                f"{event.num_train_examples:,} examples, {event.max_steps:,} steps of "
                f"{event.effective_batch_size:,} on {procs}, {event.precision}{resumed}")
    if isinstance(event, Evaluated):
        best = f"  (best {metric_label(event.best_metric)} so far)" if event.best and event.best_metric else ""
        scores = f", {describe_scores(event.scores)}" if event.scores else ""
        return f"eval at step {event.step:,}: loss {format_loss(event.eval_loss)}{scores}{best}"
    if isinstance(event, CheckpointSaved):
        return f"checkpoint saved at step {event.step:,}: {event.path}"
    if isinstance(event, Message):
        return f"{event.level}: {event.text}"
    if isinstance(event, Finished):
        if event.stopped and event.checkpoint is None and event.step == 0:
            return "Stopped before the first step; nothing was saved"
        if event.stopped:
            return f"Stopped at step {event.step:,}; resumable checkpoint: {event.checkpoint}"
        best = (f"; best {metric_label(event.best_metric)} {format_score(event.best_score)}"
                if event.best_score is not None and event.best_metric else "")
        return (f"Finished {event.step:,} steps in {duration(event.seconds)}: adapter saved in "
                f"{event.output_dir}{best}")
    if isinstance(event, Failed):
        where = f" at step {event.step:,}" if event.step is not None else ""
        return f"Failed{where}: {event.message}"
    return None


# ------------------------------------------------------------------------------------ columns
class Columns:
    """Float64 columns appended one row at a time into preallocated storage that doubles when
    full. ``col(j)`` is a contiguous view of the rows held (no copy); column 0 is x, kept
    increasing."""

    def __init__(self, ncols: int, capacity: int = 1024):
        self._ncols, self._capacity = ncols, capacity
        self._data = None  # allocated on the first row: numpy is imported late
        self.n = 0
        self.last_x = -math.inf

    def __len__(self) -> int:
        return self.n

    def append(self, row: tuple[float, ...]) -> None:
        import numpy as np

        if self._data is None:
            self._data = np.empty((self._ncols, self._capacity))
        n, data = self.n, self._data
        if n == data.shape[1]:
            grown = np.empty((data.shape[0], 2 * n))
            grown[:, :n] = data
            self._data = data = grown
        data[:, n] = row
        self.n = n + 1
        self.last_x = row[0]

    def col(self, j: int) -> np.ndarray:
        if self._data is None:
            import numpy as np

            return np.empty(0)
        return self._data[j, :self.n]

    def keep_before(self, x: float) -> None:
        """Drop the rows whose x is >= ``x``."""
        import numpy as np

        self.n = int(np.searchsorted(self.col(0), x, side="left"))
        self.last_x = float(self._data[0, self.n - 1]) if self.n else -math.inf

    def reset(self) -> None:
        self._data = None
        self.n = 0
        self.last_x = -math.inf


def _num(value: float | None) -> float:
    return math.nan if value is None else float(value)


@dataclass
class Outcome:
    """How a run ended, as the Train tab shows it: ``kind`` is finished, stopped or failed."""

    kind: str
    text: str
    adapter: str | None = None  # the trained adapter folder (finished runs only)
    details: str = ""


# ------------------------------------------------------------------------------------ the model
class RunHistory:
    """Everything one run reported, kept as the view needs it.

    ``apply(event)`` returns the log lines the event adds (``describe``'s wording). ``changed``
    says whether the series (``"plots"``) or the figures (``"labels"``) moved since the renderer
    last took them (``take_changes``)."""

    def __init__(self, smoothing: float = DEFAULT_SMOOTHING):
        self.smoothing = smoothing
        self.train = Columns(4)  # step, loss, smoothed loss, learning rate
        self.evals = Columns(2 + len(METRICS))  # step, eval loss, then each of METRICS (NaN: not measured)
        self.events_read = 0  # how many events ``load`` read
        self.reset()

    def reset(self) -> None:
        self.train.reset()
        self.evals.reset()
        self.best: tuple[float, float] | None = None  # (step, value) of the latest best
        self.best_metric: str | None = None  # the metric that decides best/
        self._ema, self._ema_decay = 0.0, 1.0  # decay: smoothing ** points averaged (bias correction)
        self.status = "idle"  # idle, preparing, running, unfinished, stopped, finished, failed
        self.status_text = "No training run yet."
        self.run_text = ""
        self.data_warning = ""  # the data check's leakage warning, shown until the next run
        self.step, self.max_steps = 0, 0
        self.epoch: float | None = None
        self.elapsed: float | None = None
        self.eta: float | None = None
        self.speed: float | None = None
        self.loss: float | None = None
        self.params = MISSING
        self.device = MISSING
        self.closing: Finished | Failed | None = None
        self.last_checkpoint: str | None = None
        self.plots_changed = self.labels_changed = True

    def take_changes(self) -> tuple[bool, bool]:
        """(plots, labels) changed since the last call; clears both."""
        out = (self.plots_changed, self.labels_changed)
        self.plots_changed = self.labels_changed = False
        return out

    # -------------------------------------------------------------------------------- reading
    @property
    def status_line(self) -> str:
        """The status as one sentence."""
        if self.status == "running":
            of = f" of {self.max_steps:,}" if self.max_steps else ""
            return f"Training · step {self.step:,}{of}"
        if self.status == "unfinished":
            return (f"Recorded up to step {self.step:,} of {self.max_steps:,}: the run is still going "
                    f"or was interrupted")
        return self.status_text

    def steps(self) -> list[int]:
        """The training steps that logged a loss, in order (a resumed run's continue its curve)."""
        return [int(s) for s in self.train.col(0).tolist()]

    def data(self) -> dict[str, np.ndarray]:
        """Copies of the series held: step, loss, smoothed, learning_rate, eval_step, eval_loss,
        and ``eval_<metric>`` for every caption metric (NaN where it was not measured)."""
        t, e = self.train, self.evals
        out = {"step": t.col(0).copy(), "loss": t.col(1).copy(), "smoothed": t.col(2).copy(),
               "learning_rate": t.col(3).copy(), "eval_step": e.col(0).copy(), "eval_loss": e.col(1).copy()}
        out.update({f"eval_{m}": e.col(j).copy() for j, m in enumerate(METRICS, start=2)})
        return out

    def metric(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(steps, values) of one caption metric where it was measured."""
        import numpy as np

        j = 2 + METRICS.index(name)
        scored = np.isfinite(self.evals.col(j))
        return self.evals.col(0)[scored], self.evals.col(j)[scored]

    # -------------------------------------------------------------------------------- events
    def apply(self, event: Event) -> list[str]:
        """Take one event into the model; return the log lines it adds."""
        from .events import CheckpointSaved, Evaluated, Failed, Finished, Logged, Message, Preparing, Progress, Started

        if isinstance(event, Logged):
            self._add_point(event)
            self._progress(event.step, event.max_steps, event.epoch, event.elapsed, event.eta)
            if event.samples_per_second is not None:
                self.speed = event.samples_per_second
            self.loss = event.loss
        elif isinstance(event, Progress):
            self._progress(event.step, event.max_steps, event.epoch, event.elapsed, event.eta)
        elif isinstance(event, Preparing):
            self._preparing(event)
        elif isinstance(event, Evaluated):
            self._add_eval(event)
        elif isinstance(event, Started):
            self._start(event)
        elif isinstance(event, CheckpointSaved):
            self.last_checkpoint = event.path
        elif isinstance(event, Finished):
            self._finish(event)
        elif isinstance(event, Failed):
            self._fail(event)
        elif isinstance(event, Message):
            if event.topic == "leakage":
                self.data_warning = event.text
        else:
            return []
        self.labels_changed = True
        line = describe(event)
        if isinstance(event, Preparing) and event.phase not in ("cached", "done"):
            line = None  # the status shows the live figures; the log keeps the last word only
        lines = [] if line is None else [line]
        if isinstance(event, Failed) and event.details:
            lines += event.details.splitlines()
        return lines

    def set_smoothing(self, weight: float) -> bool:
        """Set the EMA weight of the smoothed loss (0 = none, 0.9 = alpha 0.1); True if it changed."""
        weight = min(max(float(weight), 0.0), 0.999)
        if weight == self.smoothing:
            return False
        self.smoothing = weight
        self._resmooth()
        return True

    def end(self, code: int, tail: str, last_checkpoint: str | None) -> Outcome:
        """The outcome once the training process has exited with ``code`` (negative: killed by that
        signal) and ``tail`` (its last stderr lines). A process that died without a closing event
        is recorded as a failure, so the view says it too."""
        from .events import Failed, Finished

        closing = self.closing
        if isinstance(closing, Finished):
            text = describe(closing) or ""
            if closing.stopped:
                return Outcome("stopped", text, details=tail)
            return Outcome("finished", text, adapter=closing.output_dir, details=tail)
        if isinstance(closing, Failed):
            return Outcome("failed", describe(closing) or "",
                           details=(closing.details + "\n\n" + tail).strip())
        errors = error_lines(tail.splitlines())
        if errors:
            text = "Training could not start: " + " ".join(errors)
        else:
            why = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
            text = (f"The training process {why} before finishing. "
                    + (f"The last good checkpoint is {last_checkpoint}; Resume continues from it." if last_checkpoint
                       else "No checkpoint was saved."))
        self.apply(Failed(message=text, checkpoint=last_checkpoint, details=tail))
        return Outcome("failed", text, details=tail)

    @classmethod
    def load(cls, path: str | Path, smoothing: float = DEFAULT_SMOOTHING) -> tuple[RunHistory, list[str]]:
        """A past run from its metrics.jsonl, and the log lines it makes. Unreadable lines (a last
        line cut short by a kill, say) are skipped and counted in the log. Raises ``OSError`` when
        the file cannot be read."""
        from .events import event_from_json

        path = Path(path)
        text = path.read_text(encoding="utf-8", errors="replace")
        history, log, skipped = cls(smoothing), [], 0
        for line in text.splitlines():
            if not line.strip():
                continue
            try:
                event = event_from_json(line)
            except (ValueError, KeyError, TypeError):
                skipped += 1
                continue
            log += history.apply(event)
            history.events_read += 1
        if skipped:
            log.append(f"{path}: skipped {skipped} unreadable line{'s' if skipped > 1 else ''}")
        if history.status == "running":
            history.status = "unfinished"
        return history, log

    # -------------------------------------------------------------------------------- internals
    def _smooth(self, loss: float) -> float:
        if not math.isfinite(loss):
            return math.nan
        w = self.smoothing
        self._ema = w * self._ema + (1.0 - w) * loss
        self._ema_decay *= w
        return self._ema / (1.0 - self._ema_decay) if self._ema_decay < 1.0 else loss

    def _resmooth(self) -> None:
        """Recompute the smoothed column (after a smoothing change or dropped points)."""
        self._ema, self._ema_decay = 0.0, 1.0
        t = self.train
        t.col(2)[:] = [self._smooth(loss) for loss in t.col(1).tolist()]
        self.plots_changed = True

    def _add_point(self, event: Logged) -> None:
        t = self.train
        step = float(event.step)
        if step <= t.last_x:  # a step logged again (resume without a Started): keep x increasing
            t.keep_before(step)
            self._resmooth()
        loss = float(event.loss)
        t.append((step, loss, self._smooth(loss), float(event.learning_rate)))
        self.plots_changed = True

    def _add_eval(self, event: Evaluated) -> None:
        e = self.evals
        step = float(event.step)
        if step <= e.last_x:
            e.keep_before(step)
        e.append((step, _num(event.eval_loss), *(_num(event.scores.get(m)) for m in METRICS)))
        if event.best_metric:
            self.best_metric = event.best_metric
        value = _num(event.best_value)
        if event.best and math.isfinite(value):
            self.best = (step, value)
        self.plots_changed = True

    def _progress(self, step: int, max_steps: int, epoch: float, elapsed: float | None, eta: float | None) -> None:
        self.step, self.max_steps = step, max_steps or self.max_steps
        self.epoch, self.elapsed, self.eta = epoch, elapsed, eta
        if self.status in ("idle", "unfinished"):
            self.status = "running"

    def _preparing(self, event: Preparing) -> None:
        """Data preparation before the first step: its words in the status, rows on the bar."""
        self.status = "preparing"
        self.status_text = "Preparing data · " + event.describe()
        if event.phase == "tokenizing":
            self.step, self.max_steps = event.done, event.total

    def _start(self, event: Started) -> None:
        # A resumed run starts at its checkpoint's step: what was logged after it is logged again.
        cut = float(event.start_step) + 0.5 if event.start_step else -math.inf
        for columns in (self.train, self.evals):
            columns.keep_before(cut)
        if self.best is not None and self.best[0] >= cut:
            self.best = None
            if self.best_metric in METRICS:
                import numpy as np

                values = self.evals.col(2 + METRICS.index(self.best_metric))
                if np.isfinite(values).any():
                    i = int(np.nanargmax(values))
                    self.best = (float(self.evals.col(0)[i]), float(values[i]))
        self._resmooth()
        self.status = "running"
        self.closing = None
        self.step, self.max_steps = event.start_step, event.max_steps
        self.epoch = self.elapsed = self.eta = self.speed = None
        self.loss = float(self.train.col(1)[-1]) if len(self.train) else None
        self.params = format_params(event.trainable, event.total, event.percent)
        procs = f"{event.world_size} process{'es' if event.world_size != 1 else ''}"
        self.device = f"{event.device} · {event.precision} · {procs}"
        parts = [f"{event.num_train_examples:,} training / {event.num_val_examples:,} validation examples",
                 f"batch {event.effective_batch_size:,}"]
        if event.resumed_from:
            parts.append(f"resumed from {Path(event.resumed_from).name} (step {event.start_step:,})")
        if event.output_dir:
            parts.append(event.output_dir)
        self.run_text = " · ".join(parts)

    def _finish(self, event: Finished) -> None:
        self.closing = event
        self.step = event.step
        self.eta = None
        if event.seconds:
            self.elapsed = event.seconds
        if event.train_samples_per_second is not None:
            self.speed = event.train_samples_per_second
        self.status = "stopped" if event.stopped else "finished"
        if not event.stopped:
            self.max_steps = max(self.max_steps, event.step)
        self.status_text = describe(event) or ""

    def _fail(self, event: Failed) -> None:
        self.closing = event
        self.status = "failed"
        if event.step is not None:
            self.step = event.step
        self.eta = None
        self.status_text = describe(event) or ""
