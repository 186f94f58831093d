"""The PEFT method selector above the chosen method's group of fields (the other groups hidden)."""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QLabel, QVBoxLayout, QWidget

from ..core.methods.registry import METHOD_SPECS, METHODS


class MethodPanel(QWidget):
    """``combo`` picks the method; ``note`` shows a problem with it; ``chosen(name)`` fires on every
    change (the form tells the user's changes from its own)."""

    chosen = Signal(str)

    def __init__(self, groups: dict[str, QGroupBox], parent: QWidget | None = None):
        super().__init__(parent)
        self._groups = groups
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        box = QGroupBox("PEFT method")
        form = QFormLayout(box)
        self.combo = QComboBox()
        self.combo.setObjectName("methodCombo")
        for name in METHODS:
            spec = METHOD_SPECS[name]
            self.combo.addItem(f"{spec.title}  ({name})", name)
        self.combo.setToolTip("The PEFT method this run trains; its own settings are below. "
                              "Prompt methods (prompt tuning, prefix tuning, P-tuning) learn "
                              "virtual tokens and want far larger learning rates.")
        self.combo.currentIndexChanged.connect(self._changed)
        self.note = QLabel()
        self.note.setObjectName("methodProblem")
        self.note.setWordWrap(True)
        self.note.hide()
        form.addRow("Method", self.combo)
        form.addRow(self.note)
        layout.addWidget(box)
        for section in ("lora", *[m for m in METHODS if m != "lora"]):
            layout.addWidget(groups[section])

    def set_method(self, method: str) -> None:
        """Select ``method``; one the registry does not know is added as written (validate names it)."""
        index = self.combo.findData(method)
        if index < 0:
            self.combo.addItem(str(method), method)
            index = self.combo.count() - 1
        self.combo.setCurrentIndex(index)

    def method(self) -> str:
        return self.combo.currentData()

    def show_method(self, section: str) -> None:
        for name in METHODS:
            self._groups[name].setVisible(name == section)

    def set_problems(self, messages: list[str]) -> None:
        self.note.setText("\n".join(messages))
        self.note.setVisible(bool(messages))

    @Slot(int)
    def _changed(self, index: int) -> None:
        self.chosen.emit(self.combo.itemData(index))
