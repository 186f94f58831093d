"""A pyqtgraph plot in the application's palette: the Compare and Sweep pages' charts.

pyqtgraph draws black with grey axes whatever the theme; in a light window that is a black hole
in the page. This follows the palette (background from Base, axes from Text) as the live view's
chart does, and again when the palette changes (light/dark switch). Import it lazily: pyqtgraph
takes a while to import.
"""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QTimer
from PySide6.QtGui import QColor, QPalette


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
