"""The Inspect tab: drop a checkpoint and see what it really is.

Left: a drop zone (folders and files, one or several), open buttons, recent items and the list of
inspected adapters (pick two to compare). Right: the report card, and three pages: the tensors
(``tensor_tree``), the update-norm heatmap (``heatmap``) and the comparison (``compare``). The
report itself comes from ``core.adapters`` (headers only, milliseconds, no torch); reading runs
as ``ops`` coroutines, never on the GUI thread.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (QAbstractItemView, QFileDialog, QHBoxLayout, QLabel, QListWidget, QListWidgetItem,
                               QMenu, QPushButton, QSplitter, QTabWidget, QToolButton, QVBoxLayout, QWidget)

from .. import ops
from ..theme import status_hex
from .compare import ComparePage
from .drop_zone import DropZone
from .heatmap import HeatmapPage
from .report_card import ReportCard
from .tensor_tree import TensorTree

RECENT_KEY = "inspect/recent"
RECENT_MAX = 10
AUTO_STATS_MAX_BYTES = 64 * 1024 * 1024  # smaller adapters get their heatmap without asking
PATH_ROLE = Qt.ItemDataRole.UserRole
EXPECTED = ("Drop an adapter here: a folder holding adapter_config.json and adapter_model.safetensors "
            "(a training run's output folder or one of its checkpoint-N folders), or either file.")
TENSORS_PAGE, NORMS_PAGE, COMPARE_PAGE = range(3)


def remember_recent(settings: QSettings, path: str | Path) -> None:
    """Put ``path`` first in Inspect's Recent list (the window calls this for a finished run
    without building the tab)."""
    key = str(path)
    value = settings.value(RECENT_KEY, []) or []
    recent = [p for p in ([value] if isinstance(value, str) else value) if p != key]
    settings.setValue(RECENT_KEY, [key, *recent][:RECENT_MAX])


def _inspect(path: Path) -> Any:
    from ...core.adapters import inspect_path

    return inspect_path(path)


class InspectTab(QWidget):
    """Drop zone, adapter list, report card, tensors, heatmap and comparison."""

    status_message = Signal(str)
    open_in_playground = Signal(str)  # the adapter folder

    def __init__(self, settings: QSettings | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.settings = settings or QSettings()
        self.reports: dict[str, Any] = {}  # path -> AdapterReport
        self.stats: dict[str, Any] = {}  # path -> WeightStats
        self.current: str | None = None
        self.failure: str | None = None  # why the last open failed (cleared by the next success)
        self._opening = 0  # reads in flight
        self._build()
        self._update_actions()

    # ------------------------------------------------------------------------------------ layout
    def _build(self) -> None:
        self.drop_zone = DropZone()
        self.drop_zone.dropped.connect(self.open_paths)
        self.open_folder_button = QPushButton("Open folder…")
        self.open_folder_button.clicked.connect(self._browse_folder)
        self.open_file_button = QPushButton("Open file…")
        self.open_file_button.clicked.connect(self._browse_file)
        self.recent_button = QToolButton()
        self.recent_button.setText("Recent")
        self.recent_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.recent_menu = QMenu(self.recent_button)
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self.recent_button.setMenu(self.recent_menu)
        buttons = QHBoxLayout()
        for button in (self.open_folder_button, self.open_file_button, self.recent_button):
            buttons.addWidget(button)

        self.list = QListWidget()
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.itemSelectionChanged.connect(self._selection_changed)
        self.list.setToolTip("Inspected adapters. Select two (Ctrl+click) and press Compare.")
        self.compare_button = QPushButton("Compare")
        self.compare_button.setToolTip("Compare the two selected adapters: config and update norms")
        self.compare_button.clicked.connect(self.compare_selected)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self._remove_selected)
        list_buttons = QHBoxLayout()
        list_buttons.addWidget(self.compare_button)
        list_buttons.addWidget(self.remove_button)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(8, 8, 4, 8)
        left_layout.addWidget(self.drop_zone)
        left_layout.addLayout(buttons)
        left_layout.addWidget(QLabel("Adapters"))
        left_layout.addWidget(self.list, 1)
        left_layout.addLayout(list_buttons)

        self.message_label = QLabel(EXPECTED)
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.card = ReportCard(lambda: self.reports.get(self.current), self)
        self.card.hide()
        self.card.copy_button.clicked.connect(self.copy_json)
        self.card.folder_button.clicked.connect(self._show_in_folder)
        self.card.playground_button.clicked.connect(self._send_to_playground)
        self.playground_button = self.card.playground_button  # the window shows it when it has a Playground
        self.convert_action = self.card.convert_action
        self.convert_action.converted.connect(lambda folder: self.open_paths([folder]))
        self.convert_action.failed.connect(lambda message: self._failed(Path(self.current or "."), message))

        self.tensors = TensorTree()
        self.norms = HeatmapPage()
        self.norms.button.clicked.connect(self.compute_stats)
        self.norms.computed.connect(self._stats_ready)
        self.comparison_page = ComparePage()
        self.comparison_page.compared.connect(self.status_message)
        self.pages = QTabWidget()
        self.pages.addTab(self.tensors, "Tensors")
        self.pages.addTab(self.norms, "Update norms")
        self.pages.addTab(self.comparison_page, "Compare")
        self.pages.hide()

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(4, 8, 8, 8)
        right_layout.addWidget(self.message_label)
        right_layout.addWidget(self.card)
        right_layout.addWidget(self.pages, 1)
        right_layout.addStretch(0)

        self.splitter = QSplitter()
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([300, 900])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

    def busy(self) -> bool:
        """Whether an adapter is being read, measured or compared."""
        return self._opening > 0 or self.norms.running() or self.comparison_page.running()

    # ------------------------------------------------------------------------------- opening
    def open_path(self, path: str | Path) -> None:
        """Inspect one adapter folder or file (the window's seam)."""
        self.open_paths([Path(path)])

    @Slot(list)
    def open_paths(self, paths: list) -> None:
        """Inspect each path in the background; each success joins the list, each failure is said."""
        for path in paths:
            ops.start(self._open(Path(path)), owner=self)

    async def _open(self, path: Path) -> None:
        self._opening += 1
        self.message_label.setText(f"Reading {path}…")
        self.message_label.setStyleSheet("")
        self.message_label.show()
        try:
            report = await ops.run(_inspect, path, ml=False)
        except ops.TaskFailed as exc:
            self._opening -= 1
            self._failed(path, exc.message)
            return
        self._opening -= 1
        self._opened(report)

    def _opened(self, report: Any) -> None:
        self.failure = None
        key = report.path
        self.reports[key] = report
        self.stats.pop(key, None)
        self.add_recent(key)
        existing = self._item(key)
        item = existing or QListWidgetItem()
        item.setText(f"{report.method} — {Path(key).name}")
        item.setToolTip(key)
        item.setData(PATH_ROLE, key)
        if existing is None:
            self.list.addItem(item)
        self.list.clearSelection()
        item.setSelected(True)
        self.list.setCurrentItem(item)
        self.show_report(key)
        self.status_message.emit(f"Inspected {key}: {report.method}")

    def _failed(self, path: Path, message: str) -> None:
        self.list.clearSelection()  # the card would show another adapter under this message
        self.current, self.failure = None, message
        self.convert_action.follow(None)
        self.card.hide()
        self.pages.hide()
        self._update_actions()
        text = message if "internal error" in message else f"{message}\n\n{EXPECTED}"
        self.message_label.setText(text)
        self.message_label.setStyleSheet(f"color: {status_hex('error', self)};")
        self.message_label.show()
        self.status_message.emit(message.splitlines()[0])

    def _item(self, key: str) -> QListWidgetItem | None:
        for row in range(self.list.count()):
            if self.list.item(row).data(PATH_ROLE) == key:
                return self.list.item(row)
        return None

    def _browse_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open an adapter folder")
        if folder:
            self.open_paths([Path(folder)])

    def _browse_file(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Open adapter files", "",
                                                "Adapter files (adapter_config.json *.safetensors *.bin);;"
                                                "All files (*)")
        if files:
            self.open_paths([Path(f) for f in files])

    # -------------------------------------------------------------------------------- recent
    def add_recent(self, path: str | Path) -> None:
        """Put ``path`` first in the Recent menu (without opening it)."""
        remember_recent(self.settings, path)

    def recent(self) -> list[str]:
        value = self.settings.value(RECENT_KEY, []) or []
        return [value] if isinstance(value, str) else list(value)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in self.recent():
            self.recent_menu.addAction(path, lambda p=path: self.open_paths([Path(p)]))
        if not self.recent_menu.actions():
            self.recent_menu.addAction("(nothing yet)").setEnabled(False)

    # ---------------------------------------------------------------------------- the list
    def _remove_selected(self) -> None:
        for item in self.list.selectedItems():
            key = item.data(PATH_ROLE)
            self.reports.pop(key, None)
            self.stats.pop(key, None)
            self.list.takeItem(self.list.row(item))
        if self.list.count() == 0:
            self.current = None
            self.card.hide()
            self.pages.hide()
            self.message_label.setText(EXPECTED)
            self.message_label.setStyleSheet("")
            self.message_label.show()

    def _selection_changed(self) -> None:
        selected = self.list.selectedItems()
        if len(selected) == 1:
            self.show_report(selected[0].data(PATH_ROLE))
        self._update_actions()

    def _update_actions(self) -> None:
        self.compare_button.setEnabled(len(self.list.selectedItems()) == 2)
        self.remove_button.setEnabled(bool(self.list.selectedItems()))
        self.card.set_actions_enabled(self.current is not None)

    # ------------------------------------------------------------------------------- showing
    def show_report(self, key: str) -> None:
        report = self.reports[key]
        self.current = key
        self.message_label.hide()
        self.card.show()
        self.pages.show()
        self.card.show_report(key, report)
        self.tensors.show_report(report)
        self._update_actions()
        if key in self.stats:
            self.norms.show_stats(self.stats[key])
        else:
            self.norms.clear()
            if report.files.weights is not None and report.totals.get("num_bytes", 0) <= AUTO_STATS_MAX_BYTES:
                self.compute_stats()

    @Slot()
    def compute_stats(self) -> None:
        """Compute the current adapter's update norms in the background (cancellable)."""
        if self.current is not None:
            self.norms.compute(self.current, self.reports[self.current])

    def _stats_ready(self, key: str, stats: Any) -> None:
        self.stats[key] = stats
        if key == self.current:
            self.norms.show_stats(stats)

    @Slot()
    def compare_selected(self) -> None:
        selected = sorted(self.list.selectedItems(), key=self.list.row)  # A: the one higher in the list
        keys = [item.data(PATH_ROLE) for item in selected]
        if len(keys) != 2:
            return
        self.pages.show()
        self.pages.setCurrentIndex(COMPARE_PAGE)
        self.comparison_page.compare(self.reports[keys[0]], self.reports[keys[1]], self.stats)

    # ------------------------------------------------------------------------------- actions
    def report_json(self) -> str:
        if self.current is None:
            return ""
        data = self.reports[self.current].to_json()
        if self.current in self.stats:
            data["weight_stats"] = self.stats[self.current].to_json()
        return json.dumps(data, indent=2)

    @Slot()
    def copy_json(self) -> None:
        QGuiApplication.clipboard().setText(self.report_json())
        self.status_message.emit("Report copied as JSON")

    def current_folder(self) -> Path | None:
        if self.current is None:
            return None
        files = self.reports[self.current].files
        return Path(files.folder) if getattr(files, "folder", None) else Path(self.current).parent

    def _show_in_folder(self) -> None:
        folder = self.current_folder()
        if folder is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    def _send_to_playground(self) -> None:
        folder = self.current_folder()
        if folder is not None:
            self.open_in_playground.emit(str(folder))

    # -------------------------------------------------------- what the window asks of the tab
    def offer_playground(self) -> None:
        """Show "Open in Playground": a Playground now listens to ``open_in_playground``."""
        self.playground_button.show()

    def save_state(self, settings: QSettings) -> None:
        settings.setValue("inspect/splitter", self.splitter.saveState())

    def restore_state(self, settings: QSettings) -> None:
        state = settings.value("inspect/splitter")
        if isinstance(state, QByteArray):
            self.splitter.restoreState(state)
