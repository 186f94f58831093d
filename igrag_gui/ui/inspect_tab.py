"""The Inspect tab: drop a checkpoint and see what it really is.

Left: a drop zone (folders and files, one or several), open buttons, recent items and the list of
inspected adapters (pick two to compare). Right: the verdict in large type with its evidence and
key figures, the warnings, and three pages: the tensors as a grouped, sortable, filterable tree;
a layer x module heatmap of update norms (computed in the background, memory-mapped, cancellable);
and the comparison of two adapters. The report itself comes from ``core.adapters`` (headers only,
milliseconds, no torch).
"""

from __future__ import annotations

import json
import math
import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QObject, QSettings, QSortFilterProxyModel, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QColor, QDesktopServices, QFont, QGuiApplication, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (QAbstractItemView, QFileDialog, QFormLayout, QFrame, QHBoxLayout, QHeaderView,
                               QLabel, QLineEdit, QListWidget, QListWidgetItem, QMenu, QProgressBar, QPushButton,
                               QSizePolicy, QSplitter, QTableWidget, QTableWidgetItem, QTabWidget, QToolButton, QTreeView,
                               QVBoxLayout, QWidget)

from ..core.adapters.report import format_value, human_bytes
from .theme import is_dark, status_hex
from .convert_prompt import ConvertPromptAction
from .workers import run_in_background

RECENT_KEY = "inspect/recent"
RECENT_MAX = 10
AUTO_STATS_MAX_BYTES = 64 * 1024 * 1024  # smaller adapters get their heatmap without asking
PATH_ROLE = Qt.ItemDataRole.UserRole
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
EXPECTED = ("Drop an adapter here: a folder holding adapter_config.json and adapter_model.safetensors "
            "(a training run's output folder or one of its checkpoint-N folders), or either file.")


class _Progress(QObject):
    """Carries a worker's progress to the GUI thread (emitted from the worker: queued)."""

    changed = Signal(int, int)


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


