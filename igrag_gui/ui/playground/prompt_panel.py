"""The Playground's prompt: free text, the IGRAG builder (captions + objects + template), and
validation examples from the run's data to start from instead of an empty box."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QFormLayout, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QTabWidget,
                               QVBoxLayout, QWidget)

from ...core.data.prompts import DEFAULT_TEMPLATE, build_prompt, parse_objects
from ..theme import status_hex


class PromptPanel(QWidget):
    """Prompt and builder tabs, the example row under them, and the truncation note."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.prompt_edit = QPlainTextEdit()
        self.prompt_edit.setPlaceholderText("Write a prompt, or build one in the IGRAG tab")
        self.prompt_edit.textChanged.connect(self.changed)
        self.captions_edit = QPlainTextEdit()
        self.captions_edit.setPlaceholderText("Captions of similar images, one per line")
        self.objects_edit = QPlainTextEdit()
        self.objects_edit.setPlaceholderText("Detected objects, one per line: 'dog 0.1 0.5 0.3 0.4' "
                                             "(normalised box) or 'dog, left'")
        self.template_edit = QPlainTextEdit(DEFAULT_TEMPLATE)
        self.template_edit.setToolTip("{captions} and {objects} are filled in")
        self.build_button = QPushButton("Build prompt")
        self.build_button.clicked.connect(self.build_prompt)
        builder = QWidget()
        builder_form = QFormLayout(builder)
        builder_form.addRow("Captions", self.captions_edit)
        builder_form.addRow("Objects", self.objects_edit)
        builder_form.addRow("Template", self.template_edit)
        builder_form.addRow("", self.build_button)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.prompt_edit, "Prompt")
        self.tabs.addTab(builder, "IGRAG builder")

        self.examples: list[Any] = []  # core.data.records.Example, from examples_file
        self.examples_file: Path | None = None
        self.example_index = -1
        self.example_button = QPushButton("Validation example")
        self.example_button.setToolTip("Put the next prompt of the validation data in the box")
        self.example_button.clicked.connect(self.next_example)
        self.example_button.setEnabled(False)
        self.example_label = QLabel()
        self.example_label.setWordWrap(True)
        example_row = QHBoxLayout()
        example_row.addWidget(self.example_button)
        example_row.addWidget(self.example_label, 1)
        self.truncation_label = QLabel()
        self.truncation_label.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(example_row)
        layout.addWidget(self.truncation_label)

    def prompt(self) -> str:
        return self.prompt_edit.toPlainText()

    def build_prompt(self) -> str:
        captions = [line for line in self.captions_edit.toPlainText().splitlines() if line.strip()]
        objects = parse_objects(self.objects_edit.toPlainText())
        try:
            prompt = build_prompt(captions, objects, self.template_edit.toPlainText())
        except (KeyError, IndexError, ValueError) as exc:
            self.show_note(f"The template is invalid ({exc}); it may use only {{captions}} and {{objects}} "
                           f"(write {{{{ and }}}} for braces).", "error")
            return ""
        self.prompt_edit.setPlainText(prompt)
        self.tabs.setCurrentIndex(0)
        return prompt

    def show_note(self, text: str, kind: str = "") -> None:
        """The line under the prompt: its token count, or a warning/error about it."""
        self.truncation_label.setText(text)
        self.truncation_label.setStyleSheet(f"color: {status_hex(kind, self)};" if kind else "")

    # --------------------------------------------------------------------------- examples
    def set_examples(self, path: Path, examples: list[Any]) -> None:
        """Offer ``examples`` (read from ``path``); the first one goes in the box when it is empty
        or still holds the previous file's example untouched."""
        shown = self.examples[self.example_index].prompt if 0 <= self.example_index < len(self.examples) else None
        untouched = not self.prompt().strip() or self.prompt() == shown
        self.examples_file, self.examples, self.example_index = path, examples, -1
        self.example_button.setEnabled(bool(examples))
        if not examples:
            self.example_label.setText(f"{path.name} has no prompts to try.")
        elif untouched:
            self.next_example()
        else:
            self.example_label.setText(f"{len(examples):,} validation prompts in {path.name}")

    def next_example(self) -> None:
        if not self.examples:
            return
        self.example_index = (self.example_index + 1) % len(self.examples)
        example = self.examples[self.example_index]
        self.prompt_edit.setPlainText(example.prompt)
        self.tabs.setCurrentIndex(0)
        self.example_label.setText(f"{self.examples_file.name}, line {example.line} "
                                   f"({self.example_index + 1} of {len(self.examples):,}); "
                                   f"reference: “{example.caption}”")
