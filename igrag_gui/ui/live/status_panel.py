"""The live view's head: status line, smoothing control, progress bar, and the figures of a run
(epoch, elapsed, ETA, speed, loss, best, parameters, device), all read from a ``RunHistory``."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import (QDoubleSpinBox, QGridLayout, QHBoxLayout, QLabel, QProgressBar, QSizePolicy,
                               QVBoxLayout, QWidget)

from ...core.metrics.names import format_score
from ...core.metrics.names import label as metric_label
from ...core.training.run_history import MISSING, RunHistory, duration, format_loss

DASH = MISSING


class Stat(QWidget):
    """A small caption above a value (the progress section's cells)."""

    def __init__(self, caption: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.caption = QLabel(caption.upper())
        font = self.caption.font()
        font.setPointSizeF(max(6.5, font.pointSizeF() * 0.78))
        font.setLetterSpacing(QFont.SpacingType.PercentageSpacing, 106)
        self.caption.setFont(font)
        self.value = QLabel(DASH)
        self.value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        layout.addWidget(self.caption)
        layout.addWidget(self.value)


CELLS = [("epoch", "Epoch", 0, 0, 1), ("elapsed", "Elapsed", 0, 1, 1), ("eta", "ETA", 0, 2, 1),
         ("speed", "Samples / s", 0, 3, 1), ("loss", "Loss", 0, 4, 1),
         ("best", "Best", 1, 0, 1), ("params", "Trainable parameters", 1, 1, 2), ("device", "Device", 1, 3, 2)]


class StatusPanel(QWidget):
    """Shows where a run stands; ``show_history`` renders it, nothing here holds run state."""

    def __init__(self, smoothing: float, parent: QWidget | None = None):
        super().__init__(parent)
        self.stats: dict[str, Stat] = {}
        self.status_label = QLabel()
        font = self.status_label.font()
        font.setBold(True)
        self.status_label.setFont(font)
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.run_label = QLabel()  # examples, batch, output folder
        self.run_label.setWordWrap(True)
        self.run_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.run_label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.warning_label = QLabel()  # the data check's leakage warning, when training found one
        self.warning_label.setWordWrap(True)
        self.warning_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.warning_label.setVisible(False)
        self.progress_bar = QProgressBar()
        self.progress_bar.setTextVisible(True)
        self.progress_bar.setFormat("")

        grid = QGridLayout()
        grid.setContentsMargins(0, 2, 0, 0)
        grid.setHorizontalSpacing(18)
        grid.setVerticalSpacing(6)
        for key, caption, row, column, span in CELLS:
            self.stats[key] = cell = Stat(caption)
            grid.addWidget(cell, row, column, 1, span)
        for column in range(5):
            grid.setColumnStretch(column, 1)

        self.smoothing_spin = QDoubleSpinBox()
        self.smoothing_spin.setRange(0.0, 0.999)
        self.smoothing_spin.setDecimals(3)
        self.smoothing_spin.setSingleStep(0.05)
        self.smoothing_spin.setValue(smoothing)
        self.smoothing_spin.setToolTip("Weight of the exponential moving average drawn over the raw training "
                                       "loss (0 = no smoothing; 0.9 averages over about 10 log points).")
        smoothing_label = QLabel("Smoothing")
        smoothing_label.setBuddy(self.smoothing_spin)
        head = QHBoxLayout()
        head.addWidget(self.status_label, 1)
        head.addWidget(smoothing_label)
        head.addWidget(self.smoothing_spin)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(head)
        layout.addWidget(self.warning_label)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.run_label)
        layout.addLayout(grid)

    def value(self, key: str) -> QLabel:
        return self.stats[key].value

    def show_history(self, h: RunHistory, error_color: str, warning_color: str = "") -> None:
        maximum = max(h.max_steps, 1)
        if self.progress_bar.maximum() != maximum:
            self.progress_bar.setRange(0, maximum)
        self.progress_bar.setValue(min(h.step, maximum))
        unit = "rows" if h.status == "preparing" else "steps"
        self.progress_bar.setFormat(f"{h.step:,} / {h.max_steps:,} {unit} ({100 * h.step // maximum}%)"
                                    if h.max_steps else "")
        self.status_label.setText(h.status_line)
        self.status_label.setStyleSheet(f"color: {error_color};" if h.status == "failed" else "")
        self.warning_label.setText(f"Warning: {h.data_warning}" if h.data_warning else "")
        self.warning_label.setStyleSheet(f"color: {warning_color};" if warning_color else "")
        self.warning_label.setVisible(bool(h.data_warning))
        self.run_label.setText(h.run_text)
        self.run_label.setVisible(bool(h.run_text))
        v = self.value
        v("epoch").setText(DASH if h.epoch is None else f"{h.epoch:.2f}")
        v("elapsed").setText(duration(h.elapsed))
        v("eta").setText(duration(h.eta))
        v("speed").setText(DASH if h.speed is None else f"{h.speed:,.1f}")
        v("loss").setText(format_loss(h.loss))
        self.stats["best"].caption.setText(f"BEST {metric_label(h.best_metric).upper()}" if h.best_metric else "BEST")
        v("best").setText(DASH if h.best is None else f"{format_score(h.best[1])} (step {int(h.best[0]):,})")
        v("params").setText(h.params)
        v("device").setText(h.device)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt naming
        if event.type() == QEvent.Type.PaletteChange and self.stats:
            self.apply_palette()
        super().changeEvent(event)

    def apply_palette(self) -> None:
        muted = self.palette().color(QPalette.ColorRole.PlaceholderText)
        for stat in self.stats.values():
            stat.caption.setStyleSheet(f"color: {muted.name()};")
        self.run_label.setStyleSheet(f"color: {muted.name()};")
