"""How the last run ended, under the Train tab's buttons: one line (``RunHistory.end``'s
outcome), and what to do next: Try in Playground, Inspect, Details."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from ...core.training.run_history import Outcome

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMessageBox


class OutcomePanel(QWidget):
    try_adapter = Signal(str)  # the trained adapter folder, to try in the Playground
    inspect_adapter = Signal(str)  # ... to open in Inspect

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.outcome: Outcome | None = None
        self.outcome_label = QLabel()
        self.outcome_label.setWordWrap(True)
        self.outcome_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.try_button = QPushButton("Try in Playground")
        self.try_button.setToolTip("Load the trained adapter next to its base model and compare their outputs")
        self.try_button.clicked.connect(lambda: self.try_adapter.emit(self._adapter()))
        self.inspect_button = QPushButton("Inspect")
        self.inspect_button.setToolTip("Open the trained adapter in Inspect: its report card and tensors")
        self.inspect_button.clicked.connect(lambda: self.inspect_adapter.emit(self._adapter()))
        self.details_button = QPushButton("Details…")
        self.details_button.clicked.connect(self.show_details)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.outcome_label, 1)
        for button in (self.try_button, self.inspect_button, self.details_button):
            layout.addWidget(button)
        self.show_outcome(None)

    def _adapter(self) -> str:
        return (self.outcome.adapter if self.outcome else None) or ""

    def show_outcome(self, outcome: Outcome | None, error_color: str = "") -> None:
        """Show ``outcome`` (None: nothing yet); the buttons follow what it offers."""
        self.outcome = outcome
        self.outcome_label.setText(outcome.text if outcome else "")
        failed = outcome is not None and outcome.kind == "failed"
        self.outcome_label.setStyleSheet(f"color: {error_color};" if failed and error_color else "")
        trained = outcome is not None and outcome.adapter is not None
        self.try_button.setVisible(trained)
        self.inspect_button.setVisible(trained)
        self.details_button.setVisible(bool(outcome and outcome.details))

    def show_details(self) -> QMessageBox:
        from PySide6.QtWidgets import QMessageBox

        box = QMessageBox(QMessageBox.Information, "Training details", self.outcome_label.text(), parent=self)
        box.setDetailedText(self.outcome.details if self.outcome else "")
        box.open()
        return box
