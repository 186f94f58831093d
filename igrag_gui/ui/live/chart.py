"""The live view's three stacked plots (loss, learning rate, caption metrics) drawn from a
``RunHistory``.

pyqtgraph (0.5 s to import, 0.2 s per chart to build) comes in after the window's first frame:
until ``ensure_built`` the chart is an empty placeholder. Curves clip to the visible x range and
downsample to the plot's pixel width, so 100k points draw as fast as 1k.

The legends sit in their plot's title row, above the data, so they never cover a curve (the loss
starts high at the top right, scores rise to the bottom right). The step axis belongs to the loss
plot: the others follow it (``setXLink``) and auto-range only their values.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QVBoxLayout, QWidget

from ...core.metrics.names import METRICS
from ...core.metrics.names import label as metric_label
from ...core.training.run_history import RunHistory

# Antialiased lines cost most of a paint; past this many points the step curves draw without.
ANTIALIAS_MAX_POINTS = 5000
# Samples per pixel kept by automatic downsampling (pyqtgraph's default, 5, draws 2.5x more).
DOWNSAMPLE_PER_PIXEL = 2.0

# Series colours for a light and a dark background (chosen to read on either).
COLORS = {
    "loss": ("#3b6fb6", "#6ea8fe"),
    "eval": ("#d9653b", "#ffa26b"),
    "lr": ("#2f9e63", "#63d69a"),
    "best": ("#d4a017", "#ffd24d"),
    "error": ("#c62828", "#ff6b6b"),
}
# One colour per caption metric (config name), on either background.
METRIC_COLORS = {"bleu1": "#9c88d9", "bleu2": "#8a6fd0", "bleu3": "#7b52c7", "bleu4": "#6a3fc0",
                 "meteor": "#2a9d8f", "rouge_l": "#e07a5f", "cider": "#c0398f", "spice": "#5f8a2f"}


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Base).lightness() < 128


def series_color(name: str, palette: QPalette) -> QColor:
    """The colour of a series (or "error") that reads on ``palette``'s background."""
    return QColor(COLORS[name][1 if is_dark(palette) else 0])


def _lr_axis(pg: Any) -> Any:
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


