"""The live view's collapsible log: engine output and ``describe``'s lines, appended in batches
at the view's redraw tick, capped at ``LOG_MAX_LINES``."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QPlainTextEdit, QToolButton, QWidget

LOG_MAX_LINES = 5000


class LogPanel(QObject):
    """Owns two widgets the view lays out: ``view`` (the text) and ``toggle`` (shows, hides)."""

    def __init__(self, owner: QWidget):
        super().__init__(owner)
        self._owner = owner
        self.pending: list[str] = []
        self.toggle = QToolButton()
        self.toggle.setCheckable(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setAutoRaise(True)
        self.toggle.toggled.connect(self.set_visible)
        self.view = QPlainTextEdit(readOnly=True)
        self.view.setMaximumBlockCount(LOG_MAX_LINES)
        self.view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.view.setVisible(False)

    def add(self, lines: list[str]) -> None:
        self.pending.extend(lines)

    def clear(self) -> None:
        self.pending.clear()
        self.view.clear()

    @Slot(bool)
    def set_visible(self, visible: bool) -> None:
        if self.toggle.isChecked() != visible:
            self.toggle.setChecked(visible)  # comes back here through toggled
            return
        self.view.setVisible(visible)
        self.update_toggle()

    def flush(self) -> None:
        if not self.pending:
            return
        lines = self.pending[-LOG_MAX_LINES:]
        self.pending = []
        bar = self.view.verticalScrollBar()
        at_end = bar.value() >= bar.maximum() - 2
        self.view.appendPlainText("\n".join(lines))
        if at_end:
            bar.setValue(bar.maximum())
        self.update_toggle()

    def update_toggle(self) -> None:
        shown = self.view.isVisibleTo(self._owner) or self.toggle.isChecked()
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        lines = 0 if self.view.document().isEmpty() else self.view.blockCount()
        self.toggle.setText(f"Log ({lines:,} line{'s' if lines != 1 else ''})")
