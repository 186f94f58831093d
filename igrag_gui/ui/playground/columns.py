"""The Side-by-side page: one column per model (the base, then each checked adapter), text
appended as it streams, the generation's figures under it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QPlainTextEdit, QVBoxLayout, QWidget


class OutputColumns(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.columns: dict[str, QPlainTextEdit] = {}
        self.column_stats: dict[str, QLabel] = {}
        self.last_stats: dict[str, Any] = {}  # label -> StreamStats of its last generation
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)

    def set_labels(self, labels: list[str]) -> None:
        """Show these columns, in this order (columns no longer wanted go away)."""
        for label in list(self.columns):
            if label not in labels:
                box = self.columns.pop(label).parentWidget()
                self.column_stats.pop(label, None)
                box.setParent(None)
                box.deleteLater()
        for label in labels:
            if label in self.columns:
                continue
            box = QGroupBox(label)
            text = QPlainTextEdit(readOnly=True)
            text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.GeneralFont))
            stats = QLabel()
            stats.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            inner = QVBoxLayout(box)
            inner.addWidget(text, 1)
            inner.addWidget(stats)
            self.columns[label] = text
            self.column_stats[label] = stats
            self._layout.addWidget(box, 1)

    def start(self, labels: list[str]) -> None:
        """Empty columns for a new generation through ``labels``."""
        self.set_labels(labels)
        for label in labels:
            self.columns[label].clear()
            self.column_stats[label].setText("waiting…")
            self.last_stats.pop(label, None)

    def append(self, label: str, text: str) -> None:
        view = self.columns.get(label)
        if view is not None:
            cursor = view.textCursor()
            cursor.movePosition(cursor.MoveOperation.End)
            cursor.insertText(text)
            self.column_stats[label].setText("streaming…")

    def finish(self, label: str, stats: Any) -> None:
        self.last_stats[label] = stats
        if label in self.column_stats:
            first = "no token" if stats.first_token_s is None else f"first token {stats.first_token_s * 1000:,.0f} ms"
            self.column_stats[label].setText(f"{first} · {stats.new_tokens} tokens · {stats.tokens_per_s:,.1f} "
                                             f"tokens/s" + (" · stopped" if stats.stopped else ""))

    def text(self, label: str) -> str:
        return self.columns[label].toPlainText() if label in self.columns else ""
