"""The Inspect tab's Update norms page: a layer × module heatmap of ‖scaling·B·A‖.

Computed off the GUI thread by ``core.adapters.weight_stats`` (update_stats.py; memory-mapped, one module at a
time) through ``ops.run``; Cancel stops it at the next module and keeps what was measured.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QProgressBar, QPushButton,
                               QSizePolicy, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from .. import ops
from ..theme import is_dark, status_hex

PROGRESS_STEPS = 1000
STRETCH_MAX_LAYERS = 16  # more layers than this: columns sized to their contents


class HeatmapPage(QWidget):
    """Compute button, progress and Cancel, a summary line and the heatmap table."""

    computed = Signal(str, object)  # the adapter's key, its (complete) WeightStats

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._task: Any = None
        self._state: ops.TaskState | None = None
        self.button = QPushButton("Compute update norms")
        self.button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.button.setToolTip("Read the weights (memory-mapped, one module at a time) and compute "
                               "‖scaling·B·A‖ per module, its singular values and effective rank")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.table = QTableWidget()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        row = QHBoxLayout()
        row.addWidget(self.button)
        row.addWidget(self.progress, 1)
        row.addWidget(self.cancel_button)
        row.addStretch(0)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.label)
        layout.addWidget(self.table, 1)
        self._set_running(False)

    # ------------------------------------------------------------------------------- computing
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def _set_running(self, running: bool) -> None:
        self.button.setEnabled(not running)
        self.cancel_button.setVisible(running)
        self.progress.setVisible(running)

    def compute(self, key: str, report: Any) -> None:
        """Compute ``report``'s update norms in the background (one computation at a time)."""
        if self.running():
            return
        if report.files.weights is None:
            self.label.setText("No weights file: nothing to compute.")
            return
        self._task = ops.start(self._compute(key, report), owner=self)

    async def _compute(self, key: str, report: Any) -> None:
        from ...core.adapters import weight_stats

        self._state = ops.gui_state(on_progress=self._show_progress, on_status=self.progress.setFormat)
        self.progress.setRange(0, 0)  # busy until the first module is counted
        self._set_running(True)
        self.label.setStyleSheet("")
        self.label.setText("Reading the weights…")
        try:
            stats = await ops.run(weight_stats, report, state=self._state, ml=False)
        except ops.TaskFailed as exc:
            self._finish()
            self.label.setText(exc.message)
            self.label.setStyleSheet(f"color: {status_hex('error', self)};")
            return
        self._finish()
        if stats.cancelled:
            self.label.setText(f"Cancelled after {len(stats.modules):,} modules.")
            return
        self.computed.emit(key, stats)

    def _finish(self) -> None:
        self._state = None
        self._set_running(False)

    def _show_progress(self, fraction: float) -> None:
        self.progress.setRange(0, PROGRESS_STEPS)
        self.progress.setValue(round(fraction * PROGRESS_STEPS))

    @Slot()
    def cancel(self) -> None:
        """Stop at the next module; the modules measured so far are reported as cancelled."""
        if self._state is not None:
            self._state.cancel()

    # -------------------------------------------------------------------------------- showing
    def clear(self) -> None:
        self.table.clear()
        self.table.setRowCount(0)
        self.table.setColumnCount(0)
        self.label.setStyleSheet("")
        self.label.setText("Update norms are computed from the weights on request.")

    def show_stats(self, stats: Any) -> None:
        layers, types, matrix = stats.heatmap()
        if not stats.modules:
            self.clear()
            self.label.setText("\n".join(getattr(stats, "notes", []) or ["No per-module weights."]))
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
        self.label.setText("\n".join(lines))
        self.label.setStyleSheet(f"color: {status_hex('warning', self)};" if zero else "")
        table = self.table
        table.clear()
        table.setRowCount(len(types))
        table.setColumnCount(len(layers))
        table.setVerticalHeaderLabels(types)
        table.setHorizontalHeaderLabels([str(layer) for layer in layers])
        table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.Stretch if len(layers) <= STRETCH_MAX_LAYERS else QHeaderView.ResizeMode.ResizeToContents)
        low, high = (min(finite), max(finite)) if finite else (0.0, 1.0)
        by_cell: dict[tuple[int, str], list[Any]] = {}
        for m in stats.modules:
            by_cell.setdefault((m.layer, m.module_type), []).append(m)
        dark = is_dark(self)
        for j, layer in enumerate(layers):
            for i, module_type in enumerate(types):
                value = matrix[j][i]
                cell = QTableWidgetItem("" if value is None else f"{value:.3g}")
                cell.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if value is not None and math.isfinite(value):
                    share = 0.0 if high == low else (value - low) / (high - low)
                    background = heat_color(share, dark)
                    cell.setBackground(background)
                    cell.setForeground(QColor("#000000") if background.lightness() > 140 else QColor("#ffffff"))
                modules = by_cell.get((layer, module_type), [])
                cell.setToolTip("\n".join(module_tip(m) for m in modules) or "not adapted")
                table.setItem(i, j, cell)


def heat_color(share: float, dark: bool) -> QColor:
    """A sequential scale (viridis-like: dark blue -> green -> yellow) for 0..1."""
    stops = [(0.0, (68, 1, 84)), (0.25, (59, 82, 139)), (0.5, (33, 145, 140)), (0.75, (94, 201, 98)),
             (1.0, (253, 231, 37))]
    share = min(1.0, max(0.0, share))
    for (x0, c0), (x1, c1) in zip(stops, stops[1:]):
        if share <= x1:
            t = (share - x0) / (x1 - x0)
            return QColor(*(round(a + (b - a) * t) for a, b in zip(c0, c1)))
    return QColor(*stops[-1][1])


def module_tip(m: Any) -> str:
    top = ", ".join(f"{s:.3g}" for s in (m.singular_values or [])[:4])
    parts = [m.name, f"norm {m.norm:.4g}"]
    if m.effective_rank is not None:
        parts.append(f"effective rank {m.effective_rank:.2f} of {m.rank or '?'}")
    if top:
        parts.append(f"top singular values {top}")
    if m.zero_b:
        parts.append("lora_B is all zero: no update")
    return " · ".join(parts)
