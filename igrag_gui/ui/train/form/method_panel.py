"""The PEFT method selector above the chosen method's group of fields (the other groups hidden)."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QLabel, QVBoxLayout, QWidget

from ....core.methods.registry import METHOD_SPECS, METHODS


class MethodPanel(QWidget):
    """``combo`` picks the method; ``note`` shows a problem with it; ``chosen(name)`` fires on every
    change (the form tells the user's changes from its own)."""

    chosen = Signal(str)

    def __init__(self, groups: Mapping[str, QGroupBox], parent: QWidget | None = None):
        """``groups`` builds a method's group when it is first asked for (``ConfigForm``'s
        ``LazyGroups``); the group then comes to ``place``."""
        super().__init__(parent)
        self._groups = groups
        self._order = ["lora", *[m for m in METHODS if m != "lora"]]
        self._placed: set[str] = set()
        self._shown = "lora"
        self._layout = layout = QVBoxLayout(self)
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
        self.place("lora", groups["lora"])

    def place(self, section: str, box: QGroupBox) -> None:
        """Put a newly built method group in its place below the selector (in method order),
        visible only if it is the chosen method's."""
        if section in self._placed:
            return
        box.setVisible(False)  # explicitly hidden: joining a shown layout does not show it
        index = 1 + sum(1 for s in self._order[:self._order.index(section)] if s in self._placed)
        self._layout.insertWidget(index, box)
        self._placed.add(section)
        box.setVisible(section == self._shown)

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
        """Show ``section``'s group (building it the first time) and hide the others built."""
        self._shown = section
        for name in self._placed - {section}:
            self._groups[name].setVisible(False)
        if section in METHODS:
            self._groups[section].setVisible(True)

    def set_problems(self, messages: list[str]) -> None:
        self.note.setText("\n".join(messages))
        self.note.setVisible(bool(messages))

    @Slot(int)
    def _changed(self, index: int) -> None:
        self.chosen.emit(self.combo.itemData(index))
