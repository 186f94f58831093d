"""Compare runs: tick several, their curves overlay (one colour each), two tables say how their
configs differ and what each achieved, and the Intervals tab draws each metric's 95% interval as
error bars. A run opens in Inspect or the Playground.

Everything shown comes from ``core.experiments`` (the same functions as ``igrag runs``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QSettings, Qt, Signal, Slot
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QFileDialog, QHBoxLayout, QInputDialog, QLabel,
                               QListWidget, QListWidgetItem, QMessageBox, QPushButton, QSplitter, QTableWidget,
                               QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget)

from ...core.errors import UserError
from ...core.experiments.compare import differences, metric_names
from ...core.experiments.runs import Run, delete_run, find_runs, load_run, set_label
from ...core.experiments.tables import cell

# Tableau's ten: each reads on a light and on a dark background (pyqtgraph's hues put yellow on white)
RUN_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
              "#bcbd22", "#17becf")
X_AXES = {"step": "step", "epoch": "epoch", "examples seen": "examples"}
SETTINGS_KEY = "runs/folders"


class _Number(QTableWidgetItem):
    """A cell that sorts by its number, not its text."""

    def __init__(self, value: Any):
        super().__init__(cell(value))
        self.value = value

    def __lt__(self, other: QTableWidgetItem) -> bool:
        a, b = self.value, getattr(other, "value", None)
        if isinstance(a, (int, float)) and isinstance(b, (int, float)):
            return a < b
        return str(a) < str(b)


class ComparePage(QWidget):
    open_inspect = Signal(str)
    open_playground = Signal(str)
    status_message = Signal(str)

    def __init__(self, folders: Callable[[], list[Path]], settings: QSettings | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self._default_folders = folders
        self.settings = settings or QSettings()
        self.runs: dict[str, Run] = {}
        self._build()
        self.refresh()

    # ------------------------------------------------------------------------------ building
    def _build(self) -> None:
        from ..widgets.themed_plot import ThemedPlot, header_legend  # pyqtgraph, imported as the page is built

        self.run_list = QListWidget()
        self.run_list.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.run_list.itemChanged.connect(lambda _item: self.redraw())
        self.add_button = QPushButton("Add folder…")
        self.add_button.clicked.connect(self._add_folder_dialog)
        self.rename_button = QPushButton("Rename…")
        self.rename_button.clicked.connect(self._rename_current)
        self.delete_button = QPushButton("Delete…")
        self.delete_button.clicked.connect(self._delete_current)
        self.pack_button = QPushButton("Pack…")
        self.pack_button.setToolTip("Write the run as one zip to share: adapter, config, metrics and a model card "
                                    "(igrag runs pack)")
        self.pack_button.clicked.connect(self._pack_current)
        self.unpack_button = QPushButton("Unpack…")
        self.unpack_button.setToolTip("Restore a run from a zip written by Pack (igrag runs unpack)")
        self.unpack_button.clicked.connect(self._unpack_dialog)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(QLabel("Tick runs to compare:"))
        left_layout.addWidget(self.run_list, 1)
        row = QHBoxLayout()
        for b in (self.add_button, self.rename_button, self.delete_button):
            row.addWidget(b)
        left_layout.addLayout(row)
        share = QHBoxLayout()
        for b in (self.pack_button, self.unpack_button):
            share.addWidget(b)
        left_layout.addLayout(share)

        self.curve_box = QComboBox()
        self.curve_box.currentIndexChanged.connect(lambda _i: self.redraw())
        self.x_box = QComboBox()
        self.x_box.addItems(list(X_AXES))
        self.x_box.currentIndexChanged.connect(lambda _i: self.redraw())
        self.plot = ThemedPlot()
        self.legend = header_legend(self.plot.getPlotItem(), columns=3)  # above the data, never over a curve
        self.plot.apply_palette()  # the legend too
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Curve:"))
        controls.addWidget(self.curve_box, 1)
        controls.addWidget(QLabel("x axis:"))
        controls.addWidget(self.x_box)
        curves = QWidget()
        curves_layout = QVBoxLayout(curves)
        curves_layout.setContentsMargins(0, 0, 0, 0)
        curves_layout.addLayout(controls)
        curves_layout.addWidget(self.plot, 1)

        self.results_table = QTableWidget()
        self.results_table.setSortingEnabled(True)
        self.results_table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.results_table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.differences_table = QTableWidget()
        self.differences_table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.inspect_button = QPushButton("Open in Inspect")
        self.inspect_button.clicked.connect(lambda: self._emit_selected(self.open_inspect))
        self.playground_button = QPushButton("Try in Playground")
        self.playground_button.clicked.connect(lambda: self._emit_selected(self.open_playground))
        self.results_table.cellDoubleClicked.connect(lambda r, _c: self._emit_row(r, self.open_inspect))
        results = QWidget()
        results_layout = QVBoxLayout(results)
        results_layout.setContentsMargins(0, 0, 0, 0)
        results_layout.addWidget(self.results_table, 1)
        open_row = QHBoxLayout()
        open_row.addStretch(1)
        open_row.addWidget(self.inspect_button)
        open_row.addWidget(self.playground_button)
        results_layout.addLayout(open_row)
        from .intervals_view import IntervalsView

        self.intervals_view = IntervalsView(RUN_COLORS)
        self.tables = tables = QTabWidget()
        tables.addTab(results, "Results")
        tables.addTab(self.differences_table, "Differences")
        tables.addTab(self.intervals_view, "Intervals")

        right = QSplitter(Qt.Vertical)
        right.addWidget(curves)
        right.addWidget(tables)
        right.setSizes([380, 260])
        split = QSplitter(Qt.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([220, 700])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)

    # ------------------------------------------------------------------------------ folders and runs
    def folders(self) -> list[Path]:
        added = self.settings.value(SETTINGS_KEY) or []
        added = [added] if isinstance(added, str) else list(added)
        return list(self._default_folders()) + [Path(p) for p in added]

    def add_folder(self, folder: Path) -> None:
        added = self.settings.value(SETTINGS_KEY) or []
        added = [added] if isinstance(added, str) else list(added)
        if str(folder) not in added:
            self.settings.setValue(SETTINGS_KEY, added + [str(folder)])
        self.refresh()

    def _add_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder holding runs")
        if folder:
            self.add_folder(Path(folder))

    @Slot()
    def refresh(self) -> None:
        ticked = set(self.ticked_paths())
        self.runs = {}
        for path in find_runs(self.folders()):
            try:
                self.runs[str(path)] = load_run(path)
            except (UserError, OSError):
                continue
        self.run_list.blockSignals(True)
        self.run_list.clear()
        for key, run in self.runs.items():
            item = QListWidgetItem(f"{run.name}  ({run.status})")
            item.setData(Qt.UserRole, key)
            item.setToolTip(key)
            item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
            item.setCheckState(Qt.Checked if key in ticked else Qt.Unchecked)
            self.run_list.addItem(item)
        self.run_list.blockSignals(False)
        self.redraw()

    def tick(self, paths: list[str | Path]) -> None:
        wanted = {str(Path(p).resolve()) for p in paths}
        self.run_list.blockSignals(True)
        for i in range(self.run_list.count()):
            item = self.run_list.item(i)
            item.setCheckState(Qt.Checked if item.data(Qt.UserRole) in wanted else Qt.Unchecked)
        self.run_list.blockSignals(False)
        self.redraw()

    def ticked_paths(self) -> list[str]:
        return [self.run_list.item(i).data(Qt.UserRole) for i in range(self.run_list.count())
                if self.run_list.item(i).checkState() == Qt.Checked]

    def ticked(self) -> list[Run]:
        return [self.runs[p] for p in self.ticked_paths() if p in self.runs]

    # ------------------------------------------------------------------------------ drawing
    def redraw(self) -> None:
        import pyqtgraph as pg

        runs = self.ticked()
        names = ["train_loss", "learning_rate"] + metric_names(runs)
        current = self.curve_box.currentText() or "train_loss"
        self.curve_box.blockSignals(True)
        self.curve_box.clear()
        self.curve_box.addItems(names)
        self.curve_box.setCurrentIndex(names.index(current) if current in names else 0)
        self.curve_box.blockSignals(False)
        curve = self.curve_box.currentText()
        x_attr = X_AXES[self.x_box.currentText()]
        self.plot.clear()
        self.legend.clear()
        self.plot.setLabel("bottom", self.x_box.currentText())
        self.plot.setLabel("left", curve)
        for i, run in enumerate(runs):
            points = run.series().get(curve, [])
            pen = pg.mkPen(RUN_COLORS[i % len(RUN_COLORS)] if i < len(RUN_COLORS)
                           else pg.intColor(i, hues=len(runs)), width=2)
            self.plot.plot([getattr(p, x_attr) for p in points], [p.value for p in points], pen=pen,
                           symbol="o" if len(points) < 30 else None, symbolSize=5,
                           symbolBrush=pen.color(), name=run.name)
        self._fill_results(runs)
        self._fill_differences(runs)
        self.intervals_view.set_runs(runs)

    def _fill_results(self, runs: list[Run]) -> None:
        metrics = metric_names(runs)
        header = ["run", "method", "trainable", "steps", "seconds", "samples/s", "status"]
        header += [f"{m} {kind}" for m in metrics for kind in ("best", "last")]
        table = self.results_table
        table.setSortingEnabled(False)
        table.clear()
        table.setColumnCount(len(header))
        table.setHorizontalHeaderLabels(header)
        table.setRowCount(len(runs))
        for row, run in enumerate(runs):
            s = run.summary()
            values = [s["name"], s["method"], s["trainable"], s["steps"],
                      None if s["seconds"] is None else round(s["seconds"], 1), s["samples_per_second"], s["status"]]
            values += [s["metrics"].get(m, {}).get(kind) for m in metrics for kind in ("best", "last")]
            for col, value in enumerate(values):
                item = _Number(value)
                item.setData(Qt.UserRole, str(run.path))
                table.setItem(row, col, item)
        table.setSortingEnabled(True)
        table.resizeColumnsToContents()

    def _fill_differences(self, runs: list[Run]) -> None:
        diff = differences(runs) if len(runs) > 1 else {}
        table = self.differences_table
        table.clear()
        table.setColumnCount(len(runs))
        table.setHorizontalHeaderLabels([r.name for r in runs])
        table.setRowCount(len(diff))
        table.setVerticalHeaderLabels(list(diff))
        for row, values in enumerate(diff.values()):
            for col, value in enumerate(values):
                table.setItem(row, col, QTableWidgetItem(cell(value)))
        table.resizeColumnsToContents()

    # ------------------------------------------------------------------------------ actions
    def _emit_row(self, row: int, signal: Any) -> None:
        item = self.results_table.item(row, 0)
        if item is not None:
            signal.emit(item.data(Qt.UserRole))

    def _emit_selected(self, signal: Any) -> None:
        rows = self.results_table.selectionModel().selectedRows()
        if rows:
            self._emit_row(rows[0].row(), signal)

    def current_path(self) -> str | None:
        item = self.run_list.currentItem()
        return item.data(Qt.UserRole) if item else None

    def rename(self, path: str, label: str) -> None:
        set_label(path, label)
        self.refresh()

    def _rename_current(self) -> None:
        path = self.current_path()
        if path is None:
            return
        label, ok = QInputDialog.getText(self, "Rename run", "Label (empty: the folder's name):",
                                         text=self.runs[path].label)
        if ok:
            self.rename(path, label)

    def delete(self, path: str, confirm: bool = True) -> bool:
        """Move a run to the trash after asking (``confirm``); True when it went."""
        if confirm:
            answer = QMessageBox.question(self, "Delete run", f"Move the run folder\n{path}\nto the trash?",
                                          QMessageBox.Yes | QMessageBox.No, QMessageBox.No)
            if answer != QMessageBox.Yes:
                return False
        try:
            delete_run(path)
        except UserError as exc:
            QMessageBox.warning(self, "Delete run", " ".join(exc.lines))
            return False
        self.status_message.emit(f"Moved {path} to the trash")
        self.refresh()
        return True

    def _delete_current(self) -> None:
        path = self.current_path()
        if path is not None:
            self.delete(path)

    # ------------------------------------------------------------------------------ sharing
    def pack(self, path: str, out: Path) -> bool:
        """Write the run pack ``out`` (``core.experiments.packs``, as ``igrag runs pack``); a
        refusal is shown, not raised. The weights are stored, not compressed: a LoRA adapter
        packs in well under a second."""
        from ...core.experiments.packs import pack

        try:
            written = pack(path, out)
        except UserError as exc:
            QMessageBox.warning(self, "Pack run", " ".join(exc.lines))
            return False
        self.status_message.emit(f"Packed {path} into {written}")
        return True

    def _pack_current(self) -> None:
        path = self.current_path()
        if path is None:
            return
        out, _ = QFileDialog.getSaveFileName(self, "Pack run", str(Path(path).with_suffix(".zip")), "Run pack (*.zip)")
        if out:
            self.pack(path, Path(out))

    def unpack(self, archive: Path, into: Path) -> Path | None:
        """Restore a run pack as ``into`` (``igrag runs unpack``), list its folder and tick it."""
        from ...core.experiments.packs import unpack

        try:
            folder = unpack(archive, into)
        except UserError as exc:
            QMessageBox.warning(self, "Unpack run", " ".join(exc.lines))
            return None
        self.add_folder(folder.parent.resolve())
        self.tick(self.ticked_paths() + [folder])
        self.status_message.emit(f"Unpacked {archive} into {folder}")
        return folder

    def _unpack_dialog(self) -> None:
        archive, _ = QFileDialog.getOpenFileName(self, "Unpack run", "", "Run pack (*.zip)")
        if not archive:
            return
        where = QFileDialog.getExistingDirectory(self, "Unpack into which folder? (a new run folder is made in it)")
        if where:
            self.unpack(Path(archive), Path(where) / Path(archive).stem)
