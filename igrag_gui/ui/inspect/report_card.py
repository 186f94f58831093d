"""The Inspect tab's report card: the verdict in large type, its evidence, key figures, warnings and
the actions on the adapter shown (convert, open in Playground, copy as JSON, show in folder)."""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ...core.adapters.report import format_value, human_bytes
from ..convert_prompt import ConvertPromptAction
from ..theme import status_hex

FIGURES_MAX = 14  # details rows shown before the tensor totals


def _selectable(label: QLabel) -> QLabel:
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class ReportCard(QFrame):
    """Renders one ``AdapterReport``; the tab wires the action buttons."""

    def __init__(self, current_report: Callable[[], Any], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("summaryCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.verdict_label = _selectable(QLabel())
        font = self.verdict_label.font()
        font.setPointSizeF(font.pointSizeF() * 2.0)
        font.setBold(True)
        self.verdict_label.setFont(font)
        self.path_label = _selectable(QLabel())
        self.path_label.setWordWrap(True)
        self.evidence_label = _selectable(QLabel())
        self.evidence_label.setWordWrap(True)
        self.figures = QFormLayout()
        self.figures.setHorizontalSpacing(16)
        self.figures.setVerticalSpacing(2)
        self.warnings_label = _selectable(QLabel())
        self.warnings_label.setWordWrap(True)

        self.convert_action = ConvertPromptAction(parent or self, current_report)
        self.playground_button = QPushButton("Open in Playground")
        self.copy_button = QPushButton("Copy report as JSON")
        self.folder_button = QPushButton("Show in folder")
        actions = QHBoxLayout()
        for button in (self.convert_action.button, self.playground_button, self.copy_button, self.folder_button):
            actions.addWidget(button)
        actions.addStretch(1)
        self.playground_button.hide()  # shown once a Playground listens to open_in_playground

        layout = QVBoxLayout(self)
        layout.addWidget(self.verdict_label)
        layout.addWidget(self.path_label)
        layout.addWidget(self.evidence_label)
        layout.addLayout(self.figures)
        layout.addWidget(self.warnings_label)
        layout.addLayout(actions)

    def set_actions_enabled(self, enabled: bool) -> None:
        for button in (self.playground_button, self.copy_button, self.folder_button):
            button.setEnabled(enabled)

    def show_report(self, key: str, report: Any) -> None:
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
        rows = list(report.details.items())[:FIGURES_MAX]
        rows.append(("tensors", f"{totals['num_tensors']:,} · {totals['num_params']:,} parameters · "
                                f"{human_bytes(totals['num_bytes'])}"))
        for name, value in rows:
            label = _selectable(QLabel(format_value(value, 120)))
            label.setWordWrap(True)
            self.figures.addRow(name.replace("_", " "), label)
        if report.warnings:
            self.warnings_label.setText("\n".join(f"⚠ {w}" for w in report.warnings))
            self.warnings_label.setStyleSheet(f"color: {status_hex('warning', self)};")
        else:
            self.warnings_label.setText("✓ No warnings: config and weights agree.")
            self.warnings_label.setStyleSheet(f"color: {status_hex('ok', self)};")

    def figure_texts(self) -> dict[str, str]:
        """The figures shown, label -> value (what a reader of the card sees)."""
        role = QFormLayout.ItemRole
        return {self.figures.itemAt(i, role.LabelRole).widget().text(): self.figures.itemAt(i, role.FieldRole).widget().text()
                for i in range(self.figures.rowCount())}
