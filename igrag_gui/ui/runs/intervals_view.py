"""The Compare page's Intervals tab: each ticked run's metric with its 95% interval as an error
bar, and for each pair whether the difference is distinguishable from noise.

The figures are ``core.experiments.compare.intervals`` (what ``igrag runs compare --json`` prints
under ``intervals``), computed off the GUI thread when the tab is shown and the ticks changed.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ...core.experiments.runs import Run
from .. import ops

HINT = ("Tick runs that evaluated on validation data: each metric is drawn with its 95% interval "
        "(a paired bootstrap over the validation images).")


class IntervalsView(QWidget):
    def __init__(self, colors: tuple[str, ...], parent: QWidget | None = None):
        super().__init__(parent)
        from ..widgets.themed_plot import ThemedPlot

        self.colors = colors
        self.runs: list[Run] = []
        self.data: dict[str, Any] | None = None  # the last intervals shown
        self._stale = False
        self._key: tuple = ()
        self._latest = ops.Latest(self)
        self.metric_box = QComboBox()
        self.metric_box.currentIndexChanged.connect(lambda _i: self._draw())
        self.plot = ThemedPlot()
        self.error_bars: Any = None  # pyqtgraph's ErrorBarItem of the metric shown
        self.label = QLabel(HINT)
        self.label.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(QLabel("Metric:"))
        row.addWidget(self.metric_box, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.label)

    def set_runs(self, runs: list[Run]) -> None:
        """Show ``runs``; their intervals are computed again only when the runs or their last
        evaluations changed (a page redraw for another curve keeps them)."""
        key = _key(runs)
        if key == self._key:
            return
        self._key = key
        self.runs = list(runs)
        self._stale = True
        if self.isVisible():
            self.refresh()

    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def running(self) -> bool:
        return self._latest.running()

    def refresh(self) -> None:
        self._stale = False
        self._latest.start(self._compute(list(self.runs)))

    async def _compute(self, runs: list[Run]) -> None:
        from ...core.experiments.compare import intervals

        if not runs:
            self.data = None
            self._draw()
            return
        self.label.setText("Computing 95% intervals (paired bootstrap)…")
        try:
            data = await ops.run(intervals, runs, ml=False)
        except ops.TaskFailed as exc:
            self.label.setText(exc.message)
            return
        self.data = data
        current = self.metric_box.currentText()
        self.metric_box.blockSignals(True)
        self.metric_box.clear()
        self.metric_box.addItems(data["metrics"])
        if current in data["metrics"]:
            self.metric_box.setCurrentText(current)
        elif "cider" in data["metrics"]:
            self.metric_box.setCurrentText("cider")
        self.metric_box.blockSignals(False)
        self._draw()

    def _draw(self) -> None:
        import numpy as np
        import pyqtgraph as pg

        self.plot.clear()
        self.error_bars = None
        data, metric = self.data, self.metric_box.currentText()
        if not data:
            self.label.setText(HINT)
            return
        names = {str(r.path): r.name for r in self.runs}
        order = [str(r.path) for r in self.runs if str(r.path) in data["runs"]]
        lines = []
        if metric and order:
            got = [data["runs"][p]["metrics"][metric] for p in order]
            x = list(range(len(order)))
            y = [g["value"] for g in got]
            self.error_bars = pg.ErrorBarItem(x=np.array(x, dtype=float), y=np.array(y),
                                              top=np.array([g["high"] - g["value"] for g in got]),
                                              bottom=np.array([g["value"] - g["low"] for g in got]),
                                              beam=0.2, pen=pg.mkPen(self.plot.line_color(), width=2))
            self.plot.addItem(self.error_bars)
            brushes = [pg.mkBrush(self.colors[i % len(self.colors)]) for i in x]
            self.plot.addItem(pg.ScatterPlotItem(x=x, y=y, size=10, brush=brushes, pen=None))
            self.plot.getPlotItem().getAxis("bottom").setTicks([[(i, names.get(p, p)) for i, p in zip(x, order)]])
            self.plot.setLabel("left", f"{metric} (95% interval)")
            self.plot.setXRange(-0.5, len(order) - 0.5)
            for pair in data["pairs"]:
                if pair["metric"] == metric:
                    verdict = "distinguishable" if pair["distinguishable"] else "not distinguishable from noise"
                    lines.append(f"{names.get(pair['a'])} − {names.get(pair['b'])}: {pair['difference']:+.3f} "
                                 f"[{pair['low']:+.3f}, {pair['high']:+.3f}], {verdict}")
        lines += [f"{names.get(p, p)}: no intervals ({reason})" for p, reason in data["unavailable"].items()]
        head = (f"95% intervals over {data['images']} validation images ({data['resamples']} resamples, "
                f"seed {data['seed']}).")
        self.label.setText("\n".join([head, *lines]))


def _key(runs: list[Run]) -> tuple:
    """The runs, each with when its per-image evaluation was last written."""
    from ...core.metrics.eval_captions import FILE

    def written(run: Run) -> float | None:
        try:
            return (run.path / FILE).stat().st_mtime
        except OSError:
            return None

    return tuple((str(r.path), written(r)) for r in runs)
