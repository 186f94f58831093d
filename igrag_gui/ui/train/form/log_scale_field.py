"""A learning-rate field: a slider over log10(value) and a text box in scientific notation.

Learning rates live on a log scale (1e-5 and 1e-3 are as far apart as 1e-3 and 1e-1), so a linear
spin box is the wrong tool. The slider covers 1e-6 .. 1e-1; the text box takes any number typed
as ``2e-4``, ``0.0002`` or ``2E-4`` (even one outside the slider's span: judging it is
``RunConfig.validate``'s job, not the widget's).
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QSlider, QWidget

LOG_MIN, LOG_MAX = -6, -1  # the slider's span: 1e-6 .. 1e-1
TICKS_PER_DECADE = 100


def format_value(value: float) -> str:
    """Scientific notation with at most three significant digits: ``3e-04``, ``2.5e-04``."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    mantissa, exponent = f"{value:.2e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{exponent}"


def parse_value(text: str) -> float | None:
    """The number a user typed (``2e-4``, ``0.0002``, ``0,0002``), or None if it is not one."""
    text = text.strip().replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


class LogScaleField(QWidget):
    """Slider + line edit kept in sync. ``valueChanged(float)`` fires when the number changes,
    from the slider, from typing (as soon as the text is a number) or from ``setValue``;
    ``textEditedNotNumber(str)`` when the user types text that is not a number (``value()``
    keeps the last number; ``text()`` has what was typed)."""

    valueChanged = Signal(float)
    textEditedNotNumber = Signal(str)

    def __init__(self, value: float = 3e-4, parent: QWidget | None = None):
        super().__init__(parent)
        self._value = float(value)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(LOG_MIN * TICKS_PER_DECADE, LOG_MAX * TICKS_PER_DECADE)
        self.slider.setSingleStep(5)
        self.slider.setPageStep(TICKS_PER_DECADE // 2)
        self.slider.setTickInterval(TICKS_PER_DECADE)
        self.slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.slider.setToolTip("Drag along a log scale from 1e-6 to 1e-1")
        self.line_edit = QLineEdit()
        self.line_edit.setMaximumWidth(90)
        self.line_edit.setPlaceholderText("e.g. 2e-4")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.line_edit)
        self.slider.valueChanged.connect(self._slider_moved)
        self.line_edit.textEdited.connect(self._text_edited)
        self.line_edit.editingFinished.connect(self._editing_finished)
        self._show(self._value)

    # --------------------------------------------------------------------------------- API
    def value(self) -> float:
        """The last number shown or typed (text that is not a number leaves it unchanged)."""
        return self._value

    def setValue(self, value: float) -> None:
        value = float(value)
        changed = value != self._value
        self._value = value
        self._show(value)
        if changed:
            self.valueChanged.emit(value)

    def text(self) -> str:
        return self.line_edit.text()

    def setText(self, text: str) -> None:
        """Show ``text`` as typed (a number moves the slider too); emits like typing would."""
        self.line_edit.setText(text)
        self._text_edited(text)

    def has_number(self) -> bool:
        """Whether the text box holds a number (else ``text()`` is what the user typed)."""
        return parse_value(self.line_edit.text()) is not None

    # ------------------------------------------------------------------------------ sync
    def _show(self, value: float) -> None:
        self.line_edit.setText(format_value(value))
        self._move_slider(value)

    def _move_slider(self, value: float) -> None:
        position = self.slider.minimum() if value <= 0 else round(math.log10(value) * TICKS_PER_DECADE)
        self.slider.blockSignals(True)
        self.slider.setValue(max(self.slider.minimum(), min(self.slider.maximum(), position)))
        self.slider.blockSignals(False)

    @Slot(int)
    def _slider_moved(self, position: int) -> None:
        value = float(f"{10 ** (position / TICKS_PER_DECADE):.2g}")  # two significant digits
        self._value = value
        self.line_edit.setText(format_value(value))
        self.valueChanged.emit(value)

    @Slot(str)
    def _text_edited(self, text: str) -> None:
        value = parse_value(text)
        if value is None:
            self.textEditedNotNumber.emit(text)
            return
        self._move_slider(value)
        if value != self._value:
            self._value = value
            self.valueChanged.emit(value)

    @Slot()
    def _editing_finished(self) -> None:
        if self.has_number():
            self.line_edit.setText(format_value(self._value))
