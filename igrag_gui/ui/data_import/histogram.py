"""Token-length histograms of prompts and captions with the configured limit drawn on each."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


def describe(name: str, hist: Any, key: str) -> str:
    """'312 of the first 1,000 prompts are longer than max_source_length=256 tokens (longest 301)'."""
    cut = f"{hist.over:,} of {hist.total:,} {name}" if hist.over else f"none of {hist.total:,} {name}"
    return f"{cut} longer than {key}={hist.limit} tokens (would be truncated); longest {hist.longest}"


class LengthHistogram(QWidget):
    """One pyqtgraph bar chart per side; the red line is the limit, the label the truncated count."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        import pyqtgraph as pg

        self._pg = pg
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.plots = {}
        self.labels = {}
        for side, title in (("prompt", "Prompt tokens"), ("caption", "Caption tokens")):
            plot = pg.PlotWidget(title=title)
            plot.setMenuEnabled(False)
            plot.setMinimumHeight(110)
            plot.setLabel("left", "rows")
            label = QLabel("—")
            label.setWordWrap(True)
            label.setMinimumHeight(2 * label.fontMetrics().lineSpacing() + 4)  # two lines, never clipped
            layout.addWidget(plot, 1)
            layout.addWidget(label)
            self.plots[side], self.labels[side] = plot, label

    def show_histograms(self, prompt: Any, caption: Any) -> None:
        pg = self._pg
        for side, hist, key in (("prompt", prompt, "max_source_length"), ("caption", caption, "max_target_length")):
            plot = self.plots[side]
            plot.clear()
            edges = hist.edges
            width = edges[1] - edges[0] if len(edges) > 1 else 1
            plot.addItem(pg.BarGraphItem(x0=edges[:-1], width=width, height=hist.counts,
                                         brush=pg.mkBrush(70, 130, 180, 200)))
            plot.addItem(pg.InfiniteLine(pos=hist.limit, angle=90, pen=pg.mkPen((200, 40, 40), width=2),
                                         label=f"{key} {hist.limit}", labelOpts={"position": 0.85}))
            self.labels[side].setText(describe(side + "s", hist, key))

    def clear(self, text: str = "—") -> None:
        for side in self.plots:
            self.plots[side].clear()
            self.labels[side].setText(text)
