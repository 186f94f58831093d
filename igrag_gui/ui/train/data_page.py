"""The Train tab's Data page: the first rows of the training data, counts, and Import data."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QLabel, QPushButton, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from ...core.config import RunConfig

PREVIEW_ROWS = 50


@dataclass
class DataPreview:
    rows: list[list[str]]
    count: int
    too_long: int | None
    max_source: int
    path: Path
    columns: tuple[str, ...] = ("prompt", "caption")
    images: int | None = None  # distinct image_ids (several reference captions per image)
    exact: bool = True  # False: count is the line count, too_long judged on the rows shown
    judged: int = 0


def read_preview(cfg: RunConfig) -> DataPreview:
    """The preview of ``cfg``'s training data (a background task: it reads the file)."""
    from ...core.data.summary import READ_ALL_ROWS, summarize
    from ...core.data_preview import preview_table

    got = summarize(cfg, PREVIEW_ROWS)  # the first rows only; counts from the prepared data if any
    table = preview_table(cfg.train_file, got.rows, PREVIEW_ROWS, count_images=got.count <= READ_ALL_ROWS)
    return DataPreview(table.rows, got.count, got.too_long, got.max_source, got.path, tuple(table.columns),
                       table.images, got.exact, got.judged)


def describe_preview(preview: DataPreview) -> str:
    of = "" if preview.exact else f" of the first {preview.judged:,}"
    long_text = ("" if preview.too_long is None else
                 f"; {preview.too_long:,}{of} prompt(s) longer than max_source_length={preview.max_source} "
                 f"tokens (they will be truncated)")
    images = ("" if preview.images is None or preview.images == preview.count else
              f" of {preview.images:,} images ({preview.count / max(preview.images, 1):.1f} reference "
              f"captions per image)")
    about = "" if preview.exact else "about "
    return (f"{preview.path.name}: {about}{preview.count:,} examples{images}{long_text}. "
            f"Showing the first {len(preview.rows)}.")


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
        self.preview_label.setText(describe_preview(preview))