class RunChart(QWidget):
    """Loss (raw, smoothed, eval), learning rate and caption metrics over the step axis."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.plots: Any = None  # a pyqtgraph GraphicsLayoutWidget once built
        self._in_legend: set[str] = set()
        self.setMinimumHeight(240)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)

    @property
    def is_built(self) -> bool:
        return self.plots is not None

    def ensure_built(self) -> None:
        """Build the three stacked plots (sharing the step axis) if they are not built yet."""
        if self.plots is not None:
            return
        import pyqtgraph as pg

        from ..widgets.themed_plot import header_legend

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
            plot.getAxis("bottom").enableAutoSIPrefix(False)  # never "step (x0.001)"
        self.metric_plot.setLabel("bottom", "step")
        self.lr_plot.setXLink(self.loss_plot)
        self.metric_plot.setXLink(self.loss_plot)
        self.loss_plot.getViewBox().setMouseEnabled(x=True, y=True)

        self.loss_legend = header_legend(self.loss_plot, columns=3)
        self.raw_loss_curve = self.loss_plot.plot(name="loss")
        self.smooth_loss_curve = self.loss_plot.plot(name="loss (smoothed)")
        self.eval_loss_curve = self.loss_plot.plot(name="eval loss", symbol="o", symbolSize=7, antialias=True)
        self.lr_curve = self.lr_plot.plot()
        self.metric_legend = header_legend(self.metric_plot, columns=4)  # 8 metrics: two rows at most
        # one curve per caption metric; each joins the legend when it first has a point
        self.metric_curves = {m: self.metric_plot.plot(symbol="o", symbolSize=6, antialias=True) for m in METRICS}
        self.best_marker = self.metric_plot.plot(pen=None, symbol="star", symbolSize=15)
        # Raw loss and learning rate keep each pixel column's min and max (spikes stay visible);
        # the smoothed loss is a trend line, so it averages within a column and stays a line.
        for curve, method in ((self.raw_loss_curve, "peak"), (self.lr_curve, "peak"),
                              (self.smooth_loss_curve, "mean")):
            curve.setClipToView(True)
            curve.setDownsampling(auto=True, method=method)
            curve.setData(autoDownsampleFactor=DOWNSAMPLE_PER_PIXEL)
        # one legend row's height for both rows, so the metric plot keeps its size when its first entry comes
        row = self.loss_legend.effectiveSizeHint(Qt.SizeHint.PreferredSize).height()
        for plot in (self.loss_plot, self.metric_plot):
            plot.layout.setRowMinimumHeight(0, row)
        self.layout().addWidget(self.plots)
        self.apply_palette()

    def draw(self, history: RunHistory) -> None:
        """Give every curve the series ``history`` holds (a no-op until built)."""
        if self.plots is None:
            return
        t, e = history.train, history.evals
        steps, aa = t.col(0), len(t) <= ANTIALIAS_MAX_POINTS
        self.raw_loss_curve.setData(steps, t.col(1), antialias=aa)
        self.smooth_loss_curve.setData(steps, t.col(2), antialias=aa)
        self.lr_curve.setData(steps, t.col(3), antialias=aa)
        self.eval_loss_curve.setData(e.col(0), e.col(1))
        any_scored = False
        for metric, curve in self.metric_curves.items():
            x, y = history.metric(metric)  # not measured at an evaluation: no point
            curve.setData(x, y)
            if len(x):
                any_scored = True
                if metric not in self._in_legend:
                    self._in_legend.add(metric)
                    self.metric_legend.addItem(curve, metric_label(metric))
        # An empty item's legend entry is drawn greyed out: show a legend once it has data.
        self.loss_legend.setVisible(bool(len(t) or len(e)))
        self.metric_legend.setVisible(any_scored)
        best = history.best
        self.best_marker.setData([], []) if best is None else self.best_marker.setData([best[0]], [best[1]])

    def reset(self) -> None:
        """Forget the last run's ranges and legend (they must not frame the next one).

        Only the loss plot auto-ranges the step axis. The learning-rate and metric plots follow it
        and auto-range their values only: with their own x auto-range back on, the metric plot
        (whose points are the evaluations, 5..15 say) took the shared axis whenever a chart that
        already held a run was given another (Resume reads the run's metrics.jsonl into the view):
        the loss before the first evaluation, and every step after the last one, fell outside it."""
        if self.plots is None:
            return
        self.loss_plot.enableAutoRange()
        for plot in (self.lr_plot, self.metric_plot):
            plot.enableAutoRange(x=False, y=True)
        self.metric_legend.clear()
        self._in_legend.clear()

    # ---------------------------------------------------------------------------------- palette
    def _dark(self) -> bool:
        return is_dark(self.palette())

    def color(self, name: str) -> QColor:
        return series_color(name, self.palette())

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt naming
        if event.type() == QEvent.Type.PaletteChange:
            self.apply_palette()
        super().changeEvent(event)

    def apply_palette(self) -> None:
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
        for legend in (self.loss_legend, self.metric_legend):  # no frame: they sit above the data, on the background
            legend.setLabelTextColor(text)
            for _sample, label in legend.items:  # pyqtgraph re-colours a label only when it is set again
                label.setText(label.text)
        loss, raw = self.color("loss"), self.color("loss")
        raw.setAlpha(80)
        self.raw_loss_curve.setPen(pg.mkPen(raw, width=1))
        self.smooth_loss_curve.setPen(pg.mkPen(loss, width=2))
        ev = self.color("eval")
        self.eval_loss_curve.setPen(pg.mkPen(ev, width=1.5, style=Qt.PenStyle.DashLine))
        self.eval_loss_curve.setSymbolPen(pg.mkPen(ev, width=1.5))
        self.eval_loss_curve.setSymbolBrush(pg.mkBrush(base))
        self.lr_curve.setPen(pg.mkPen(self.color("lr"), width=2))
        for metric, curve in self.metric_curves.items():
            color = METRIC_COLORS[metric]
            curve.setPen(pg.mkPen(color, width=2))
            curve.setSymbolPen(pg.mkPen(color, width=1.5))
            curve.setSymbolBrush(pg.mkBrush(base))
        best = self.color("best")
        self.best_marker.setSymbolPen(pg.mkPen(best.darker(140) if not self._dark() else best, width=1))
        self.best_marker.setSymbolBrush(pg.mkBrush(best))
