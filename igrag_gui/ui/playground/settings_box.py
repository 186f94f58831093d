"""The Playground's generation settings: a preset, then each of ``GenerationSettings``' fields."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QSpinBox, QWidget


class SettingsBox(QGroupBox):
    def __init__(self, parent: QWidget | None = None):
        from ...core.playground.settings import PRESETS

        super().__init__("Generation", parent)
        self.preset_combo = QComboBox()
        self.preset_combo.addItems(list(PRESETS))
        self.preset_combo.currentTextChanged.connect(self.apply_preset)
        self.max_new_tokens = QSpinBox()
        self.max_new_tokens.setRange(1, 4096)
        self.sample_check = QCheckBox("Sample (otherwise greedy / beam search)")
        self.temperature = QDoubleSpinBox()
        self.temperature.setRange(0.01, 5.0)
        self.temperature.setSingleStep(0.1)
        self.top_p = QDoubleSpinBox()
        self.top_p.setRange(0.01, 1.0)
        self.top_p.setSingleStep(0.05)
        self.top_k = QSpinBox()
        self.top_k.setRange(0, 1000)
        self.beams = QSpinBox()
        self.beams.setRange(1, 16)
        self.repetition_penalty = QDoubleSpinBox()
        self.repetition_penalty.setRange(0.5, 3.0)
        self.repetition_penalty.setSingleStep(0.05)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.sample_check.toggled.connect(self._sampling_toggled)
        form = QFormLayout(self)
        form.addRow("Preset", self.preset_combo)
        form.addRow("Max new tokens", self.max_new_tokens)
        form.addRow("", self.sample_check)
        form.addRow("Temperature", self.temperature)
        form.addRow("Top-p", self.top_p)
        form.addRow("Top-k", self.top_k)
        form.addRow("Beams", self.beams)
        form.addRow("Repetition penalty", self.repetition_penalty)
        form.addRow("Seed", self.seed)
        self.apply_preset(self.preset_combo.currentText())

    def apply_preset(self, name: str) -> None:
        from ...core.playground.settings import PRESETS

        preset = PRESETS.get(name)
        if preset is None:
            return
        self.max_new_tokens.setValue(preset.max_new_tokens)
        self.sample_check.setChecked(preset.do_sample)
        self.temperature.setValue(preset.temperature)
        self.top_p.setValue(preset.top_p)
        self.top_k.setValue(preset.top_k)
        self.beams.setValue(preset.num_beams)
        self.repetition_penalty.setValue(preset.repetition_penalty)
        self.seed.setValue(preset.seed)
        self._sampling_toggled(preset.do_sample)

    def _sampling_toggled(self, on: bool) -> None:
        for widget in (self.temperature, self.top_p, self.top_k):
            widget.setEnabled(on)

    def settings(self) -> Any:
        """The form as a ``core.playground.GenerationSettings``."""
        from ...core.playground.settings import GenerationSettings

        return GenerationSettings(max_new_tokens=self.max_new_tokens.value(), do_sample=self.sample_check.isChecked(),
                                  temperature=self.temperature.value(), top_p=self.top_p.value(),
                                  top_k=self.top_k.value(), num_beams=self.beams.value(),
                                  repetition_penalty=self.repetition_penalty.value(), seed=self.seed.value())
