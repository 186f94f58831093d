"""The Inspect tab's Compare page: two adapters' config and per-module update norms side by side.

``core.adapters.compare`` (comparison.py) does the work off the GUI thread (reading weights the tab has not
measured yet); a new comparison replaces one still running.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QSplitter, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from ...core.adapters.report import format_value
from .. import ops
from ..theme import status_hex

HINT = "Select two adapters in the list and press Compare."


def compare_reports(a: Any, b: Any, known: dict[str, Any]) -> Any:
    """The comparison of reports ``a`` and ``b``, computing the weight statistics not ``known``."""
    from ...core.adapters import compare, weight_stats

    stats = [known.get(r.path) or (weight_stats(r) if r.files.weights else None) for r in (a, b)]
    return compare(a, b, *stats)


class ComparePage(QWidget):
    """A summary line, a table of differing settings and a sortable table of norms."""

    compared = Signal(str)  # a one-line summary for the status bar

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.comparison: Any = None
        self._latest = ops.Latest(self)
        self.label = QLabel(HINT)
        self.label.setWordWrap(True)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["", "A", "B"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.norm_table = QTableWidget(0, 4)
        self.norm_table.setHorizontalHeaderLabels(["module", "norm A", "norm B", "B − A"])
        self.norm_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.norm_table.setSortingEnabled(True)
        self.norm_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.norm_table)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        layout.addWidget(split, 1)

    def running(self) -> bool:
        return self._latest.running()

    def compare(self, a: Any, b: Any, known: dict[str, Any]) -> None:
        """Compare reports ``a`` (left) and ``b``; ``known`` holds weight statistics already computed."""
        self._latest.start(self._compare(a, b, dict(known)))

    async def _compare(self, a: Any, b: Any, known: dict[str, Any]) -> None:
        self.label.setText("Comparing… (reading both adapters' weights)")
        try:
            comparison = await ops.run(compare_reports, a, b, known, ml=False)
        except ops.TaskFailed as exc:
            self.label.setText(exc.message)
            return
        self.show_comparison(comparison)

    def show_comparison(self, comparison: Any) -> None:
        self.comparison = comparison
        summary = comparison.summary + [(f"config: {k}", va, vb) for k, va, vb in comparison.config_diff]
        differing = sum(1 for _, va, vb in comparison.summary if va != vb) + len(comparison.config_diff)
        self.label.setText(f"A: {comparison.a}\nB: {comparison.b}\n"
                           f"{len(comparison.config_diff)} config difference(s); "
                           f"{len(comparison.only_in_a)} module(s) only in A, "
                           f"{len(comparison.only_in_b)} only in B.")
        self.table.setRowCount(len(summary))
        mark = QColor(status_hex("warning", self))
        for row, (key, va, vb) in enumerate(summary):
            cells = [QTableWidgetItem(key), QTableWidgetItem(format_value(va, 200)),
                     QTableWidgetItem(format_value(vb, 200))]
            for column, cell in enumerate(cells):
                if va != vb:
                    cell.setForeground(mark)
                self.table.setItem(row, column, cell)
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
        self.compared.emit(f"Compared with {differing} difference(s)")

    def rows(self) -> dict[str, tuple[str, str]]:
        """The settings table as shown: key -> (A, B)."""
        return {self.table.item(r, 0).text(): (self.table.item(r, 1).text(), self.table.item(r, 2).text())
                for r in range(self.table.rowCount())}
