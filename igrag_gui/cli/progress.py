"""Training events as a terminal progress display (a live bar on a TTY, plain lines otherwise)."""

from __future__ import annotations

import sys
from typing import IO

from ..core.events import (CheckpointSaved, Evaluated, Event, Failed, Finished, Logged, Message, Preparing,
                           Progress, Started)


PLAIN_EVERY = 2.0  # seconds between preparation lines when the output is not a terminal


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = int(round(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class TerminalProgress:
    """A sink for engine events that writes to ``stream`` (stderr by default)."""

    def __init__(self, stream: IO[str] | None = None, live: bool | None = None, width: int = 24):
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.width = width
        self.loss: float | None = None
        self.lr: float | None = None
        self.scores: dict[str, float] = {}  # the latest evaluation's caption metrics
        self._bar_shown = False
        self._prep_phase = ""
        self._prep_printed = 0.0

    def _line(self, text: str) -> None:
        if self._bar_shown:
            self.stream.write("\r\x1b[2K")
            self._bar_shown = False
        self.stream.write(text + "\n")
        self.stream.flush()

    def _bar(self, step: int, total: int, epoch: float, elapsed: float, eta: float | None) -> str:
        frac = step / total if total else 0.0
        filled = int(self.width * frac)
        loss = f" loss {self.loss:.4f}" if self.loss is not None else ""
        lr = f" lr {self.lr:.2e}" if self.lr is not None else ""
        scores = ""
        if self.scores:
            from ..core.metrics.names import describe

            scores = " | " + describe(self.scores, " ")
        return (f"step {step}/{total} [{'#' * filled}{'.' * (self.width - filled)}] {100 * frac:3.0f}%"
                f"{loss}{lr} epoch {epoch:.2f}{scores} | {_duration(elapsed)} elapsed, ETA {_duration(eta)}")

    def _preparing(self, event: Preparing) -> None:
        """A live line on a terminal; elsewhere a line per phase and one every few seconds."""
        text = event.describe()
        if event.phase in ("tokenizing", "reading") and event.total:
            frac = min(1.0, event.done / event.total)
            filled = int(self.width * frac)
            text = f"{text} [{'#' * filled}{'.' * (self.width - filled)}] {100 * frac:3.0f}%"
        final = event.phase in ("cached", "done")
        if self.live and not final:
            self.stream.write("\r\x1b[2K" + text)
            self.stream.flush()
            self._bar_shown = True
        elif final or event.phase != self._prep_phase or event.elapsed - self._prep_printed >= PLAIN_EVERY:
            self._prep_printed = event.elapsed
            self._line(text)
        self._prep_phase = event.phase

    def __call__(self, event: Event) -> None:
        if isinstance(event, Preparing):
            self._preparing(event)
        elif isinstance(event, Started):
            resumed = f", resuming at step {event.start_step}" if event.resumed_from else ""
            self._line(f"training: {event.trainable:,} trainable of {event.total:,} parameters "
                       f"({event.percent:.2f}%), {event.num_train_examples} examples, "
                       f"{event.max_steps} steps of {event.effective_batch_size} on {event.world_size} "
                       f"{event.device} process(es), {event.precision}{resumed}")
        elif isinstance(event, Progress):
            if self.live:
                self.stream.write("\r\x1b[2K" + self._bar(event.step, event.max_steps, event.epoch,
                                                          event.elapsed, event.eta))
                self.stream.flush()
                self._bar_shown = True
        elif isinstance(event, Logged):
            self.loss, self.lr = event.loss, event.learning_rate
            if not self.live:
                self._line(self._bar(event.step, event.max_steps, event.epoch, event.elapsed, event.eta))
        elif isinstance(event, Evaluated):
            from ..core.metrics.names import describe, label

            self.scores = dict(event.scores)
            best = f"  (best {label(event.best_metric)} so far)" if event.best and event.best_metric else ""
            scores = f", {describe(event.scores)}" if event.scores else ""
            self._line(f"eval at step {event.step}: loss {event.eval_loss:.4f}{scores}{best}")
        elif isinstance(event, CheckpointSaved):
            self._line(f"checkpoint saved: {event.path}")
        elif isinstance(event, Message):
            self._line(f"igrag: {event.level}: {event.text}")
        elif isinstance(event, Finished):
            if event.stopped and event.checkpoint is None and event.step == 0:
                self._line("stopped before the first step; nothing was saved")
            elif event.stopped:
                self._line(f"stopped at step {event.step}; resumable checkpoint: {event.checkpoint}\n"
                           f"resume with: igrag train CONFIG --resume")
            else:
                from ..core.metrics.names import format_score, label

                best = (f"; best {label(event.best_metric)} {format_score(event.best_score)} in {event.best_checkpoint}"
                        if event.best_score is not None and event.best_metric else "")
                self._line(f"done in {_duration(event.seconds)}: adapter saved in {event.output_dir}{best}")
        elif isinstance(event, Failed):
            pass  # the CLI prints it as an error line
