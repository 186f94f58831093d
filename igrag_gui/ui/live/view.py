"""The Train tab's live view: a ``RunHistory`` rendered as status, plots and log.

The view holds no run state of its own: events go into its ``history`` (the core model), which
returns the log lines (``describe``'s wording); the view only marks itself dirty. A single-shot
timer redraws at most every ``REDRAW_INTERVAL_MS`` and not at all while nothing new came in.

Only PySide6 and the core's event model are imported here: no torch, so the window paints before
any heavy import; numpy comes with the first point, pyqtgraph after the window's first frame.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Slot
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from ...core.training.run_history import DEFAULT_SMOOTHING, RunHistory
from ..theme import status_hex
from ..workers import after_first_paint
from .chart import RunChart, series_color
from .log_panel import LogPanel
from .status_panel import StatusPanel

if TYPE_CHECKING:
    import numpy as np

    from ...core.training.events import Event
    from ...core.training.run_history import Outcome

# One redraw a second: a training curve needs no more, and each redraw (~30 ms of plots) is CPU
# time the training child loses on a small machine. benchmarks/ui_latency.py, 2 cores: at 400 ms
# the window used 2.3-2.5 s CPU per 60-step run and the tab trained at 0.85x the CLI's samples/s;
# at 1000 ms, 1.4-1.5 s and 0.96x (event-loop p99 39 -> 16 ms).
REDRAW_INTERVAL_MS = 1000


class LiveView(QWidget):
    """Plots, progress and log of one training run, fed with core events.

    Slots (call them on the GUI thread, e.g. from a worker's queued signal):
    ``on_event(event)``, ``append_log(line)``, ``clear()``, ``redraw_now()``; and
    ``load_metrics(path)`` / ``show_history(history)`` to show a past run.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._history = RunHistory(DEFAULT_SMOOTHING)
        self._redraws = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REDRAW_INTERVAL_MS)
        self._timer.timeout.connect(self.redraw_now)

        self.status = StatusPanel(DEFAULT_SMOOTHING)
        self.status.smoothing_spin.valueChanged.connect(self.set_smoothing)
        self.chart = RunChart()
        self.log = LogPanel(self)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.chart)
        self.splitter.addWidget(self.log.view)
        self.splitter.setStretchFactor(0, 4)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 6)
        layout.setSpacing(6)
        layout.addWidget(self.status)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.log.toggle, 0, Qt.AlignmentFlag.AlignLeft)

        # the widgets by name, for callers and tests
        s = self.status
        self.status_label, self.run_label, self.progress_bar = s.status_label, s.run_label, s.progress_bar
        self.warning_label = s.warning_label
        self.smoothing_spin = s.smoothing_spin
        self.epoch_label, self.elapsed_label, self.eta_label = s.value("epoch"), s.value("elapsed"), s.value("eta")
        self.speed_label, self.loss_label, self.best_label = s.value("speed"), s.value("loss"), s.value("best")
        self.best_caption = s.stats["best"].caption
        self.stats_label, self.device_label = s.value("params"), s.value("device")
        self.log_view, self.log_toggle = self.log.view, self.log.toggle

        self._apply_palette()
        self.redraw_now()
        after_first_paint(self, self._build_plots_if_shown)

    # ------------------------------------------------------------------------------- public API
    @property
    def history(self) -> RunHistory:
        """The run shown (the core model; read it, feed it through ``on_event``)."""
        return self._history

    @property
    def plots(self):  # noqa: ANN201 - a pyqtgraph widget, imported lazily
        return self.chart.plots

    def ensure_plots(self) -> None:
        """Build the plots now (the app does it after the window's first frame)."""
        if not self.chart.is_built:
            self.chart.ensure_built()
            self._history.plots_changed = True
            self._schedule()

    @Slot(object)
    def on_event(self, event: Event) -> None:
        """Take one engine event into the view (drawn at the next redraw tick)."""
        from ...core.training.events import Failed

        self.log.add(self._history.apply(event))
        if isinstance(event, Failed):
            self.log.set_visible(True)
        self._schedule()

    @Slot(str)
    def append_log(self, line: str) -> None:
        """Add an engine output line to the log (shown at the next redraw tick)."""
        self.log.add([line.rstrip("\n")])
        self._schedule()

    def end_run(self, code: int, tail: str, last_checkpoint: str | None) -> Outcome:
        """The run's process has exited: its outcome (``RunHistory.end``); a process that died
        without saying why is shown as a failure, its log opened."""
        outcome = self._history.end(code, tail, last_checkpoint)
        if outcome.kind == "failed":
            self.log.set_visible(True)
        self.redraw_now()  # the end of a run is shown at once, not at the next tick
        return outcome

    @Slot()
    def clear(self) -> None:
        """Forget everything shown, ready for a new run."""
        self._history.reset()
        self.log.clear()
        self.chart.reset()
        self.redraw_now()

    def show_history(self, history: RunHistory, log: list[str] | None = None) -> None:
        """Show ``history`` (a past run, say) in place of the current one."""
        history.set_smoothing(self._history.smoothing)
        self._history = history
        history.plots_changed = history.labels_changed = True
        self.log.clear()
        self.chart.reset()
        self.log.add(log or [])
        self.redraw_now()

    def load_metrics(self, path: str | Path) -> int:
        """Show a past run from its metrics.jsonl; return how many events it held.

        Unreadable lines (a last line cut short by a kill, say) are skipped and counted in the log.
        Raises ``OSError`` when the file cannot be read: the caller says so to the user.
        """
        history, log = RunHistory.load(path, self._history.smoothing)
        self.show_history(history, log)
        return history.events_read

    @Slot(float)
    def set_smoothing(self, weight: float) -> None:
        """Set the EMA weight of the smoothed loss (0 = none, 0.9 = alpha 0.1)."""
        changed = self._history.set_smoothing(weight)
        if self.status.smoothing_spin.value() != self._history.smoothing:
            self.status.smoothing_spin.setValue(self._history.smoothing)
        if changed:
            self._schedule()

    @Slot(bool)
    def set_log_visible(self, visible: bool) -> None:
        self.log.set_visible(visible)

    @Slot()
    def redraw_now(self) -> None:
        """Draw what is pending now instead of at the next timer tick."""
        self._timer.stop()
        h = self._history
        if not (h.plots_changed or h.labels_changed or self.log.pending):
            return
        self._redraws += 1
        if h.plots_changed and not self.chart.is_built and self.isVisible() and (len(h.train) or len(h.evals)):
            self.chart.ensure_built()  # a hidden view builds its plots when it is first shown
        plots, labels = h.plots_changed and self.chart.is_built, h.labels_changed
        h.plots_changed = h.plots_changed and not plots  # undrawn series stay pending until built
        h.labels_changed = False
        if plots:
            self.chart.draw(h)
        if labels:
            self.status.show_history(h, series_color("error", self.palette()).name(), status_hex("warning", self))
        self.log.flush()

    # accessors for callers and tests
    def point_count(self) -> int:
        """Training-loss points held."""
        return len(self._history.train)

    def eval_count(self) -> int:
        return len(self._history.evals)

    @property
    def redraw_count(self) -> int:
        """How many redraws have run (each one draws everything that was pending)."""
        return self._redraws

    @property
    def smoothing(self) -> float:
        return self._history.smoothing

    def log_text(self) -> str:
        """The log as shown, after drawing any pending lines."""
        self.log.flush()
        return self.log.view.toPlainText()

    def data(self) -> dict[str, np.ndarray]:
        """Copies of the series held (see ``RunHistory.data``)."""
        return self._history.data()

    # ---------------------------------------------------------------------------------- Qt
    def _schedule(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def _build_plots_if_shown(self) -> None:
        if self.isVisible():
            self.ensure_plots()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt naming
        super().showEvent(event)
        if not self.chart.is_built:
            after_first_paint(self, self.ensure_plots)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt naming
        return QSize(900, 720)

    def _apply_palette(self) -> None:
        """The chart and the status panel follow their own palette; the status colour is drawn here."""
        self.status.apply_palette()
        self.log.update_toggle()
        self._history.labels_changed = True

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt naming
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "chart"):
            self._apply_palette()
            self.redraw_now()
        super().changeEvent(event)
