"""A page (a tab's content) built the first time it is shown or asked for.

Pages a user does not see in the first frame (Train's Data and Runs) cost start-up time for
nothing; this builds them on demand and keeps the rest of the code unaware of when.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget


class LazyPage(QWidget):
    def __init__(self, build: Callable[[], QWidget], parent: QWidget | None = None):
        super().__init__(parent)
        self._build: Callable[[], QWidget] | None = build
        self._content: QWidget | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)

    @property
    def is_built(self) -> bool:
        return self._build is None

    def ensure_built(self) -> None:
        if self._build is not None:
            build, self._build = self._build, None  # a build that asks for itself must not recurse
            self._content = build()
            self.layout().addWidget(self._content)

    def content(self) -> QWidget:
        """The page's widget, built now if it has not been."""
        self.ensure_built()
        assert self._content is not None
        return self._content

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        self.ensure_built()
        super().showEvent(event)
