"""The Playground's Model box: the base model to load, what is loaded, and the adapters attached.

A view: it shows what the tab tells it and asks (signals) for a load, an adapter or a removal;
the tab runs the work.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QFileDialog, QGroupBox, QHBoxLayout, QLabel, QListWidget, QListWidgetItem,
                               QPushButton, QVBoxLayout, QWidget)

from ...resources import demo_model_path
from ..train.form.model_picker import ModelPicker
from ..theme import status_hex

NAME_ROLE = Qt.ItemDataRole.UserRole


class ModelPanel(QGroupBox):
    load_requested = Signal()
    adapter_chosen = Signal(Path)  # a folder picked in the file dialog
    remove_requested = Signal(str)  # the selected adapter's name

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Model", parent)
        self.base_picker = ModelPicker()
        self.base_picker.setText(str(demo_model_path()))
        self.load_button = QPushButton("Load")
        self.load_button.clicked.connect(self.load_requested)
        self.status = QLabel("No model loaded.")
        self.status.setWordWrap(True)
        self.memory_label = QLabel()
        model_row = QHBoxLayout()
        model_row.addWidget(QLabel("Base model"))
        model_row.addWidget(self.base_picker, 1)
        model_row.addWidget(self.load_button)

        self.adapter_list = QListWidget()
        self.adapter_list.setMaximumHeight(96)
        self.adapter_list.setToolTip("Checked adapters get a column next to the base model's")
        self.add_button = QPushButton("Add adapter…")
        self.add_button.clicked.connect(self._browse)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self._remove)
        buttons = QVBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        adapter_row = QHBoxLayout()
        adapter_row.addWidget(self.adapter_list, 1)
        adapter_row.addLayout(buttons)

        layout = QVBoxLayout(self)
        layout.addLayout(model_row)
        layout.addWidget(self.status)
        layout.addWidget(self.memory_label)
        layout.addLayout(adapter_row)

    def base(self) -> str:
        return self.base_picker.text().strip()

    def say(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(f"color: {status_hex('error', self)};" if error else "")

    def show_memory(self, n_bytes: int | None) -> None:
        self.memory_label.setText("" if n_bytes is None else f"Memory: {n_bytes / 2**20:,.1f} MiB (one copy of "
                                                             f"the base; adapters attached by name)")

    def add_adapter(self, name: str, path: Path) -> None:
        item = QListWidgetItem(f"{name} — {path}")
        item.setData(NAME_ROLE, name)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked)
        self.adapter_list.addItem(item)

    def drop_adapter(self, name: str) -> None:
        for row in range(self.adapter_list.count()):
            if self.adapter_list.item(row).data(NAME_ROLE) == name:
                self.adapter_list.takeItem(row)
                return

    def clear_adapters(self) -> None:
        self.adapter_list.clear()
        self.show_memory(None)

    def checked_adapters(self) -> list[str]:
        items = [self.adapter_list.item(i) for i in range(self.adapter_list.count())]
        return [item.data(NAME_ROLE) for item in items if item.checkState() == Qt.CheckState.Checked]

    def set_busy(self, busy: bool) -> None:
        for widget in (self.load_button, self.remove_button):
            widget.setEnabled(not busy)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose an adapter folder")
        if folder:
            self.adapter_chosen.emit(Path(folder))

    def _remove(self) -> None:
        item = self.adapter_list.currentItem()
        if item is not None:
            self.remove_requested.emit(item.data(NAME_ROLE))
