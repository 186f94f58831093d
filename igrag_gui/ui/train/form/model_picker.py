"""``model.base_model_path``: a model folder or a Hugging Face id, typed or picked.

The drop-down offers the bundled demo model and the models already in the local Hugging Face
cache (``core.models.hub_cache``: never the network; scanned after the window's first frame, since
huggingface_hub takes 0.2 s to import); "Browse…" picks a local folder.
Whatever the user types is kept as typed: ``RunConfig.validate`` judges it.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox, QCompleter, QFileDialog, QHBoxLayout, QPushButton, QSizePolicy, QWidget,
)

from ....core.models.hub_cache import cached_model_ids
from ...workers import after_first_paint

DEMO_LABEL = "Demo model (bundled)"


def _demo_model_path() -> str:
    from ....resources import demo_model_path

    return str(demo_model_path())


class ModelPicker(QWidget):
    """Editable combo box + "Browse…". ``changed(str)`` fires whenever the text changes
    (typing, picking an entry, browsing, ``setText``)."""

    changed = Signal(str)

    def __init__(self, parent: QWidget | None = None, cache_dir: str | os.PathLike | None = None):
        super().__init__(parent)
        self._cache_dir = cache_dir
        self._folders: list[str] = []  # merged models made in this session (Playground -> Merge)
        self._cached: list[str] = []  # the hub cache's models, once scanned
        self.combo = QComboBox()
        self.combo.setEditable(True)
        self.combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setMinimumContentsLength(16)
        self.combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.combo.lineEdit().setPlaceholderText("model folder or Hugging Face id, e.g. google/flan-t5-base")
        # Suggestions pop up under the text instead of completing it in place, so that typing a
        # path that starts like an entry ("D:\models") is never rewritten.
        completer = self.combo.completer()
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.browse_button = QPushButton("Browse…")
        self.browse_button.setToolTip("Choose a local model folder (the one holding config.json)")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo, 1)
        layout.addWidget(self.browse_button)
        self.refresh()
        after_first_paint(self, self.rescan)
        self.combo.activated.connect(self._activated)
        self.combo.currentTextChanged.connect(self._text_changed)
        self.browse_button.clicked.connect(self.browse)

    # --------------------------------------------------------------------------------- API
    def text(self) -> str:
        return self.combo.currentText()

    def setText(self, text: str) -> None:
        self.combo.setEditText(text)

    @Slot()
    def rescan(self) -> None:
        """Read the Hugging Face cache again (kept by ``hub_cache`` until the cache changes)."""
        self._cached = cached_model_ids(self._cache_dir)
        self.refresh()

    def refresh(self) -> None:
        """Rebuild the drop-down: the demo model, merged models, then the cached Hugging Face ids."""
        text = self.combo.currentText()
        self.combo.blockSignals(True)
        try:
            self.combo.clear()
            try:
                demo = _demo_model_path()
            except FileNotFoundError:
                demo = None
            if demo is not None:
                self.combo.addItem(DEMO_LABEL, demo)
                self.combo.setItemData(0, f"The small model shipped with igrag-gui:\n{demo}",
                                       Qt.ItemDataRole.ToolTipRole)
            for folder in self._folders:
                self.combo.addItem(f"Merged: {Path(folder).name}", folder)
                self.combo.setItemData(self.combo.count() - 1, f"A merged model folder (Playground → Merge), "
                                       f"a base for prompt tuning on top of it:\n{folder}",
                                       Qt.ItemDataRole.ToolTipRole)
            ids = self._cached
            if ids:
                self.combo.insertSeparator(self.combo.count())
                for model_id in ids:
                    self.combo.addItem(model_id, model_id)
                    self.combo.setItemData(self.combo.count() - 1, "In the local Hugging Face cache",
                                           Qt.ItemDataRole.ToolTipRole)
            self.combo.setCurrentIndex(-1)
            self.combo.setEditText(text)
        finally:
            self.combo.blockSignals(False)

    def cached_ids(self) -> list[str]:
        return [self.combo.itemData(i) for i in range(self.combo.count())
                if self.combo.itemText(i) not in ("", DEMO_LABEL) and self.combo.itemData(i)
                and self.combo.itemData(i) not in self._folders]

    @Slot(str)
    def add_model_folder(self, folder: str) -> None:
        """Offer a model folder made in this session (a merged model) in the drop-down."""
        if folder not in self._folders:
            self._folders.append(folder)
            self.refresh()

    def model_folders(self) -> list[str]:
        return list(self._folders)

    @Slot()
    def browse(self) -> None:
        current = Path(self.text()).expanduser() if self.text() else Path.home()
        start = str(current if current.is_dir() else Path.home())
        folder = QFileDialog.getExistingDirectory(self, "Choose a model folder", start)
        if folder:
            self.setText(folder)

    # ------------------------------------------------------------------------------ slots
    @Slot(int)
    def _activated(self, index: int) -> None:
        value = self.combo.itemData(index)
        if value and value != self.combo.currentText():
            self.combo.setEditText(value)  # the demo entry's label stands for its folder

    @Slot()
    def _replace_demo_label(self) -> None:
        if self.combo.currentText() == DEMO_LABEL:
            self.combo.setEditText(self.combo.itemData(self.combo.findText(DEMO_LABEL)) or "")

    @Slot(str)
    def _text_changed(self, text: str) -> None:
        if text == DEMO_LABEL:
            # The entry's label stands for its folder: replaced at once when picked from the
            # list (_activated), on the next turn of the event loop when picked from the
            # completer (which sets the text after this signal).
            QTimer.singleShot(0, self._replace_demo_label)
            return
        self.changed.emit(text)

