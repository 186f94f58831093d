"""Inspect's "Convert to PEFT adapter…" for IGRAG's prompt_embeddings.pt (the twin of
``igrag convert``): ask where and for which base model, convert off the GUI thread (an ``ops``
coroutine), then inspect the new adapter folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QMessageBox,
                               QPushButton, QWidget)

from . import ops

IGRAG_METHOD = "prompt tuning (IGRAG prompt embeddings)"


class ConvertPromptAction(QObject):
    """The button and its flow; ``converted`` carries the new adapter folder."""

    converted = Signal(str)
    failed = Signal(str)

    def __init__(self, parent: QWidget, current_report: Callable[[], Any]):
        super().__init__(parent)
        self._parent, self._report = parent, current_report
        self.button = QPushButton("Convert to PEFT adapter…")
        self.button.setToolTip("Write a standard PEFT prompt-tuning adapter (adapter_config.json and "
                               "adapter_model.safetensors) that PEFT, the Playground and igrag generate "
                               "load; the same as `igrag convert`")
        self.button.clicked.connect(self.convert)
        self.button.hide()

    def follow(self, report: Any) -> None:
        """Shown only for IGRAG's prompt embeddings."""
        self.button.setVisible(report is not None and report.method == IGRAG_METHOD)

    def ask_target(self) -> tuple[Path, str] | None:
        """The output folder and base model, from a small dialog (None when cancelled)."""
        from ..core.adapters.igrag_convert import convert_command_line

        report = self._report()
        source = Path(report.files.weights)
        dialog = QDialog(self._parent)
        dialog.setWindowTitle("Convert to a PEFT adapter")
        out = QLineEdit(str(source.parent / "peft_adapter"))
        width = report.details.get("token_dim")
        base = QLineEdit("google/flan-t5-base" if width == 768 else "")
        base.setPlaceholderText("a model folder or Hugging Face id")
        command = QLabel()  # the CLI twin, every path shell-quoted: safe to paste into a terminal
        command.setObjectName("convertCommand")
        command.setWordWrap(True)
        command.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        def show_command() -> None:
            command.setText(convert_command_line(source, out.text().strip() or "DIR", base.text().strip() or None))

        out.textChanged.connect(show_command)
        base.textChanged.connect(show_command)
        show_command()
        form = QFormLayout(dialog)
        form.addRow("Adapter folder", out)
        form.addRow("Base model", base)
        form.addRow("Same as", command)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(dialog.accept)
        buttons.rejected.connect(dialog.reject)
        form.addRow(buttons)
        if dialog.exec() != QDialog.DialogCode.Accepted or not out.text().strip():
            return None
        return Path(out.text().strip()).expanduser(), base.text().strip()

    @Slot()
    def convert(self) -> None:
        from ..core.adapters.igrag_convert import holds_adapter
        from ..core.files.output_folders import marker

        report = self._report()
        target = self.ask_target() if report is not None else None
        if target is None:
            return
        out, base = target
        force = False
        if out.is_dir() and holds_adapter(out) and marker(out) is not None:  # else refused: not igrag's to replace
            answer = QMessageBox.question(self._parent, "Replace adapter?",
                                          f"{out} already holds an adapter. Replace it?")
            if answer != QMessageBox.StandardButton.Yes:
                return
            force = True
        self.button.setEnabled(False)
        ops.start(self._run_conversion(Path(report.files.weights), out, base or None, force), owner=self)

    async def _run_conversion(self, source: Path, out: Path, base: str | None, force: bool) -> None:
        try:
            folder = await ops.run(_convert, source, out, base, force)
        except ops.TaskFailed as exc:
            self.button.setEnabled(True)
            self.failed.emit(exc.message)
            return
        self.button.setEnabled(True)
        self.converted.emit(str(folder))


def _convert(source: Path, out: Path, base: str | None, force: bool) -> Path:
    from ..core.adapters.igrag_convert import convert_igrag_prompt

    return convert_igrag_prompt(source, out, base=base, force=force)[0]
