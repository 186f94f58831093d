"""The Sweep page's analyses of a sweep's study, drawn with the app's charts (pyqtgraph): parameter
importance, optimisation history, parallel coordinates and one slice per parameter.

It shows what ``core.experiments.sweep_report.report`` computed with Optuna (the data
``igrag sweep --report SWEEP --json`` prints); it computes nothing itself but screen positions:
parallel coordinates put each parameter on a 0..1 axis (a categorical one by its values' order).
"""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtWidgets import QComboBox, QLabel, QTabWidget, QVBoxLayout, QWidget

from ..widgets.themed_plot import ThemedPlot


def _positions(values: list[Any]) -> tuple[list[float], list[tuple[float, str]]]:
    """Values on a 0..1 axis, and the axis's labels: numbers by value, anything else by order."""
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        low, high = min(values), max(values)
        span = (high - low) or 1.0
        ticks = [(0.0, f"{low:.3g}"), (1.0, f"{high:.3g}")] if high != low else [(0.0, f"{low:.3g}")]
        return [(v - low) / span for v in values], ticks
    kinds = sorted({str(v) for v in values})
    step = 1.0 / max(1, len(kinds) - 1)
    return [kinds.index(str(v)) * step for v in values], [(i * step, k) for i, k in enumerate(kinds)]


class SweepAnalysis(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.data: dict[str, Any] | None = None
        self.note = QLabel("The analyses appear here when the sweep has complete trials.")
        self.note.setWordWrap(True)
        self.importance_plot, self.history_plot = ThemedPlot(), ThemedPlot()
        self.parallel_plot, self.slice_plot = ThemedPlot(), ThemedPlot()
        self.importance_plot.setLabel("bottom", "importance (Optuna, PED-ANOVA)")
        self.history_plot.setLabel("bottom", "trial")
        self.slice_box = QComboBox()
        self.slice_box.currentTextChanged.connect(self._draw_slice)
        slices = QWidget()
        slice_layout = QVBoxLayout(slices)
        slice_layout.setContentsMargins(0, 0, 0, 0)
        slice_layout.addWidget(self.slice_box)
        slice_layout.addWidget(self.slice_plot, 1)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.importance_plot, "Importance")
        self.tabs.addTab(self.history_plot, "History")
        self.tabs.addTab(self.parallel_plot, "Parallel coordinates")
        self.tabs.addTab(slices, "Slices")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.note)
        layout.addWidget(self.tabs, 1)
        self.importance_bars: Any = None
        self.history_points: Any = None
        self.best_line: Any = None
        self.parallel_lines: list[Any] = []
        self.slice_points: Any = None

    def show_note(self, text: str) -> None:
        self.note.setText(text)

    def show_report(self, data: dict[str, Any]) -> None:
        """Draw the four analyses of one ``sweep_report.report``."""
        self.data = data
        for plot in (self.importance_plot, self.history_plot, self.parallel_plot, self.slice_plot):
            plot.clear()
        done = ", ".join(f"{n} {state}" for state, n in sorted(data["trials"].items()))
        best = data["best"]
        self.note.setText(f"Study '{data['study']}': {done or 'no trials'}; {data['direction']} {data['metric']}"
                          + (f"; best trial {best['trial']} ({best['value']:.4g})" if best else "")
                          + (f". Importance: {data['importance_note']}." if data["importance_note"] else ""))
        self._draw_importance(data["importance"])
        self._draw_history(data["history"], data["metric"])
        self._draw_parallel(data["parallel"], data["metric"])
        current = self.slice_box.currentText()
        self.slice_box.blockSignals(True)
        self.slice_box.clear()
        self.slice_box.addItems(list(data["slices"]))
        if current in data["slices"]:
            self.slice_box.setCurrentText(current)
        self.slice_box.blockSignals(False)
        self._draw_slice(self.slice_box.currentText())

    def _pen(self, plot: ThemedPlot, width: float = 2) -> Any:
        return pg.mkPen(plot.line_color(), width=width)

    def _draw_importance(self, importance: dict[str, float]) -> None:
        self.importance_bars = None
        if not importance:
            return
        names = list(importance)[::-1]  # most important on top
        self.importance_bars = pg.BarGraphItem(x0=0, y=list(range(len(names))), height=0.6,
                                               width=[importance[n] for n in names], brush=pg.mkBrush(70, 130, 200))
        self.importance_plot.addItem(self.importance_bars)
        self.importance_plot.getAxis("left").setTicks([[(i, n) for i, n in enumerate(names)]])

    def _draw_history(self, history: list[dict[str, Any]], metric: str) -> None:
        self.history_plot.setLabel("left", metric)
        xs = [h["trial"] for h in history]
        self.history_points = pg.ScatterPlotItem(xs, [h["value"] for h in history], size=9,
                                                 brush=pg.mkBrush(70, 130, 200))
        self.best_line = self.history_plot.plot(xs, [h["best"] for h in history], pen=self._pen(self.history_plot),
                                                stepMode=None, name="best so far")
        self.history_plot.addItem(self.history_points)

    def _draw_parallel(self, parallel: dict[str, Any], metric: str) -> None:
        self.parallel_lines = []
        trials = parallel["trials"]
        if not trials:
            return
        axes = list(parallel["params"]) + [metric]
        columns = [[t["params"].get(k) for t in trials] for k in parallel["params"]] + [[t["value"] for t in trials]]
        placed = [_positions(col) for col in columns]
        values = [t["value"] for t in trials]
        colours = pg.colormap.get("viridis")
        low, high = min(values), max(values)
        for row, value in enumerate(values):
            colour = colours.map((value - low) / ((high - low) or 1.0), mode="qcolor")
            ys = [placed[col][0][row] for col in range(len(axes))]
            self.parallel_lines.append(self.parallel_plot.plot(list(range(len(axes))), ys,
                                                               pen=pg.mkPen(colour, width=2), symbol="o",
                                                               symbolSize=5, symbolBrush=colour))
        self.parallel_plot.getAxis("bottom").setTicks([[(i, a) for i, a in enumerate(axes)]])
        self.parallel_plot.setLabel("left", "each axis from its lowest to its highest value")

    def _draw_slice(self, name: str) -> None:
        self.slice_plot.clear()
        self.slice_points = None
        if not self.data or name not in self.data["slices"]:
            return
        points = self.data["slices"][name]
        xs, ticks = _positions([p["x"] for p in points])
        numeric = all(isinstance(p["x"], (int, float)) and not isinstance(p["x"], bool) for p in points)
        self.slice_points = pg.ScatterPlotItem([p["x"] for p in points] if numeric else xs,
                                               [p["value"] for p in points], size=9, brush=pg.mkBrush(70, 130, 200))
        self.slice_plot.addItem(self.slice_points)
        self.slice_plot.setLabel("bottom", name)
        self.slice_plot.setLabel("left", self.data["metric"])
        self.slice_plot.getAxis("bottom").setTicks(None if numeric else [ticks])
