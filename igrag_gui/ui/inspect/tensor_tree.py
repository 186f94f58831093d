"""The Inspect tab's Tensors page: the adapter's tensors as a grouped, sortable, filterable tree.

The groups come from ``core.adapters.tensor_groups`` (by stack, then layer: T5's encoder blocks,
then its decoder blocks); this page only renders them.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QSortFilterProxyModel, Qt
from PySide6.QtGui import QFont, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QHeaderView, QLabel, QLineEdit, QTreeView, QVBoxLayout, QWidget

from ...core.adapters.report import human_bytes
from ...core.adapters.tensor_groups import group_tensors

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
EXPAND_ALL_MAX_GROUPS = 2  # more groups start collapsed


class _TensorFilter(QSortFilterProxyModel):
    """Filters rows by name, keeping a group row when any of its tensors matches."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.setRecursiveFilteringEnabled(True)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setSortRole(SORT_ROLE)


def _item(text: str, sort: Any) -> QStandardItem:
    cell = QStandardItem(text)
    cell.setData(sort, SORT_ROLE)
    cell.setEditable(False)
    return cell


class TensorTree(QWidget):
    """Filter box, tree (group rows holding tensor rows) and a totals line."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter tensors by name, e.g. lora_B or block.3")
        self.filter.setClearButtonEnabled(True)
        self.model = QStandardItemModel(0, 5, self)
        self.model.setHorizontalHeaderLabels(["name", "shape", "dtype", "parameters", "bytes"])
        self.proxy = _TensorFilter(self)
        self.proxy.setSourceModel(self.model)
        self.tree = QTreeView()
        self.tree.setModel(self.proxy)
        self.tree.setSortingEnabled(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setStretchLastSection(False)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.filter.textChanged.connect(lambda text: self.tree.expandAll() if text else None)
        self.totals_label = QLabel()
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.totals_label)

    def group_titles(self) -> list[str]:
        """The group rows' titles, as shown (current sort and filter), without the tensor counts."""
        return [self.proxy.index(r, 0).data().rsplit(" (", 1)[0] for r in range(self.proxy.rowCount())]

    def show_report(self, report: Any) -> None:
        self.model.removeRows(0, self.model.rowCount())
        groups = group_tensors(report.tensors)
        for order, group in enumerate(groups):
            head = [_item(f"{group.title} ({len(group.tensors)} tensors)", order), _item("", ""), _item("", ""),
                    _item(f"{group.params:,}", group.params), _item(human_bytes(group.nbytes), group.nbytes)]
            bold = QFont(head[0].font())
            bold.setBold(True)
            head[0].setFont(bold)
            for t in group.tensors:
                head[0].appendRow([_item(t.name, t.name), _item("×".join(str(d) for d in t.shape), t.numel),
                                   _item(t.dtype, t.dtype), _item(f"{t.numel:,}", t.numel),
                                   _item(human_bytes(t.nbytes), t.nbytes)])
            self.model.appendRow(head)
        self.tree.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # the groups' own order
        if len(groups) <= EXPAND_ALL_MAX_GROUPS:
            self.tree.expandAll()
        totals = report.totals
        dtypes = ", ".join(totals.get("dtypes", {}))
        self.totals_label.setText(f"{totals['num_tensors']:,} tensors in {len(groups)} groups, "
                                  f"{totals['num_params']:,} parameters, "
                                  f"{human_bytes(totals['num_bytes'])}" + (f", {dtypes}" if dtypes else ""))
