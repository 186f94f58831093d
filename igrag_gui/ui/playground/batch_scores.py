"""The Playground Batch panel's results: every COCO metric for each model side by side, and
per-image scores sortable (worst first, so users see where an adapter fails).

Shows a ``core.playground.BatchResult``; holds no model and computes nothing itself.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLabel, QSplitter,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from ...core.metrics.names import LABELS, METRICS, format_score


class _Number(QTableWidgetItem):
    """A cell that sorts by its number (missing values last)."""

    def __init__(self, value: float | None):
        super().__init__(format_score(value))
        self.value = float("inf") if value is None else float(value)
        self.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def __lt__(self, other: QTableWidgetItem) -> bool:
        return self.value < getattr(other, "value", float("inf"))


def _text(value: str) -> QTableWidgetItem:
    cell = QTableWidgetItem(value)
    cell.setToolTip(value)
    return cell


class BatchScores(QWidget):
    """``summary``: metrics (rows) by model (columns); ``images``: one row per image with each
    model's caption and its score in ``metric_combo``'s metric, sorted worst first."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.result: Any = None
        self.summary = QTableWidget(0, 0)
        self.summary.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.summary.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.metric_combo = QComboBox()
        self.metric_combo.currentIndexChanged.connect(self._fill_images)
        self.images = QTableWidget(0, 0)
        self.images.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.images.setWordWrap(True)
        self.images.setSortingEnabled(True)
        images_box = QWidget()
        images_layout = QVBoxLayout(images_box)
        images_layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(QLabel("Per image, sorted by"))
        top.addWidget(self.metric_combo)
        top.addWidget(QLabel("(click a column header to sort; worst first)"), 1)
        images_layout.addLayout(top)
        images_layout.addWidget(self.images, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.summary)
        splitter.addWidget(images_box)
        splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

    def show_result(self, result: Any) -> None:
        self.result = result
        labels = result.labels
        scored = [m for m in METRICS if any(m in s.overall for s in result.scores.values())]
        self.summary.clear()
        self.summary.setRowCount(len(scored))
        self.summary.setColumnCount(len(labels))
        self.summary.setHorizontalHeaderLabels(labels)
        self.summary.setVerticalHeaderLabels([LABELS[m] for m in scored])
        for r, metric in enumerate(scored):
            for c, label in enumerate(labels):
                scores = result.scores.get(label)
                reason = scores.unavailable.get(metric) if scores else None
                cell = _Number(None if reason or scores is None else scores.overall.get(metric))
                if reason:
                    cell.setText("needs Java" if "Java" in reason.split(";")[0] else "n/a")
                    cell.setToolTip(reason)
                self.summary.setItem(r, c, cell)
        self.summary.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        available = [m for m in scored if any(s.overall.get(m) is not None for s in result.scores.values())]
        self.metric_combo.blockSignals(True)
        self.metric_combo.clear()
        for metric in available:
            self.metric_combo.addItem(LABELS[metric], metric)
        if "cider" in available:
            self.metric_combo.setCurrentIndex(available.index("cider"))
        self.metric_combo.blockSignals(False)
        self._fill_images()

    def current_metric(self) -> str | None:
        return self.metric_combo.currentData()

    def _fill_images(self) -> None:
        result, metric = self.result, self.current_metric()
        if result is None:
            return
        labels = result.labels
        headers = ["image", "references"]
        for label in labels:
            headers += [label, f"{LABELS.get(metric, '')} {label}".strip()]
        self.images.setSortingEnabled(False)
        self.images.clear()
        rows = result.done
        self.images.setRowCount(len(rows))
        self.images.setColumnCount(len(headers))
        self.images.setHorizontalHeaderLabels(headers)
        for r, row in enumerate(rows):
            self.images.setItem(r, 0, _text(str(row.image_id)))
            self.images.setItem(r, 1, _text("\n".join(row.references)))
            for i, label in enumerate(labels):
                self.images.setItem(r, 2 + 2 * i, _text(row.outputs.get(label, "")))
                value = result.per_image(label, row).get(metric) if metric else None
                self.images.setItem(r, 3 + 2 * i, _Number(value))
        header = self.images.horizontalHeader()
        for c in range(len(headers)):
            mode = QHeaderView.ResizeMode.ResizeToContents if c == 0 or (c >= 3 and c % 2 == 1) \
                else QHeaderView.ResizeMode.Stretch
            header.setSectionResizeMode(c, mode)
        self.images.setSortingEnabled(True)
        if metric:  # the last model's worst images first: where the adapter fails
            self.images.sortItems(len(headers) - 1, Qt.SortOrder.AscendingOrder)

    def image_order(self) -> list[str]:
        """The image column as shown (for tests and the status line)."""
        return [self.images.item(r, 0).text() for r in range(self.images.rowCount())]