class _TensorFilter(QSortFilterProxyModel):
    """Filters rows by name, keeping a group row when any of its tensors matches."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.setRecursiveFilteringEnabled(True)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setSortRole(SORT_ROLE)


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
        self._cancel: threading.Event | None = None
        self._stats_for: str | None = None
        self._pending = 0
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
        buttons.addWidget(self.open_folder_button)
        buttons.addWidget(self.open_file_button)
        buttons.addWidget(self.recent_button)

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

        # Right: message, summary card, actions, pages.
        self.message_label = QLabel(EXPECTED)
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.verdict_label = QLabel()
        font = self.verdict_label.font()
        font.setPointSizeF(font.pointSizeF() * 2.0)
        font.setBold(True)
        self.verdict_label.setFont(font)
        self.verdict_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.path_label = QLabel()
        self.path_label.setWordWrap(True)
        self.path_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.evidence_label = QLabel()
        self.evidence_label.setWordWrap(True)
        self.evidence_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.figures = QFormLayout()
        self.figures.setHorizontalSpacing(16)
        self.figures.setVerticalSpacing(2)
        self.warnings_label = QLabel()
        self.warnings_label.setWordWrap(True)
        self.warnings_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.playground_button = QPushButton("Open in Playground")
        self.playground_button.clicked.connect(self._send_to_playground)
        self.copy_button = QPushButton("Copy report as JSON")
        self.copy_button.clicked.connect(self.copy_json)
        self.folder_button = QPushButton("Show in folder")
        self.folder_button.clicked.connect(self._show_in_folder)
        self.convert_action = ConvertPromptAction(self, lambda: self.reports.get(self.current))
        self.convert_action.converted.connect(lambda folder: self.open_paths([folder]))
        self.convert_action.failed.connect(lambda message: self._failed(Path(self.current or "."), message,
                                                                        pending=False))
        actions = QHBoxLayout()
        for button in (self.convert_action.button, self.playground_button, self.copy_button, self.folder_button):
            actions.addWidget(button)
        actions.addStretch(1)
        self.playground_button.hide()  # shown once a Playground listens to open_in_playground

        self.card = QFrame()
        self.card.setObjectName("summaryCard")
        self.card.setFrameShape(QFrame.Shape.StyledPanel)
        card_layout = QVBoxLayout(self.card)
        card_layout.addWidget(self.verdict_label)
        card_layout.addWidget(self.path_label)
        card_layout.addWidget(self.evidence_label)
        card_layout.addLayout(self.figures)
        card_layout.addWidget(self.warnings_label)
        card_layout.addLayout(actions)
        self.card.hide()

        # Tensors page.
        self.tensor_filter = QLineEdit()
        self.tensor_filter.setPlaceholderText("Filter tensors by name, e.g. lora_B or layer.3")
        self.tensor_filter.setClearButtonEnabled(True)
        self.tensor_model = QStandardItemModel(0, 5, self)
        self.tensor_model.setHorizontalHeaderLabels(["name", "shape", "dtype", "parameters", "bytes"])
        self.tensor_proxy = _TensorFilter(self)
        self.tensor_proxy.setSourceModel(self.tensor_model)
        self.tensor_filter.textChanged.connect(self.tensor_proxy.setFilterFixedString)
        self.tensor_filter.textChanged.connect(lambda text: self.tensor_tree.expandAll() if text else None)
        self.tensor_tree = QTreeView()
        self.tensor_tree.setModel(self.tensor_proxy)
        self.tensor_tree.setSortingEnabled(True)
        self.tensor_tree.setUniformRowHeights(True)
        self.tensor_tree.setAlternatingRowColors(True)
        self.tensor_tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tensor_tree.header().setStretchLastSection(False)
        self.totals_label = QLabel()
        tensors_page = QWidget()
        tensors_layout = QVBoxLayout(tensors_page)
        tensors_layout.addWidget(self.tensor_filter)
        tensors_layout.addWidget(self.tensor_tree, 1)
        tensors_layout.addWidget(self.totals_label)

        # Heatmap page.
        self.stats_button = QPushButton("Compute update norms")
        self.stats_button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.stats_button.setToolTip("Read the weights (memory-mapped, one module at a time) and compute "
                                     "‖scaling·B·A‖ per module, its singular values and effective rank")
        self.stats_button.clicked.connect(self.compute_stats)
        self.stats_cancel = QPushButton("Cancel")
        self.stats_cancel.clicked.connect(self.cancel_stats)
        self.stats_progress = QProgressBar()
        self.stats_label = QLabel()
        self.stats_label.setWordWrap(True)
        self.heatmap = QTableWidget()
        self.heatmap.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.heatmap.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        stats_row = QHBoxLayout()
        stats_row.addWidget(self.stats_button)
        stats_row.addWidget(self.stats_progress, 1)
        stats_row.addWidget(self.stats_cancel)
        stats_row.addStretch(0)
        heat_page = QWidget()
        heat_layout = QVBoxLayout(heat_page)
        heat_layout.addLayout(stats_row)
        heat_layout.addWidget(self.stats_label)
        heat_layout.addWidget(self.heatmap, 1)

        # Compare page.
        self.compare_label = QLabel("Select two adapters in the list and press Compare.")
        self.compare_label.setWordWrap(True)
        self.compare_table = QTableWidget(0, 3)
        self.compare_table.setHorizontalHeaderLabels(["", "A", "B"])
        self.compare_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.compare_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.norm_table = QTableWidget(0, 4)
        self.norm_table.setHorizontalHeaderLabels(["module", "norm A", "norm B", "B − A"])
        self.norm_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.norm_table.setSortingEnabled(True)
        self.norm_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        compare_page = QWidget()
        compare_layout = QVBoxLayout(compare_page)
        compare_layout.addWidget(self.compare_label)
        compare_split = QSplitter(Qt.Orientation.Vertical)
        compare_split.addWidget(self.compare_table)
        compare_split.addWidget(self.norm_table)
        compare_layout.addWidget(compare_split, 1)

        self.pages = QTabWidget()
        self.pages.addTab(tensors_page, "Tensors")
        self.pages.addTab(heat_page, "Update norms")
        self.pages.addTab(compare_page, "Compare")
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
        self._set_stats_running(False)

    # ------------------------------------------------------------------------------- opening
    @Slot(list)
    def open_paths(self, paths: list) -> None:
        """Inspect each path in the background; each success joins the list, each failure is said."""
        for path in paths:
            path = Path(path)
            self._pending += 1
            self.message_label.setText(f"Reading {path}…")
            self.message_label.setStyleSheet("")
            self.message_label.show()
            run_in_background(lambda p=path: _inspect(p), self._opened, lambda msg, p=path: self._failed(p, msg),
                              receiver=self, serial=False)

    def _opened(self, report: Any) -> None:
        self._pending -= 1
        key = report.path
        self.reports[key] = report
        self.stats.pop(key, None)
        self._remember(key)
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

    def _failed(self, path: Path, message: str, pending: bool = True) -> None:
        self._pending -= pending
        self.list.clearSelection()  # the card would show another adapter under this message
        self.current = None
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

    def _remember(self, key: str) -> None:
        recent = [p for p in (self.settings.value(RECENT_KEY, []) or []) if p != key]
        self.settings.setValue(RECENT_KEY, [key, *recent][:RECENT_MAX])

    def recent(self) -> list[str]:
        value = self.settings.value(RECENT_KEY, []) or []
        return [value] if isinstance(value, str) else list(value)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in self.recent():
            self.recent_menu.addAction(path, lambda p=path: self.open_paths([Path(p)]))
        if not self.recent_menu.actions():
            self.recent_menu.addAction("(nothing yet)").setEnabled(False)

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
        has = self.current is not None
        for button in (self.playground_button, self.copy_button, self.folder_button):
            button.setEnabled(has)

    # ------------------------------------------------------------------------------- the card
    def show_report(self, key: str) -> None:
        report = self.reports[key]
        self.current = key
        self.message_label.hide()
        self.card.show()
        self.pages.show()
        self.verdict_label.setText(report.method)
        self.convert_action.follow(report)
        peft = report.peft_type or "?"
        source = " (inferred from the tensors: no adapter_config.json)" if report.peft_type_source == "tensors" else ""
        self.path_label.setText(f"peft_type {peft}{source} · {report.task_type or 'no task type'} · "
                                f"base {report.base_model or '?'}\n{key}")
        self.evidence_label.setText("Why: " + "; ".join(report.evidence))
        while self.figures.rowCount():
            self.figures.removeRow(0)
        totals = report.totals
        rows = list(report.details.items())[:14]
        rows.append(("tensors", f"{totals['num_tensors']:,} · {totals['num_params']:,} parameters · "
                                f"{human_bytes(totals['num_bytes'])}"))
        for name, value in rows:
            label = QLabel(format_value(value, 120))
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setWordWrap(True)
            self.figures.addRow(name.replace("_", " "), label)
        if report.warnings:
            self.warnings_label.setText("\n".join(f"⚠ {w}" for w in report.warnings))
            self.warnings_label.setStyleSheet(f"color: {status_hex('warning', self)};")
        else:
            self.warnings_label.setText("✓ No warnings: config and weights agree.")
            self.warnings_label.setStyleSheet(f"color: {status_hex('ok', self)};")
        self._fill_tensors(report)
        self._update_actions()
        if key in self.stats:
            self._show_stats(self.stats[key])
        else:
            self._clear_heatmap()
            if report.files.weights is not None and totals.get("num_bytes", 0) <= AUTO_STATS_MAX_BYTES:
                self.compute_stats()

    def _fill_tensors(self, report: Any) -> None:
        model = self.tensor_model
        model.removeRows(0, model.rowCount())
        groups: dict[str, list[Any]] = {}
        for t in report.tensors:
            group = "shared / not in a layer" if t.layer is None else f"layer {t.layer}"
            groups.setdefault(group, []).append(t)

        def item(text: str, sort: Any) -> QStandardItem:
            cell = QStandardItem(text)
            cell.setData(sort, SORT_ROLE)
            cell.setEditable(False)
            return cell

        for group, tensors in sorted(groups.items(), key=lambda g: (g[0].startswith("shared"),
                                                                      int(g[0].split()[-1]) if g[0][-1].isdigit() else 0)):
            params = sum(t.numel for t in tensors)
            size = sum(t.nbytes for t in tensors)
            order = -1 if group.startswith("shared") else int(group.split()[-1])
            head = [item(f"{group} ({len(tensors)} tensors)", order), item("", ""), item("", ""),
                    item(f"{params:,}", params), item(human_bytes(size), size)]
            bold = QFont(head[0].font())
            bold.setBold(True)
            head[0].setFont(bold)
            for t in tensors:
                head[0].appendRow([item(t.name, t.name), item("×".join(str(d) for d in t.shape), t.numel),
                                   item(t.dtype, t.dtype), item(f"{t.numel:,}", t.numel),
                                   item(human_bytes(t.nbytes), t.nbytes)])
            model.appendRow(head)
        self.tensor_tree.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        if len(groups) <= 2:
            self.tensor_tree.expandAll()
        dtypes = ", ".join(report.totals.get("dtypes", {}))
        self.totals_label.setText(f"{report.totals['num_tensors']:,} tensors in {len(groups)} groups, "
                                  f"{report.totals['num_params']:,} parameters, "
                                  f"{human_bytes(report.totals['num_bytes'])}" + (f", {dtypes}" if dtypes else ""))

    # ------------------------------------------------------------------------- weight statistics
    def _set_stats_running(self, running: bool) -> None:
        self.stats_button.setEnabled(not running)
        self.stats_cancel.setVisible(running)
        self.stats_progress.setVisible(running)

    @Slot()
    def compute_stats(self) -> None:
        """Compute the current adapter's update norms in the background (cancellable)."""
        if self.current is None or self._cancel is not None:
            return
        from ..core.adapters import weight_stats

        report = self.reports[self.current]
        if report.files.weights is None:
            self.stats_label.setText("No weights file: nothing to compute.")
            return
        cancel = threading.Event()
        self._cancel, self._stats_for = cancel, self.current
        progress = _Progress(self)
        progress.changed.connect(self._stats_progress)
        self.stats_progress.setRange(0, 0)
        self._set_stats_running(True)
        self.stats_label.setText("Reading the weights…")
        run_in_background(lambda: weight_stats(report, progress=progress.changed.emit, cancelled=cancel.is_set),
                          self._stats_ready, self._stats_failed, receiver=self, serial=False)

    @Slot()
    def cancel_stats(self) -> None:
        if self._cancel is not None:
            self._cancel.set()

    def _stats_progress(self, done: int, total: int) -> None:
        self.stats_progress.setRange(0, max(total, 1))
        self.stats_progress.setValue(done)
        self.stats_progress.setFormat(f"{done:,} / {total:,} modules")

    def _stats_ready(self, stats: Any) -> None:
        key, self._cancel, self._stats_for = self._stats_for, None, None
        self._set_stats_running(False)
        if getattr(stats, "cancelled", False):
            self.stats_label.setText(f"Cancelled after {len(stats.modules):,} modules.")
            return
        self.stats[key] = stats
        if key == self.current:
            self._show_stats(stats)

    def _stats_failed(self, message: str) -> None:
        self._cancel, self._stats_for = None, None
        self._set_stats_running(False)
        self.stats_label.setText(message)
        self.stats_label.setStyleSheet(f"color: {status_hex('error', self)};")

    def _clear_heatmap(self) -> None:
        self.heatmap.clear()
        self.heatmap.setRowCount(0)
        self.heatmap.setColumnCount(0)
        self.stats_label.setStyleSheet("")
        self.stats_label.setText("Update norms are computed from the weights on request.")

    def _show_stats(self, stats: Any) -> None:
        layers, types, matrix = stats.heatmap()
        if not stats.modules:
            self._clear_heatmap()
            self.stats_label.setText("\n".join(getattr(stats, "notes", []) or ["No per-module weights."]))
            return
        finite = [v for row in matrix for v in row if v is not None and math.isfinite(v)]
        quantity = "‖scaling·B·A‖" if getattr(stats, "quantity", "update") == "update" else "parameter norm"
        zero = [m.name for m in stats.modules if m.zero_b]
        lines = [f"{quantity} of {len(stats.modules):,} modules"
                 + (f": min {min(finite):.3g}, max {max(finite):.3g}" if finite else "")]
        if zero:
            lines.append(f"⚠ {len(zero)} module(s) have an all-zero lora_B: this adapter changes nothing there "
                         f"(untrained?), e.g. {zero[0]}")
        lines.extend(getattr(stats, "notes", []) or [])
        self.stats_label.setText("\n".join(lines))
        self.stats_label.setStyleSheet(f"color: {status_hex('warning', self)};" if zero else "")
        self.heatmap.clear()
        self.heatmap.setRowCount(len(types))
        self.heatmap.setColumnCount(len(layers))
        self.heatmap.setVerticalHeaderLabels(types)
        self.heatmap.setHorizontalHeaderLabels([str(layer) for layer in layers])
        self.heatmap.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.Stretch if len(layers) <= 16 else QHeaderView.ResizeMode.ResizeToContents)
        low, high = (min(finite), max(finite)) if finite else (0.0, 1.0)
        by_cell: dict[tuple[int, str], list[Any]] = {}
        for m in stats.modules:
            by_cell.setdefault((m.layer, m.module_type), []).append(m)
        for j, layer in enumerate(layers):
            for i, module_type in enumerate(types):
                value = matrix[j][i]
                cell = QTableWidgetItem("" if value is None else f"{value:.3g}")
                cell.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if value is not None and math.isfinite(value):
                    share = 0.0 if high == low else (value - low) / (high - low)
                    background = _heat_color(share, is_dark(self))
                    cell.setBackground(background)
                    cell.setForeground(QColor("#000000") if background.lightness() > 140 else QColor("#ffffff"))
                modules = by_cell.get((layer, module_type), [])
                cell.setToolTip("\n".join(_module_tip(m) for m in modules) or "not adapted")
                self.heatmap.setItem(i, j, cell)

    # ---------------------------------------------------------------------------------- compare
    @Slot()
    def compare_selected(self) -> None:
        selected = sorted(self.list.selectedItems(), key=self.list.row)  # A: the one higher in the list
        keys = [item.data(PATH_ROLE) for item in selected]
        if len(keys) != 2:
            return
        from ..core.adapters import compare, weight_stats

        a, b = (self.reports[k] for k in keys)
        known = dict(self.stats)
        self.compare_label.setText("Comparing… (reading both adapters' weights)")
        self.pages.show()
        self.pages.setCurrentIndex(2)

        def work() -> Any:
            stats = [known.get(r.path) or (weight_stats(r) if r.files.weights else None) for r in (a, b)]
            return compare(a, b, *stats)

        run_in_background(work, self._compared, self._compare_failed, receiver=self, serial=False)

    def _compared(self, comparison: Any) -> None:
        self.comparison = comparison
        summary = comparison.summary + [(f"config: {k}", va, vb) for k, va, vb in comparison.config_diff]
        differing = sum(1 for _, va, vb in comparison.summary if va != vb) + len(comparison.config_diff)
        self.compare_label.setText(f"A: {comparison.a}\nB: {comparison.b}\n"
                                   f"{len(comparison.config_diff)} config difference(s); "
                                   f"{len(comparison.only_in_a)} module(s) only in A, "
                                   f"{len(comparison.only_in_b)} only in B.")
        self.compare_table.setRowCount(len(summary))
        mark = QColor(status_hex("warning", self))
        for row, (key, va, vb) in enumerate(summary):
            cells = [QTableWidgetItem(key), QTableWidgetItem(format_value(va, 200)),
                     QTableWidgetItem(format_value(vb, 200))]
            for column, cell in enumerate(cells):
                if va != vb:
                    cell.setForeground(mark)
                self.compare_table.setItem(row, column, cell)
        self.norm_table.setSortingEnabled(False)
        self.norm_table.setRowCount(len(comparison.norm_diff))
        for row, entry in enumerate(comparison.norm_diff):
            values = [entry.get("name"), entry.get("norm_a"), entry.get("norm_b"), entry.get("diff")]
            for column, value in enumerate(values):
                cell = QTableWidgetItem()
                if isinstance(value, float):
                    cell.setData(Qt.ItemDataRole.DisplayRole, round(value, 4) if math.isfinite(value) else None)
                else:
                    cell.setText("" if value is None else str(value))
                self.norm_table.setItem(row, column, cell)
        self.norm_table.setSortingEnabled(True)
        self.status_message.emit(f"Compared with {differing} difference(s)")

    def _compare_failed(self, message: str) -> None:
        self.compare_label.setText(message)

    # ---------------------------------------------------------------------------------- actions
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


def _inspect(path: Path) -> Any:
    from ..core.adapters import inspect_path

    return inspect_path(path)


def _heat_color(share: float, dark: bool) -> QColor:
    """A sequential scale (viridis-like: dark blue -> green -> yellow) for 0..1."""
    stops = [(0.0, (68, 1, 84)), (0.25, (59, 82, 139)), (0.5, (33, 145, 140)), (0.75, (94, 201, 98)),
             (1.0, (253, 231, 37))]
    share = min(1.0, max(0.0, share))
    for (x0, c0), (x1, c1) in zip(stops, stops[1:]):
        if share <= x1:
            t = (share - x0) / (x1 - x0)
            return QColor(*(round(a + (b - a) * t) for a, b in zip(c0, c1)))
    return QColor(*stops[-1][1])


def _module_tip(m: Any) -> str:
    top = ", ".join(f"{s:.3g}" for s in (m.singular_values or [])[:4])
    parts = [m.name, f"norm {m.norm:.4g}"]
    if m.effective_rank is not None:
        parts.append(f"effective rank {m.effective_rank:.2f} of {m.rank or '?'}")
    if top:
        parts.append(f"top singular values {top}")
    if m.zero_b:
        parts.append("lora_B is all zero: no update")
    return " · ".join(parts)
