"""A pyqtgraph plot in the application's palette: the Compare and Sweep pages' charts.

pyqtgraph draws black with grey axes whatever the theme; in a light window that is a black hole
in the page. This follows the palette (background from Base, axes from Text) as the live view's
chart does, and again when the palette changes (light/dark switch). Import it lazily: pyqtgraph
takes a while to import.
"""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QSizePolicy


class ThemedPlot(pg.PlotWidget):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.apply_palette()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.PaletteChange:
            QTimer.singleShot(0, self.apply_palette)
        super().changeEvent(event)

    def apply_palette(self) -> None:
        pal = self.palette()
        base, text = pal.color(QPalette.ColorRole.Base), pal.color(QPalette.ColorRole.Text)
        muted = pal.color(QPalette.ColorRole.PlaceholderText)
        self.setBackground(base)
        item = self.getPlotItem()
        for side in ("left", "bottom"):
            axis = item.getAxis(side)
            axis.setPen(pg.mkPen(muted))
            axis.setTextPen(pg.mkPen(text))
            axis.setStyle(maxTickLevel=0)  # grid on major ticks only
        item.showGrid(x=True, y=True, alpha=0.2)
        legend = item.legend
        if legend is not None:
            brush = QColor(base)
            brush.setAlpha(210)
            legend.setBrush(pg.mkBrush(brush))
            legend.setLabelTextColor(text)
            for _sample, label in legend.items:  # pyqtgraph re-colours a label only when it is set again
                label.setText(label.text)

    def line_color(self) -> QColor:
        """A neutral line colour that reads on this background."""
        return self.palette().color(QPalette.ColorRole.Text)


def header_legend(plot: Any, columns: int) -> Any:
    """A legend laid out in ``plot``'s (a ``PlotItem``'s) title row, above its view box: it takes its own room
    instead of floating over the data, and cannot be dragged back onto it. Named curves added to
    ``plot`` join it (``plot.legend``). The row keeps its height while the legend is hidden, so
    the plot does not jump when the first entry appears."""

    class _HeaderLegend(pg.LegendItem):
        def updateSize(self) -> None:  # noqa: N802 - pyqtgraph naming
            self.updateGeometry()  # the plot's layout places it from its size hint (pyqtgraph sets a geometry at 0, 0)

        def hoverEvent(self, ev) -> None:  # noqa: N802 - no drag to accept
            pass

        def mouseDragEvent(self, ev) -> None:  # noqa: N802 - pyqtgraph would re-anchor it over the data
            ev.ignore()

    legend = _HeaderLegend(colCount=columns, frame=False, horSpacing=4)
    legend.layout.setContentsMargins(4, 1, 2, 1)  # the style's default (9 px) would make the row twice as tall
    layout = plot.layout
    layout.removeItem(plot.titleLabel)  # the plots have no titles: the legend takes the title's cell
    plot.titleLabel.setVisible(False)
    policy = QSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
    policy.setRetainSizeWhenHidden(True)
    legend.setSizePolicy(policy)
    layout.addItem(legend, 0, 1)
    layout.setAlignment(legend, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    layout.setRowMaximumHeight(0, 1e6)  # PlotItem fixes the empty title row at 0 px
    plot.legend = legend
    return legend
