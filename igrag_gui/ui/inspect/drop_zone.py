"""The Inspect tab's drop zone: a framed area that takes dropped adapter folders and files."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget


class DropZone(QFrame):
    """A framed area that takes dropped folders and files."""

    dropped = Signal(list)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("dropZone")
        self.setAcceptDrops(True)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setMinimumHeight(96)
        self.label = QLabel("Drop adapter folders or files here")
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setWordWrap(True)
        hint = QLabel("adapter_config.json + adapter_model.safetensors")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.label)
        layout.addWidget(hint)
        layout.addStretch(1)
        self._set_hover(False)

    def _set_hover(self, on: bool) -> None:
        border = self.palette().color(self.palette().ColorRole.Highlight if on else self.palette().ColorRole.Mid)
        self.setStyleSheet(f"QFrame#dropZone {{ border: 2px dashed {border.name()}; border-radius: 6px; }}")

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt naming
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
            self._set_hover(True)

    def dragLeaveEvent(self, event) -> None:  # noqa: N802 - Qt naming
        self._set_hover(False)

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt naming
        self._set_hover(False)
        paths = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.dropped.emit(paths)
