"""Training events as a terminal progress display (a live bar on a TTY, plain lines otherwise).

Every line an event adds is ``core.training.run_history.describe``'s wording, the same as the window's log.
"""

from __future__ import annotations

import sys
from typing import IO

from ..core.training.events import Evaluated, Event, Failed, Finished, Logged, Message, Preparing, Progress
from ..core.training.run_history import describe, duration, format_loss


PLAIN_EVERY = 2.0  # seconds between preparation lines when the output is not a terminal


class TerminalProgress:
    """A sink for engine events that writes to ``stream`` (stderr by default)."""

    def __init__(self, stream: IO[str] | None = None, live: bool | None = None, width: int = 24,
                 steps_only: bool = False):
        self.stream = stream or sys.stderr
        # steps_only: a parent reads the events and words them itself (the window's log); the
        # step lines, which events leave to the reader's bar, are all this adds to its stderr
        self.steps_only = steps_only
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
        loss = f" loss {format_loss(self.loss)}" if self.loss is not None else ""
        lr = f" lr {self.lr:.2e}" if self.lr is not None else ""
        scores = ""
        if self.scores:
            from ..core.metrics.names import describe as describe_scores

            scores = " | " + describe_scores(self.scores, " ")
        return (f"step {step}/{total} [{'#' * filled}{'.' * (self.width - filled)}] {100 * frac:3.0f}%"
                f"{loss}{lr} epoch {epoch:.2f}{scores} | {duration(elapsed)} elapsed, ETA {duration(eta)}")

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
        if self.steps_only and not isinstance(event, Logged):
            return
        if isinstance(event, Preparing):
            self._preparing(event)
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
        elif isinstance(event, Failed):
            pass  # the CLI prints it as its error line
        else:
            if isinstance(event, Evaluated):
                self.scores = dict(event.scores)
            text = describe(event)
            if text is None:
                return
            if isinstance(event, Message):
                text = "igrag: " + text  # the CLI's own lines on stderr start so
            self._line(text)
            if isinstance(event, Finished) and event.stopped and event.checkpoint is not None:
                self._line("resume with: igrag train CONFIG --resume")
