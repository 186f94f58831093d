"""The Train tab's live view: plots, progress and log of a running (or past) training run.

It shows what the engine reports as events (``igrag_gui.core.events``) and nothing else; it holds
no model. Events arrive on the GUI thread (queued signals from the worker, or ``load_metrics``).

Kept fast for long runs:
- points go into preallocated numpy columns that double when full (no per-point Python lists);
- an event only stores values and marks the view dirty; a single-shot timer redraws plots and
  labels at most every ``REDRAW_INTERVAL_MS`` and not at all while nothing new came in;
- curves clip to the visible x range and downsample (peak) to the plot's pixel width.

Only PySide6, numpy and the event types are imported here: no torch, so the window paints before
any heavy import. pyqtgraph (0.5 s to import, 0.2 s per view to build) comes in after the
window's first frame: the plots are built then, or when data first arrives.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Slot
from PySide6.QtGui import QColor, QFont, QFontDatabase, QPalette
from PySide6.QtWidgets import (QDoubleSpinBox, QGridLayout, QHBoxLayout, QLabel, QPlainTextEdit,
                               QProgressBar, QSizePolicy, QSplitter, QToolButton, QVBoxLayout, QWidget)

from ..core.metrics.names import METRICS, describe, format_score
from ..core.metrics.names import label as metric_label
from .workers import after_first_paint

if TYPE_CHECKING:  # numpy loads after the first paint; the events with the first one
    import numpy as np

    from ..core.events import Evaluated, Event, Failed, Finished, Logged, Preparing, Started

# One redraw a second: a training curve needs no more, and each redraw (~30 ms of plots) is CPU
# time the training child loses on a small machine. benchmarks/ui_latency.py, 2 cores: at 400 ms
# the window used 2.3-2.5 s CPU per 60-step run and the tab trained at 0.85x the CLI's samples/s;
# at 1000 ms, 1.4-1.5 s and 0.96x (event-loop p99 39 -> 16 ms).
REDRAW_INTERVAL_MS = 1000
LOG_MAX_LINES = 5000
DEFAULT_SMOOTHING = 0.9  # TensorBoard-style weight: EMA alpha = 1 - 0.9 = 0.1
# Antialiased lines cost most of a paint; past this many points the step curves draw without.
ANTIALIAS_MAX_POINTS = 5000
# Samples per pixel kept by automatic downsampling (pyqtgraph's default, 5, draws 2.5x more).
DOWNSAMPLE_PER_PIXEL = 2.0
DASH = "—"

# Series colours for a light and a dark background (chosen to read on either).
_COLORS = {
    "loss": ("#3b6fb6", "#6ea8fe"),
    "eval": ("#d9653b", "#ffa26b"),
    "lr": ("#2f9e63", "#63d69a"),
    "best": ("#d4a017", "#ffd24d"),
    "error": ("#c62828", "#ff6b6b"),
}


# One colour per caption metric (config name), on either background.
_METRIC_COLORS = {"bleu1": "#9c88d9", "bleu2": "#8a6fd0", "bleu3": "#7b52c7", "bleu4": "#6a3fc0",
                  "meteor": "#2a9d8f", "rouge_l": "#e07a5f", "cider": "#c0398f", "spice": "#5f8a2f"}


def _duration(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return DASH
    seconds = int(round(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def format_params(trainable: int, total: int, percent: float) -> str:
    """``1,769,472 / 249,347,328 (0.71%)``; tiny shares keep two significant digits."""
    share = f"{percent:.2g}" if 0 < percent < 0.01 else f"{percent:.2f}"
    return f"{trainable:,} / {total:,} ({share}%)"


def _num(value: float | None) -> float:
    return math.nan if value is None else float(value)


class _Columns:
    """Float64 columns appended one row at a time into preallocated storage that doubles when
    full. ``col(j)`` is a contiguous view of the rows held (no copy); column 0 is x, kept
    increasing."""

    def __init__(self, ncols: int, capacity: int = 1024):
        self._ncols, self._capacity = ncols, capacity
        self._data = None  # allocated on the first row: numpy is imported after the first frame
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


def _lr_axis(pg):
    """An axis for learning rates (made on first use: pyqtgraph is imported lazily)."""

    class _LrAxis(pg.AxisItem):
        """Learning rates read best as ``5e-4`` rather than ``0.0005``, with as many digits as the
        tick spacing needs (a constant rate zoomed in gives ``9.9e-4, 1e-3, 1.01e-3``)."""

        def tickStrings(self, values, scale, spacing):  # noqa: N802 - pyqtgraph naming
            if not values:
                return []
            largest = max(abs(v) for v in values) * scale
            step = abs(spacing * scale)
            digits = max(0, min(6, math.ceil(math.log10(largest / step)))) if largest and step else 0
            out = []
            for v in values:
                mantissa, exponent = f"{v * scale:.{digits}e}".split("e")
                mantissa = mantissa.rstrip("0").rstrip(".") if "." in mantissa else mantissa
                out.append("0" if float(mantissa) == 0 else f"{mantissa}e{int(exponent)}")
            return out

    return _LrAxis("left")


class _Stat(QWidget):
    """A small caption above a value (the progress section's cells)."""

    def __init__(self, caption: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.caption = QLabel(caption.upper())
        font = self.caption.font()
        font.setPointSizeF(max(6.5, font.pointSizeF() * 0.78))
        font.setLetterSpacing(QFont.SpacingType.PercentageSpacing, 106)
        self.caption.setFont(font)
        self.value = QLabel(DASH)
        self.value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        layout.addWidget(self.caption)
        layout.addWidget(self.value)


class LiveView(QWidget):
    """Plots, progress and log of one training run, fed with core events.

    Slots (call them on the GUI thread, e.g. from a worker's queued signal):
    ``on_event(event)``, ``append_log(line)``, ``clear()``, ``redraw_now()``; and
    ``load_metrics(path)`` to show a past run from its metrics.jsonl.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._train = _Columns(4)  # step, loss, smoothed loss, learning rate
        self._evals = _Columns(2 + len(METRICS))  # step, eval loss, then each of METRICS (NaN: not measured)
        self._best: tuple[float, float] | None = None  # (step, value) of the latest best
        self._best_metric: str | None = None  # the metric that decides best/
        self._smoothing = DEFAULT_SMOOTHING
        self._ema = 0.0
        self._ema_decay = 1.0  # smoothing ** (points averaged), for the bias correction
        self._pending_log: list[str] = []
        self._plots_dirty = False
        self._labels_dirty = False
        self._redraws = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REDRAW_INTERVAL_MS)
        self._timer.timeout.connect(self.redraw_now)
        self._build()
        self._reset_state()
        self._apply_palette()
        self.redraw_now()
        after_first_paint(self, self._build_plots_if_shown)

    # ----------------------------------------------------------------------------------- layout
    def _build(self) -> None:
        # Progress section.
        self.status_label = QLabel()
        font = self.status_label.font()
        font.setBold(True)
        self.status_label.setFont(font)
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.run_label = QLabel()  # examples, batch, output folder
        self.run_label.setWordWrap(True)
        self.run_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress_bar = QProgressBar()
        self.progress_bar.setTextVisible(True)
        self.progress_bar.setFormat("")

        self._stats: dict[str, _Stat] = {}
        grid = QGridLayout()
        grid.setContentsMargins(0, 2, 0, 0)
        grid.setHorizontalSpacing(18)
        grid.setVerticalSpacing(6)
        cells = [("epoch", "Epoch", 0, 0, 1), ("elapsed", "Elapsed", 0, 1, 1), ("eta", "ETA", 0, 2, 1),
                 ("speed", "Samples / s", 0, 3, 1), ("loss", "Loss", 0, 4, 1),
                 ("best", "Best", 1, 0, 1), ("params", "Trainable parameters", 1, 1, 2),
                 ("device", "Device", 1, 3, 2)]
        for key, caption, row, column, span in cells:
            self._stats[key] = cell = _Stat(caption)
            grid.addWidget(cell, row, column, 1, span)
        for column in range(5):
            grid.setColumnStretch(column, 1)
        self.epoch_label = self._stats["epoch"].value
        self.elapsed_label = self._stats["elapsed"].value
        self.eta_label = self._stats["eta"].value
        self.speed_label = self._stats["speed"].value
        self.loss_label = self._stats["loss"].value
        self.best_label = self._stats["best"].value
        self.best_caption = self._stats["best"].caption
        self.stats_label = self._stats["params"].value
        self.device_label = self._stats["device"].value

        self.smoothing_spin = QDoubleSpinBox()
        self.smoothing_spin.setRange(0.0, 0.999)
        self.smoothing_spin.setDecimals(3)
        self.smoothing_spin.setSingleStep(0.05)
        self.smoothing_spin.setValue(self._smoothing)
        self.smoothing_spin.setToolTip("Weight of the exponential moving average drawn over the raw training "
                                       "loss (0 = no smoothing; 0.9 averages over about 10 log points).")
        self.smoothing_spin.valueChanged.connect(self.set_smoothing)
        smoothing_label = QLabel("Smoothing")
        smoothing_label.setBuddy(self.smoothing_spin)

        head = QHBoxLayout()
        head.addWidget(self.status_label, 1)
        head.addWidget(smoothing_label)
        head.addWidget(self.smoothing_spin)

        # Plots: built after the window's first frame (see ensure_plots).
        self.plots = None
        self._plot_slot = QWidget()
        self._plot_slot.setMinimumHeight(240)

        # Collapsible log.
        self.log_toggle = QToolButton()
        self.log_toggle.setCheckable(True)
        self.log_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.log_toggle.setAutoRaise(True)
        self.log_toggle.toggled.connect(self.set_log_visible)
        self.log_view = QPlainTextEdit(readOnly=True)
        self.log_view.setMaximumBlockCount(LOG_MAX_LINES)
        self.log_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.log_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.log_view.setVisible(False)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self._plot_slot)
        self.splitter.addWidget(self.log_view)
        self.splitter.setStretchFactor(0, 4)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 6)
        layout.setSpacing(6)
        layout.addLayout(head)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.run_label)
        layout.addLayout(grid)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.log_toggle, 0, Qt.AlignmentFlag.AlignLeft)
        self.run_label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

    def ensure_plots(self) -> None:
        """Build the three stacked plots (sharing the step axis) if they are not built yet."""
        if self.plots is not None:
            return
        import pyqtgraph as pg

        self.plots = pg.GraphicsLayoutWidget()
        self.plots.setMinimumHeight(240)
        self.plots.ci.layout.setSpacing(4)
        self.plots.ci.setContentsMargins(4, 6, 10, 4)
        self.loss_plot = self.plots.addPlot(row=0, col=0)
        self.lr_plot = self.plots.addPlot(row=1, col=0, axisItems={"left": _lr_axis(pg)})
        self.lr_plot.getAxis("left").enableAutoSIPrefix(False)
        self.metric_plot = self.plots.addPlot(row=2, col=0)
        self.plots.ci.layout.setRowStretchFactor(0, 5)
        self.plots.ci.layout.setRowStretchFactor(1, 2)
        self.plots.ci.layout.setRowStretchFactor(2, 3)
        for plot, label in ((self.loss_plot, "loss"), (self.lr_plot, "learning rate"),
                            (self.metric_plot, "caption metrics")):
            plot.setLabel("left", label)
            plot.getAxis("left").setWidth(62)
            plot.setMenuEnabled(True)
            plot.hideButtons()
            plot.getViewBox().setDefaultPadding(0.03)
        self.metric_plot.setLabel("bottom", "step")
        for plot in (self.loss_plot, self.lr_plot, self.metric_plot):
            plot.getAxis("bottom").enableAutoSIPrefix(False)  # never "step (x0.001)"
        self.lr_plot.setXLink(self.loss_plot)
        self.metric_plot.setXLink(self.loss_plot)
        self.loss_plot.getViewBox().setMouseEnabled(x=True, y=True)

        self.loss_legend = self.loss_plot.addLegend(offset=(-8, 6), colCount=3)
        self.raw_loss_curve = self.loss_plot.plot(name="loss")
        self.smooth_loss_curve = self.loss_plot.plot(name="loss (smoothed)")
        self.eval_loss_curve = self.loss_plot.plot(name="eval loss", symbol="o", symbolSize=7, antialias=True)
        self.lr_curve = self.lr_plot.plot()
        self.metric_legend = self.metric_plot.addLegend(offset=(-8, -6), colCount=3)  # bottom right: scores rise
        # one curve per caption metric; each joins the legend when it first has a point
        self.metric_curves = {m: self.metric_plot.plot(symbol="o", symbolSize=6, antialias=True) for m in METRICS}
        self.best_marker = self.metric_plot.plot(pen=None, symbol="star", symbolSize=15)
        self._in_legend: set[str] = set()
        # Raw loss and learning rate keep each pixel column's min and max (spikes stay visible);
        # the smoothed loss is a trend line, so it averages within a column and stays a line.
        for curve, method in ((self.raw_loss_curve, "peak"), (self.lr_curve, "peak"),
                              (self.smooth_loss_curve, "mean")):
            curve.setClipToView(True)
            curve.setDownsampling(auto=True, method=method)
            curve.setData(autoDownsampleFactor=DOWNSAMPLE_PER_PIXEL)

        sizes = self.splitter.sizes()
        self.splitter.replaceWidget(0, self.plots)
        self._plot_slot.deleteLater()
        self.splitter.setSizes(sizes)
        self._apply_plot_palette()
        self._plots_dirty = True
        self._schedule()

    def _build_plots_if_shown(self) -> None:
        if self.isVisible():
            self.ensure_plots()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt naming
        super().showEvent(event)
        if self.plots is None:
            after_first_paint(self, self.ensure_plots)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt naming
        return QSize(900, 720)

    # ---------------------------------------------------------------------------------- palette
    def _dark(self) -> bool:
        return self.palette().color(QPalette.ColorRole.Base).lightness() < 128

    def _color(self, name: str) -> QColor:
        return QColor(_COLORS[name][1 if self._dark() else 0])

    def _apply_palette(self) -> None:
        muted = self.palette().color(QPalette.ColorRole.PlaceholderText)
        for stat in self._stats.values():
            stat.caption.setStyleSheet(f"color: {muted.name()};")
        self.run_label.setStyleSheet(f"color: {muted.name()};")
        self._style_status()
        self._update_log_toggle()
        self._apply_plot_palette()

    def _apply_plot_palette(self) -> None:
        if self.plots is None:
            return
        import pyqtgraph as pg

        pal = self.palette()
        base, text = pal.color(QPalette.ColorRole.Base), pal.color(QPalette.ColorRole.Text)
        muted = pal.color(QPalette.ColorRole.PlaceholderText)
        self.plots.setBackground(base)
        for plot in (self.loss_plot, self.lr_plot, self.metric_plot):
            for side in ("left", "bottom"):
                axis = plot.getAxis(side)
                axis.setPen(pg.mkPen(muted))
                axis.setTextPen(pg.mkPen(text))
            plot.showGrid(x=True, y=True, alpha=0.18)
            for side in ("left", "bottom"):  # grid on major ticks only: minor lines cost a third of a paint
                plot.getAxis(side).setStyle(maxTickLevel=0)
        legend_brush = QColor(base)
        legend_brush.setAlpha(210)
        for legend in (self.loss_legend, self.metric_legend):
            legend.setBrush(pg.mkBrush(legend_brush))
            legend.setPen(pg.mkPen(QColor(muted.red(), muted.green(), muted.blue(), 90)))
            legend.setLabelTextColor(text)
            for _sample, label in legend.items:  # pyqtgraph re-colours a label only when it is set again
                label.setText(label.text)
        loss, raw = self._color("loss"), self._color("loss")
        raw.setAlpha(80)
        self.raw_loss_curve.setPen(pg.mkPen(raw, width=1))
        self.smooth_loss_curve.setPen(pg.mkPen(loss, width=2))
        ev = self._color("eval")
        self.eval_loss_curve.setPen(pg.mkPen(ev, width=1.5, style=Qt.PenStyle.DashLine))
        self.eval_loss_curve.setSymbolPen(pg.mkPen(ev, width=1.5))
        self.eval_loss_curve.setSymbolBrush(pg.mkBrush(base))
        self.lr_curve.setPen(pg.mkPen(self._color("lr"), width=2))
        for metric, curve in self.metric_curves.items():
            color = _METRIC_COLORS[metric]
            curve.setPen(pg.mkPen(color, width=2))
            curve.setSymbolPen(pg.mkPen(color, width=1.5))
            curve.setSymbolBrush(pg.mkBrush(base))
        best = self._color("best")
        self.best_marker.setSymbolPen(pg.mkPen(best.darker(140) if not self._dark() else best, width=1))
        self.best_marker.setSymbolBrush(pg.mkBrush(best))

    def _style_status(self) -> None:
        color = self._color("error").name() if self._status_kind == "failed" else ""
        self.status_label.setStyleSheet(f"color: {color};" if color else "")

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt naming
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "_status_kind"):
            self._apply_palette()
        super().changeEvent(event)

    # ------------------------------------------------------------------------------- public API
    @Slot(object)
    def on_event(self, event: Event) -> None:
        """Take one engine event into the view (drawn at the next redraw tick)."""
        from ..core.events import (CheckpointSaved, Evaluated, Failed, Finished, Logged, Message, Preparing, Progress,
                                   Started)

        if isinstance(event, Preparing):
            self._preparing(event)
        elif isinstance(event, Logged):
            self._add_point(event)
            self._progress(event.step, event.max_steps, event.epoch, event.elapsed, event.eta)
            if event.samples_per_second is not None:
                self._speed = event.samples_per_second
            self._loss = event.loss
        elif isinstance(event, Progress):
            self._progress(event.step, event.max_steps, event.epoch, event.elapsed, event.eta)
        elif isinstance(event, Evaluated):
            self._add_eval(event)
        elif isinstance(event, Started):
            self._start(event)
        elif isinstance(event, CheckpointSaved):
            self._log(f"checkpoint saved at step {event.step}: {event.path}")
        elif isinstance(event, Message):
            self._log(f"{event.level}: {event.text}")
        elif isinstance(event, Finished):
            self._finish(event)
        elif isinstance(event, Failed):
            self._fail(event)
        else:
            return
        self._labels_dirty = True
        self._schedule()

    @Slot(str)
    def append_log(self, line: str) -> None:
        """Add an engine output line to the log (shown at the next redraw tick)."""
        self._log(line.rstrip("\n"))
        self._schedule()

    @Slot()
    def clear(self) -> None:
        """Forget everything shown, ready for a new run."""
        self._train.reset()
        self._evals.reset()
        self._pending_log.clear()
        self.log_view.clear()
        self._reset_state()
        if self.plots is not None:  # the last run's ranges must not frame the next one
            for plot in (self.loss_plot, self.lr_plot, self.metric_plot):
                plot.enableAutoRange()
            self.metric_legend.clear()
            self._in_legend.clear()
        self.redraw_now()

    @Slot(object)
    def load_metrics(self, path: str | Path) -> int:
        """Show a past run from its metrics.jsonl; return how many events it held.

        Unreadable lines (a last line cut short by a kill, say) are skipped and counted in the log.
        Raises ``OSError`` when the file cannot be read: the caller says so to the user.
        """
        from ..core.events import event_from_json

        path = Path(path)
        text = path.read_text(encoding="utf-8", errors="replace")
        self.clear()
        shown = skipped = 0
        for line in text.splitlines():
            if not line.strip():
                continue
            try:
                event = event_from_json(line)
            except (ValueError, KeyError, TypeError):
                skipped += 1
                continue
            self.on_event(event)
            shown += 1
        if skipped:
            self._log(f"{path}: skipped {skipped} unreadable line{'s' if skipped > 1 else ''}")
        if self._status_kind == "running":
            self._status_kind = "unfinished"
        self._labels_dirty = True
        self.redraw_now()
        return shown

    @Slot(float)
    def set_smoothing(self, weight: float) -> None:
        """Set the EMA weight of the smoothed loss (0 = none, 0.9 = alpha 0.1)."""
        weight = min(max(float(weight), 0.0), 0.999)
        if weight == self._smoothing:
            return
        self._smoothing = weight
        if self.smoothing_spin.value() != weight:
            self.smoothing_spin.setValue(weight)
        self._resmooth()
        self._schedule()

    @Slot(bool)
    def set_log_visible(self, visible: bool) -> None:
        if self.log_toggle.isChecked() != visible:
            self.log_toggle.setChecked(visible)  # comes back here through toggled
            return
        self.log_view.setVisible(visible)
        self._update_log_toggle()

    @Slot()
    def redraw_now(self) -> None:
        """Draw what is pending now instead of at the next timer tick."""
        self._timer.stop()
        if not (self._plots_dirty or self._labels_dirty or self._pending_log):
            return
        self._redraws += 1
        if (self._plots_dirty and self.plots is None and self.isVisible()
                and (len(self._train) or len(self._evals))):
            self.ensure_plots()  # a hidden view builds its plots when it is first shown
        if self._plots_dirty and self.plots is not None:
            import numpy as np

            self._plots_dirty = False
            t, e = self._train, self._evals
            steps, aa = t.col(0), len(t) <= ANTIALIAS_MAX_POINTS
            self.raw_loss_curve.setData(steps, t.col(1), antialias=aa)
            self.smooth_loss_curve.setData(steps, t.col(2), antialias=aa)
            self.lr_curve.setData(steps, t.col(3), antialias=aa)
            self.eval_loss_curve.setData(e.col(0), e.col(1))
            any_scored = False
            for j, (metric, curve) in enumerate(self.metric_curves.items(), start=2):
                scored = np.isfinite(e.col(j))  # not measured at that evaluation: no point
                curve.setData(e.col(0)[scored], e.col(j)[scored])
                if scored.any():
                    any_scored = True
                    if metric not in self._in_legend:
                        self._in_legend.add(metric)
                        self.metric_legend.addItem(curve, metric_label(metric))
            # An empty item's legend entry is drawn greyed out: show a legend once it has data.
            self.loss_legend.setVisible(bool(len(t) or len(e)))
            self.metric_legend.setVisible(any_scored)
            if self._best is None:
                self.best_marker.setData([], [])
            else:
                self.best_marker.setData([self._best[0]], [self._best[1]])
        if self._labels_dirty:
            self._labels_dirty = False
            self._show_labels()
        if self._pending_log:
            self._flush_log()

    # accessors for callers and tests
    def point_count(self) -> int:
        """Training-loss points held."""
        return len(self._train)

    def eval_count(self) -> int:
        return len(self._evals)

    @property
    def redraw_count(self) -> int:
        """How many redraws have run (each one draws everything that was pending)."""
        return self._redraws

    @property
    def smoothing(self) -> float:
        return self._smoothing

    def log_text(self) -> str:
        """The log as shown, after drawing any pending lines."""
        self._flush_log()
        return self.log_view.toPlainText()

    def data(self) -> dict[str, np.ndarray]:
        """Copies of the series held: step, loss, smoothed, learning_rate, eval_step, eval_loss,
        and ``eval_<metric>`` for every caption metric (NaN where it was not measured)."""
        t, e = self._train, self._evals
        out = {"step": t.col(0).copy(), "loss": t.col(1).copy(), "smoothed": t.col(2).copy(),
               "learning_rate": t.col(3).copy(), "eval_step": e.col(0).copy(), "eval_loss": e.col(1).copy()}
        out.update({f"eval_{m}": e.col(j).copy() for j, m in enumerate(METRICS, start=2)})
        return out

    # ---------------------------------------------------------------------------------- events
    def _reset_state(self) -> None:
        self._best = None
        self._best_metric = None
        self._ema, self._ema_decay = 0.0, 1.0
        self._status_kind = "idle"
        self._status_text = "No training run yet."
        self._run_text = ""
        self._step, self._max_steps = 0, 0
        self._epoch: float | None = None
        self._elapsed: float | None = None
        self._eta: float | None = None
        self._speed: float | None = None
        self._loss: float | None = None
        self._params = DASH
        self._device = DASH
        self._plots_dirty = self._labels_dirty = True

    def _schedule(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def _log(self, line: str) -> None:
        self._pending_log.append(line)

    def _smooth(self, loss: float) -> float:
        if not math.isfinite(loss):
            return math.nan
        w = self._smoothing
        self._ema = w * self._ema + (1.0 - w) * loss
        self._ema_decay *= w
        return self._ema / (1.0 - self._ema_decay) if self._ema_decay < 1.0 else loss

    def _resmooth(self) -> None:
        """Recompute the smoothed column (after a smoothing change or dropped points)."""
        self._ema, self._ema_decay = 0.0, 1.0
        t = self._train
        smoothed = [self._smooth(loss) for loss in t.col(1).tolist()]
        t.col(2)[:] = smoothed
        self._plots_dirty = True

    def _add_point(self, event: Logged) -> None:
        t = self._train
        step = float(event.step)
        if step <= t.last_x:  # a step logged again (resume without a Started): keep x increasing
            t.keep_before(step)
            self._resmooth()
        loss = float(event.loss)
        t.append((step, loss, self._smooth(loss), float(event.learning_rate)))
        self._plots_dirty = True

    def _add_eval(self, event: Evaluated) -> None:
        e = self._evals
        step = float(event.step)
        if step <= e.last_x:
            e.keep_before(step)
        e.append((step, _num(event.eval_loss), *(_num(event.scores.get(m)) for m in METRICS)))
        if event.best_metric:
            self._best_metric = event.best_metric
        value = _num(event.best_value)
        if event.best and math.isfinite(value):
            self._best = (step, value)
        self._plots_dirty = True
        best = f"  (best {metric_label(event.best_metric)} so far)" if event.best and event.best_metric else ""
        scores = f", {describe(event.scores)}" if event.scores else ""
        self._log(f"eval at step {event.step}: loss {event.eval_loss:.4f}{scores}{best}")

    def _progress(self, step: int, max_steps: int, epoch: float, elapsed: float | None,
                  eta: float | None) -> None:
        self._step, self._max_steps = step, max_steps or self._max_steps
        self._epoch, self._elapsed, self._eta = epoch, elapsed, eta
        if self._status_kind in ("idle", "unfinished"):
            self._status_kind = "running"

    def _preparing(self, event: Preparing) -> None:
        """Data preparation before the first step: its words in the status, rows on the bar."""
        self._status_kind = "preparing"
        self._status_text = "Preparing data · " + event.describe()
        if event.phase == "tokenizing":
            self._step, self._max_steps = event.done, event.total
        if event.phase in ("cached", "done"):
            self._log(event.describe())

    def _start(self, event: Started) -> None:
        # A resumed run starts at its checkpoint's step: what was logged after it is logged again.
        cut = float(event.start_step) + 0.5 if event.start_step else -math.inf
        for columns in (self._train, self._evals):
            columns.keep_before(cut)
        if self._best is not None and self._best[0] >= cut:
            self._best = None
            import numpy as np

            if self._best_metric in METRICS:
                values = self._evals.col(2 + METRICS.index(self._best_metric))
                if np.isfinite(values).any():
                    i = int(np.nanargmax(values))
                    self._best = (float(self._evals.col(0)[i]), float(values[i]))
        self._resmooth()
        self._status_kind = "running"
        self._step, self._max_steps = event.start_step, event.max_steps
        self._epoch = self._elapsed = self._eta = self._speed = None
        self._loss = float(self._train.col(1)[-1]) if len(self._train) else None
        self._params = format_params(event.trainable, event.total, event.percent)
        procs = f"{event.world_size} process{'es' if event.world_size != 1 else ''}"
        self._device = f"{event.device} · {event.precision} · {procs}"
        parts = [f"{event.num_train_examples:,} training / {event.num_val_examples:,} validation examples",
                 f"batch {event.effective_batch_size:,}"]
        if event.resumed_from:
            parts.append(f"resumed from {Path(event.resumed_from).name} (step {event.start_step:,})")
        if event.output_dir:
            parts.append(event.output_dir)
        self._run_text = " · ".join(parts)
        resumed = f", resuming at step {event.start_step}" if event.resumed_from else ""
        self._log(f"started: {event.trainable:,} trainable of {event.total:,} parameters "
                  f"({event.percent:.2f}%), {event.max_steps} steps on {self._device}{resumed}")

    def _finish(self, event: Finished) -> None:
        self._step = event.step
        self._eta = None
        if event.seconds:
            self._elapsed = event.seconds
        if event.train_samples_per_second is not None:
            self._speed = event.train_samples_per_second
        if event.stopped:
            self._status_kind = "stopped"
            where = f"; resumable checkpoint: {event.checkpoint}" if event.checkpoint else ""
            self._status_text = f"Stopped at step {event.step:,}{where}"
        else:
            self._status_kind = "finished"
            self._max_steps = max(self._max_steps, event.step)
            best = (f" · best {metric_label(event.best_metric)} {format_score(event.best_score)}"
                    if event.best_score is not None and event.best_metric else "")
            self._status_text = f"Finished {event.step:,} steps in {_duration(event.seconds)}{best}"
        self._log(self._status_text + (f" · adapter in {event.output_dir}" if not event.stopped else ""))

    def _fail(self, event: Failed) -> None:
        self._status_kind = "failed"
        if event.step is not None:
            self._step = event.step
        self._eta = None
        where = f" at step {event.step:,}" if event.step is not None else ""
        self._status_text = f"Failed{where}: {event.message}"
        self._log(self._status_text)
        if event.details:
            for line in event.details.splitlines():
                self._log(line)
        self.set_log_visible(True)

    # -------------------------------------------------------------------------------- drawing
    def _status_line(self) -> str:
        kind = self._status_kind
        if kind == "running":
            of = f" of {self._max_steps:,}" if self._max_steps else ""
            return f"Training · step {self._step:,}{of}"
        if kind == "unfinished":
            return (f"Recorded up to step {self._step:,} of {self._max_steps:,}: the run is still going "
                    f"or was interrupted")
        return self._status_text

    def _show_labels(self) -> None:
        maximum = max(self._max_steps, 1)
        if self.progress_bar.maximum() != maximum:
            self.progress_bar.setRange(0, maximum)
        self.progress_bar.setValue(min(self._step, maximum))
        unit = "rows" if self._status_kind == "preparing" else "steps"
        self.progress_bar.setFormat(f"{self._step:,} / {self._max_steps:,} {unit} ({100 * self._step // maximum}%)"
                                    if self._max_steps else "")
        self.status_label.setText(self._status_line())
        self._style_status()
        self.run_label.setText(self._run_text)
        self.run_label.setVisible(bool(self._run_text))
        epoch = DASH if self._epoch is None else f"{self._epoch:.2f}"
        self.epoch_label.setText(epoch)
        self.elapsed_label.setText(_duration(self._elapsed))
        self.eta_label.setText(_duration(self._eta))
        self.speed_label.setText(DASH if self._speed is None else f"{self._speed:,.1f}")
        self.loss_label.setText(DASH if self._loss is None else f"{self._loss:.4f}")
        self.best_caption.setText(f"BEST {metric_label(self._best_metric).upper()}" if self._best_metric else "BEST")
        self.best_label.setText(DASH if self._best is None
                                else f"{format_score(self._best[1])} (step {int(self._best[0]):,})")
        self.stats_label.setText(self._params)
        self.device_label.setText(self._device)

    def _flush_log(self) -> None:
        if not self._pending_log:
            return
        lines = self._pending_log[-LOG_MAX_LINES:]
        self._pending_log = []
        bar = self.log_view.verticalScrollBar()
        at_end = bar.value() >= bar.maximum() - 2
        self.log_view.appendPlainText("\n".join(lines))
        if at_end:
            bar.setValue(bar.maximum())
        self._update_log_toggle()

    def _update_log_toggle(self) -> None:
        shown = self.log_view.isVisibleTo(self) or self.log_toggle.isChecked()
        self.log_toggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        lines = 0 if self.log_view.document().isEmpty() else self.log_view.blockCount()
        self.log_toggle.setText(f"Log ({lines:,} line{'s' if lines != 1 else ''})")
