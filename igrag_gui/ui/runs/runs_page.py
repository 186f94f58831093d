"""The Train tab's Runs page: the runs next to the config, one shown at a time as its curves
(a ``RunHistory`` read from metrics.jsonl, drawn by the same ``LiveView`` as a live run) and its
run.yaml. With no run yet, it says so and where runs will appear."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (QLabel, QListWidget, QListWidgetItem, QPlainTextEdit, QSplitter, QTabWidget,
                               QVBoxLayout, QWidget)

from ...core.experiments.runs import find_runs
from ..live import LiveView


def empty_text(folders: list[Path]) -> str:
    where = folders[0] if folders else "the config's training.output_dir"
    return f"No runs yet. A run appears here once it has trained (its metrics.jsonl) in {where} or beside it."


class RunsPage(QSplitter):
    def __init__(self, folders: Callable[[], list[Path]], parent: QWidget | None = None):
        super().__init__(Qt.Horizontal, parent)
        self._folders = folders
        self.runs_list = QListWidget()
        self.runs_list.currentItemChanged.connect(self._open_run)
        self.empty_label = QLabel()
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.empty_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.empty_label)
        left_layout.addWidget(self.runs_list, 1)
        self.view = LiveView()
        self.config_view = QPlainTextEdit(readOnly=True)
        detail = QTabWidget()
        detail.addTab(self.view, "Curves")
        detail.addTab(self.config_view, "run.yaml")
        self.addWidget(left)
        self.addWidget(detail)
        self.setSizes([220, 700])
        self.refresh()

    def refresh(self) -> None:
        """List the runs again (newest first); say so when there is none."""
        self.runs_list.clear()
        folders = self._folders()
        try:
            runs = find_runs(folders, depth=1)
        except OSError:
            runs = []
        for run in runs:
            item = QListWidgetItem(run.name)
            item.setData(Qt.UserRole, str(run))
            item.setToolTip(str(run))
            self.runs_list.addItem(item)
        self.empty_label.setText(empty_text(folders))
        self.empty_label.setVisible(not runs)
        self.runs_list.setVisible(bool(runs))

    @Slot(QListWidgetItem, QListWidgetItem)
    def _open_run(self, item: QListWidgetItem | None, _previous: Any = None) -> None:
        if item is None:
            return
        run = Path(item.data(Qt.UserRole))
        self.view.clear()
        try:
            self.view.load_metrics(run / "metrics.jsonl")
            text = (run / "run.yaml").read_text(encoding="utf-8") if (run / "run.yaml").exists() else "(no run.yaml)"
        except OSError as exc:
            text = f"cannot read this run: {exc}"
        self.config_view.setPlainText(text)
        self.view.redraw_now()
