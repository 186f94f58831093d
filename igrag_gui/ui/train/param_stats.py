"""The Train tab's "Trainable / total parameters" box: the counts for the config as edited (a
``core.methods.params`` result), or why there are none."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QGroupBox, QLabel, QSizePolicy, QVBoxLayout, QWidget

from ...core.training.run_history import MISSING, format_params


def count_parameters_of(cfg: Any) -> Any:
    """The box's background read (``core.methods.params``, imported on the worker: torch stays off the GUI thread)."""
    from ...core.methods.params import count_parameters

    return count_parameters(cfg)


class ParamStatsBox(QGroupBox):
    def __init__(self, parent: QWidget | None = None):
        super().__init__("Trainable / total parameters", parent)
        self.stats_label = QLabel(MISSING)
        self.stats_label.setObjectName("statsLabel")
        font = self.stats_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.stats_label.setFont(font)
        self.stats_detail = QLabel("Parameter counts appear here as you edit.")
        self.stats_detail.setWordWrap(True)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)  # never squeezed
        layout = QVBoxLayout(self)
        layout.addWidget(self.stats_label)
        layout.addWidget(self.stats_detail)

    def show_note(self, text: str, clear: bool = False) -> None:
        """A word on what is happening (counting, reading the model) or why there are no counts."""
        if clear:
            self.stats_label.setText(MISSING)
        self.stats_detail.setStyleSheet("")
        self.stats_detail.setText(text)

    def show_failure(self, reason: str) -> None:
        """The count failed: the reason in the error colour, where the counts would stand."""
        from ..theme import status_hex

        self.stats_label.setText(MISSING)
        self.stats_detail.setText(f"Could not count the parameters: {reason}")
        self.stats_detail.setStyleSheet(f"color: {status_hex('error', self)};")

    def show_stats(self, stats: Any) -> None:
        """A ``core.methods.params`` count: totals, and the adapted modules by type."""
        self.stats_label.setText(format_params(stats.trainable, stats.total, stats.percent))
        self.stats_detail.setStyleSheet("")
        per = ", ".join(f"{name}: {v['modules']}" for name, v in stats.by_module.items())
        self.stats_detail.setText(f"{stats.modules} adapted modules — {per}")
        self.stats_detail.setToolTip("Trainable parameters by module type:\n" + "\n".join(
            f"{name}: {v['modules']} modules, {v['trainable']:,} parameters" for name, v in stats.by_module.items()))
