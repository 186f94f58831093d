"""The Merge page: fold an adapter into the base weights, save a full model folder, and verify it
generates what base + adapter generate (``core.playground.merge_and_save``). One ``async`` flow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QLineEdit, QPushButton, QWidget

from .. import ops
from ..theme import status_hex

INTRO = ("Merging folds an adapter into the base weights and saves a full model folder (safetensors + "
         "tokenizer), then checks that it generates what base + adapter generate.")


class MergePanel(QWidget):
    merged = Signal(str)  # the merged model's folder

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.report: Any = None  # the last core.playground.MergeReport
        self.adapter = QComboBox()
        self.out = QLineEdit()
        self.out.setPlaceholderText("Folder for the merged model")
        self.button = QPushButton("Merge and verify")
        self.label = QLabel(INTRO)
        self.label.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow("Adapter", self.adapter)
        form.addRow("Output folder", self.out)
        form.addRow("", self.button)
        form.addRow(self.label)

    def add_adapter(self, name: str, path: Path) -> None:
        self.adapter.addItem(name)
        if not self.out.text():
            self.out.setText(str(path.parent / f"{path.name}-merged"))

    def drop_adapter(self, name: str) -> None:
        self.adapter.removeItem(self.adapter.findText(name))

    def set_busy(self, can_run: bool) -> None:
        self.button.setEnabled(can_run and self.adapter.count() > 0)

    def request(self) -> tuple[str, Path] | None:
        """The adapter and folder asked for, or None (and the reason shown)."""
        if not self.adapter.currentText() or not self.out.text().strip():
            self.say("Choose an adapter and an output folder.")
            return None
        return self.adapter.currentText(), Path(self.out.text().strip())

    async def run(self, session: Any, name: str, out: Path) -> None:
        from ...core.playground.merge import merge_and_save

        self.say(f"Merging '{name}' into the base and saving to {out}…")
        state = ops.gui_state(on_status=lambda line: self.say(f"Merging '{name}': {line}…"))
        try:
            report = await ops.run(merge_and_save, session, name, out, progress=state.set_status)
        except ops.TaskFailed as exc:
            self.say(exc.message, "error")
            return
        self.report = report
        verdict = ("✓ verified: the merged model generates what base + adapter generate"
                   if report.same_outputs else "⚠ the merged model's outputs differ from base + adapter")
        self.say(f"Saved {report.out_dir} ({report.params:,} parameters) in {report.seconds:.1f} s.\n"
                  f"{verdict} (max logit difference {report.max_logit_diff:.2e}).",
                  "ok" if report.same_outputs else "warning")
        self.merged.emit(str(report.out_dir))

    def say(self, text: str, kind: str = "") -> None:
        self.label.setText(text)
        self.label.setStyleSheet(f"color: {status_hex(kind, self)};" if kind else "")
