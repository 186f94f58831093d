"""The Train tab's Data page: the first rows of the training data, counts, and Import data."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QLabel, QPushButton, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from ...core.config import RunConfig

if TYPE_CHECKING:  # the core module is read in the background task
    from ...core.data.preview import DataPreview

PREVIEW_ROWS = 50


def read_preview(cfg: RunConfig) -> DataPreview:
    """The preview of ``cfg``'s training data (a background task: it reads the file)."""
    from ...core.data.preview import data_preview

    return data_preview(cfg, PREVIEW_ROWS)


class DataPage(QWidget):
    import_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.preview_table = QTableWidget(0, 2)
        self.preview_table.setHorizontalHeaderLabels(["prompt", "caption"])
        self.preview_table.horizontalHeader().setStretchLastSection(True)
        self.preview_table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.preview_table.setWordWrap(False)
        self.preview_label = QLabel("The first rows of the training data appear here.")
        self.preview_label.setWordWrap(True)
        self.import_button = QPushButton("Import data…")
        self.import_button.setToolTip("Turn CSV/TSV, JSONL, Parquet, a Hugging Face dataset or COCO captions "
                                      "into training JSONL (igrag data import)")
        self.import_button.clicked.connect(self.import_requested)
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(self.preview_label, 1)
        top.addWidget(self.import_button)
        layout.addLayout(top)
        layout.addWidget(self.preview_table)

    def show_preview(self, preview: DataPreview | str) -> None:
        """A preview, or the message saying why there is none."""
        if isinstance(preview, str):
            self.preview_table.setRowCount(0)
            self.preview_label.setText(preview)
            return
        self.preview_table.setColumnCount(len(preview.columns))
        self.preview_table.setHorizontalHeaderLabels(list(preview.columns))
        self.preview_table.setRowCount(len(preview.rows))
        for r, row in enumerate(preview.rows):
            for c, text in enumerate(row):
                self.preview_table.setItem(r, c, QTableWidgetItem(text.replace("\n", " ⏎ ")))
        self.preview_label.setText(preview.summary())
