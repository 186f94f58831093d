"""The Playground tab: one base model, its adapters by name, prompts streamed side by side.

Loading, generation, batch evaluation and merging run off the GUI thread; the model lives in a
``core.playground.Session`` (one copy of the base, adapters switched through PEFT). Text arrives
token by token through queued signals; Stop ends a generation at once. A generation asked while
the model is still loading waits for it (and says so) instead of failing.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QSettings, Qt, Signal, Slot
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout,
                               QGroupBox, QHBoxLayout, QLabel, QLineEdit, QListWidget,
                               QListWidgetItem, QPlainTextEdit, QProgressBar, QPushButton, QSpinBox, QSplitter,
                               QTabWidget, QVBoxLayout, QWidget)

from ..core.playground.session import BASE_LABEL as BASE
from ..core.prompts import DEFAULT_TEMPLATE, build_prompt, parse_objects
from ..resources import demo_model_path, resource_path
from .model_picker import ModelPicker
from .theme import status_hex
from .workers import run_in_background

NAME_ROLE = Qt.ItemDataRole.UserRole


class _Stream(QObject):
    """Signals a generation worker emits (queued to the GUI thread)."""

    chunk = Signal(str, str)  # column label, text
    finished = Signal(str, object)  # column label, stats
    failed = Signal(str)
    done = Signal()


class _Progress(QObject):
    changed = Signal(int, int)
    message = Signal(str)


class PlaygroundTab(QWidget):
    """Load a base model and adapters; write or build a prompt; compare the outputs."""

    status_message = Signal(str)
    merged = Signal(str)  # a merged model folder, a base model for the next run (prompt tuning on top)

    def __init__(self, settings: QSettings | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.settings = settings or QSettings()
        self.session: Any = None
        self.loading = False
        self.generating = False
        self._stop: threading.Event | None = None
        self._queued: tuple | None = None  # a generation asked for while the model loads
        self._batch_cancel: threading.Event | None = None
        self.batch_result: Any = None
        self.columns: dict[str, QPlainTextEdit] = {}
        self.column_stats: dict[str, QLabel] = {}
        self.last_stats: dict[str, Any] = {}
        self._build()
        self._update_buttons()

    # ------------------------------------------------------------------------------------ layout
    def _build(self) -> None:
        from ..core.playground import PRESETS

        self.base_picker = ModelPicker()
        self.base_picker.setText(str(demo_model_path()))
        self.load_button = QPushButton("Load")
        self.load_button.clicked.connect(self.load)
        self.model_status = QLabel("No model loaded.")
        self.model_status.setWordWrap(True)
        self.memory_label = QLabel()
        model_row = QHBoxLayout()
        model_row.addWidget(QLabel("Base model"))
        model_row.addWidget(self.base_picker, 1)
        model_row.addWidget(self.load_button)

        self.adapter_list = QListWidget()
        self.adapter_list.setMaximumHeight(96)
        self.adapter_list.setToolTip("Checked adapters get a column next to the base model's")
        self.add_adapter_button = QPushButton("Add adapter…")
        self.add_adapter_button.clicked.connect(self._browse_adapter)
        self.remove_adapter_button = QPushButton("Remove")
        self.remove_adapter_button.clicked.connect(self._remove_adapter)
        adapter_buttons = QVBoxLayout()
        adapter_buttons.addWidget(self.add_adapter_button)
        adapter_buttons.addWidget(self.remove_adapter_button)
        adapter_buttons.addStretch(1)
        adapter_row = QHBoxLayout()
        adapter_row.addWidget(self.adapter_list, 1)
        adapter_row.addLayout(adapter_buttons)
        self.pending_adapters: list[Path] = []

        model_box = QGroupBox("Model")
        model_layout = QVBoxLayout(model_box)
        model_layout.addLayout(model_row)
        model_layout.addWidget(self.model_status)
        model_layout.addWidget(self.memory_label)
        model_layout.addLayout(adapter_row)

        # Prompt: free text, or built from captions and objects.
        self.prompt_edit = QPlainTextEdit()
        self.prompt_edit.setPlaceholderText("Write a prompt, or build one in the IGRAG tab")
        self.prompt_edit.textChanged.connect(self._update_buttons)
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
        self.prompt_tabs = QTabWidget()
        self.prompt_tabs.addTab(self.prompt_edit, "Prompt")
        self.prompt_tabs.addTab(builder, "IGRAG builder")
        self.truncation_label = QLabel()
        self.truncation_label.setWordWrap(True)

        # Generation settings.
        self.preset_combo = QComboBox()
        self.preset_combo.addItems(list(PRESETS))
        self.preset_combo.currentTextChanged.connect(self._apply_preset)
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
        settings_form = QFormLayout()
        settings_form.addRow("Preset", self.preset_combo)
        settings_form.addRow("Max new tokens", self.max_new_tokens)
        settings_form.addRow("", self.sample_check)
        settings_form.addRow("Temperature", self.temperature)
        settings_form.addRow("Top-p", self.top_p)
        settings_form.addRow("Top-k", self.top_k)
        settings_form.addRow("Beams", self.beams)
        settings_form.addRow("Repetition penalty", self.repetition_penalty)
        settings_form.addRow("Seed", self.seed)
        settings_box = QGroupBox("Generation")
        settings_box.setLayout(settings_form)
        self._apply_preset(self.preset_combo.currentText())

        self.generate_button = QPushButton("Generate")
        self.generate_button.setDefault(True)
        self.generate_button.clicked.connect(self.generate)
        self.stop_button = QPushButton("Stop")
        self.stop_button.clicked.connect(self.stop)
        self.reason_label = QLabel()
        self.reason_label.setWordWrap(True)
        run_row = QHBoxLayout()
        run_row.addWidget(self.generate_button)
        run_row.addWidget(self.stop_button)
        run_row.addWidget(self.reason_label, 1)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(8, 8, 4, 8)
        left_layout.addWidget(model_box)
        left_layout.addWidget(self.prompt_tabs, 1)
        left_layout.addWidget(self.truncation_label)
        left_layout.addWidget(settings_box)
        left_layout.addLayout(run_row)

        # Outputs side by side.
        self.columns_host = QWidget()
        self.columns_layout = QHBoxLayout(self.columns_host)
        self.columns_layout.setContentsMargins(0, 0, 0, 0)
        compare_page = QWidget()
        compare_layout = QVBoxLayout(compare_page)
        compare_layout.addWidget(self.columns_host, 1)

        # Batch.
        self.batch_path = QLineEdit(str(resource_path("demo/data/val.jsonl")))
        self.batch_browse = QPushButton("Browse…")
        self.batch_browse.clicked.connect(self._browse_batch)
        self.batch_limit = QSpinBox()
        self.batch_limit.setRange(0, 1_000_000)
        self.batch_limit.setSpecialValueText("all images")
        self.batch_limit.setValue(20)
        self.batch_button = QPushButton("Run batch")
        self.batch_button.clicked.connect(self.run_batch)
        self.batch_cancel_button = QPushButton("Cancel")
        self.batch_cancel_button.clicked.connect(self.cancel_batch)
        self.batch_progress = QProgressBar()
        self.batch_summary = QLabel()
        self.batch_summary.setWordWrap(True)
        from .batch_scores import BatchScores

        self.batch_scores = BatchScores()
        self.export_button = QPushButton("Export CSV…")
        self.export_button.clicked.connect(self._export_csv)
        self.export_results_button = QPushButton("Export COCO results…")
        self.export_results_button.setToolTip("Each model's captions as <model>.json in COCO results format, "
                                              "for IGRAG's evaluator or igrag score")
        self.export_results_button.clicked.connect(self._export_results)
        batch_row = QHBoxLayout()
        batch_row.addWidget(QLabel("JSONL"))
        batch_row.addWidget(self.batch_path, 1)
        batch_row.addWidget(self.batch_browse)
        batch_row.addWidget(QLabel("Images"))
        batch_row.addWidget(self.batch_limit)
        batch_row.addWidget(self.batch_button)
        batch_row.addWidget(self.batch_cancel_button)
        batch_page = QWidget()
        batch_layout = QVBoxLayout(batch_page)
        batch_layout.addLayout(batch_row)
        batch_layout.addWidget(self.batch_progress)
        batch_layout.addWidget(self.batch_summary)
        batch_layout.addWidget(self.batch_scores, 1)
        exports = QHBoxLayout()
        exports.addStretch(1)
        exports.addWidget(self.export_results_button)
        exports.addWidget(self.export_button)
        batch_layout.addLayout(exports)

        # Merge.
        self.merge_adapter = QComboBox()
        self.merge_out = QLineEdit()
        self.merge_out.setPlaceholderText("Folder for the merged model")
        self.merge_button = QPushButton("Merge and verify")
        self.merge_button.clicked.connect(self.merge)
        self.merge_label = QLabel("Merging folds an adapter into the base weights and saves a full model "
                                  "folder (safetensors + tokenizer), then checks that it generates what "
                                  "base + adapter generate.")
        self.merge_label.setWordWrap(True)
        merge_page = QWidget()
        merge_form = QFormLayout(merge_page)
        merge_form.addRow("Adapter", self.merge_adapter)
        merge_form.addRow("Output folder", self.merge_out)
        merge_form.addRow("", self.merge_button)
        merge_form.addRow(self.merge_label)

        self.pages = QTabWidget()
        self.pages.addTab(compare_page, "Side by side")
        self.pages.addTab(batch_page, "Batch")
        self.pages.addTab(merge_page, "Merge")

        self.splitter = QSplitter()
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.pages)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([420, 860])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)
        self._set_columns([BASE])

    # ------------------------------------------------------------------------------- settings
    def _apply_preset(self, name: str) -> None:
        from ..core.playground import PRESETS

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

    def generation_settings(self) -> Any:
        from ..core.playground import GenerationSettings

        return GenerationSettings(max_new_tokens=self.max_new_tokens.value(), do_sample=self.sample_check.isChecked(),
                                  temperature=self.temperature.value(), top_p=self.top_p.value(),
                                  top_k=self.top_k.value(), num_beams=self.beams.value(),
                                  repetition_penalty=self.repetition_penalty.value(), seed=self.seed.value())

    # ---------------------------------------------------------------------------------- loading
    @Slot()
    def load(self) -> None:
        """Load the base model in the background; adapters added meanwhile attach after it."""
        if self.loading or self.generating:
            return
        base = self.base_picker.text().strip()
        if not base:
            self._say_model("Choose a base model first.", error=True)
            return
        self.loading = True
        self.session = None
        self.adapter_list.clear()
        self.merge_adapter.clear()
        self._set_columns([BASE])
        progress = _Progress(self)
        progress.message.connect(lambda text: self._say_model(text))
        self._say_model(f"Loading {base}…")
        self._update_buttons()

        def work() -> Any:
            from ..core.playground import Session

            return Session.load(base, progress=progress.message.emit)

        run_in_background(work, self._loaded, self._load_failed, receiver=self)

    def _loaded(self, session: Any) -> None:
        self.loading = False
        self.session = session
        self._say_model(f"Loaded {session.base}.")
        self._show_memory()
        self.status_message.emit(f"Playground: loaded {session.base}")
        pending, self.pending_adapters = self.pending_adapters, []
        for path in pending:
            self.add_adapter(path)
        self._update_buttons()
        if self._queued is not None and not pending:
            self._run_queued()

    def _load_failed(self, message: str) -> None:
        self.loading = False
        self._queued = None
        self._say_model(message, error=True)
        self.reason_label.setText("")
        self._update_buttons()

    def _say_model(self, text: str, error: bool = False) -> None:
        self.model_status.setText(text)
        self.model_status.setStyleSheet(f"color: {status_hex('error', self)};" if error else "")

    def _show_memory(self) -> None:
        if self.session is not None:
            self.memory_label.setText(f"Memory: {self.session.memory_bytes() / 2**20:,.1f} MiB "
                                      f"(one copy of the base; adapters attached by name)")

    # ---------------------------------------------------------------------------------- adapters
    def add_adapter(self, path: str | Path) -> None:
        """Attach an adapter (queued until the base model is loaded; loads the demo base if none)."""
        path = Path(path)
        if self.session is None:
            self.pending_adapters.append(path)
            if not self.loading:
                self.load()
            return
        session = self.session
        self._say_model(f"Attaching {path}…")
        self.loading = True
        self._update_buttons()
        run_in_background(lambda: session.add_adapter(path), lambda name, p=path: self._adapter_added(name, p),
                          self._adapter_failed, receiver=self)

    def _adapter_added(self, name: str, path: Path) -> None:
        self.loading = False
        item = QListWidgetItem(f"{name} — {path}")
        item.setData(NAME_ROLE, name)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked)
        self.adapter_list.addItem(item)
        self.merge_adapter.addItem(name)
        if not self.merge_out.text():
            self.merge_out.setText(str(path.parent / f"{path.name}-merged"))
        self._say_model(f"Loaded {self.session.base} with adapter '{name}'.")
        self._show_memory()
        self._set_columns([BASE, *self.checked_adapters()])
        self._update_buttons()
        if self._queued is not None and not self.pending_adapters:
            self._run_queued()

    def _adapter_failed(self, message: str) -> None:
        self.loading = False
        self._say_model(message, error=True)
        self._update_buttons()
        if self._queued is not None:
            self._run_queued()

    def checked_adapters(self) -> list[str]:
        return [self.adapter_list.item(i).data(NAME_ROLE) for i in range(self.adapter_list.count())
                if self.adapter_list.item(i).checkState() == Qt.CheckState.Checked]

    def _browse_adapter(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose an adapter folder")
        if folder:
            self.add_adapter(Path(folder))

    def _remove_adapter(self) -> None:
        item = self.adapter_list.currentItem()
        if item is None or self.session is None or self.generating:
            return
        name = item.data(NAME_ROLE)
        self.session.remove_adapter(name)
        self.adapter_list.takeItem(self.adapter_list.row(item))
        self.merge_adapter.removeItem(self.merge_adapter.findText(name))
        self._set_columns([BASE, *self.checked_adapters()])
        self._show_memory()

    # ---------------------------------------------------------------------------------- prompt
    @Slot()
    def build_prompt(self) -> str:
        captions = [line for line in self.captions_edit.toPlainText().splitlines() if line.strip()]
        objects = parse_objects(self.objects_edit.toPlainText())
        try:
            prompt = build_prompt(captions, objects, self.template_edit.toPlainText())
        except (KeyError, IndexError, ValueError) as exc:
            self.truncation_label.setText(f"The template is invalid ({exc}); it may use only {{captions}} and "
                                          f"{{objects}} (write {{{{ and }}}} for braces).")
            self.truncation_label.setStyleSheet(f"color: {status_hex('error', self)};")
            return ""
        self.prompt_edit.setPlainText(prompt)
        self.prompt_tabs.setCurrentIndex(0)
        return prompt

    def prompt(self) -> str:
        return self.prompt_edit.toPlainText()

    # ------------------------------------------------------------------------------- generation
    def _set_columns(self, labels: list[str]) -> None:
        for label in list(self.columns):
            if label not in labels:
                box = self.columns.pop(label).parentWidget()
                self.column_stats.pop(label, None)
                box.setParent(None)
                box.deleteLater()
        for label in labels:
            if label in self.columns:
                continue
            box = QGroupBox(label)
            text = QPlainTextEdit(readOnly=True)
            text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.GeneralFont))
            stats = QLabel()
            stats.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            inner = QVBoxLayout(box)
            inner.addWidget(text, 1)
            inner.addWidget(stats)
            self.columns[label] = text
            self.column_stats[label] = stats
            self.columns_layout.addWidget(box, 1)

    def _update_buttons(self) -> None:
        batch = self._batch_cancel is not None
        busy = self.loading or self.generating or batch
        self.load_button.setEnabled(not busy)
        self.generate_button.setEnabled(not self.generating and not batch and bool(self.prompt().strip()))
        self.stop_button.setEnabled(self.generating)
        self.batch_button.setEnabled(not busy and self.session is not None)
        self.batch_cancel_button.setEnabled(batch)
        self.merge_button.setEnabled(not busy and self.session is not None and self.merge_adapter.count() > 0)
        self.export_button.setEnabled(self.batch_result is not None)
        self.export_results_button.setEnabled(self.batch_result is not None)
        if not self.generating and not self._queued:
            if not self.prompt().strip():
                self.reason_label.setText("Write or build a prompt to generate.")
            elif self.session is None and not self.loading:
                self.reason_label.setText("Generate loads the base model first.")
            else:
                self.reason_label.setText("")

    @Slot()
    def generate(self) -> bool:
        """Generate the prompt through the base model and each checked adapter, in columns.
        While the model loads, the request waits for it; an empty prompt is refused."""
        prompt = self.prompt()
        if not prompt.strip():
            self.reason_label.setText("The prompt is empty: write one or build it from captions and objects.")
            return False
        if self.generating:
            return False
        request = (prompt, self.generation_settings())
        problems = request[1].validate()
        if problems:
            self.reason_label.setText("; ".join(problems))
            return False
        if self.session is None or self.loading:
            self._queued = request
            self.reason_label.setText("Waiting for the model to load; the generation starts right after.")
            if self.session is None and not self.loading:
                self.load()
            return True
        self._start_generation(*request)
        return True

    def _run_queued(self) -> None:
        request, self._queued = self._queued, None
        if request is not None and self.session is not None:
            self._start_generation(*request)

    def _start_generation(self, prompt: str, settings: Any) -> None:
        session = self.session
        labels = [BASE, *self.checked_adapters()]
        self._set_columns(labels)
        for label in labels:
            self.columns[label].clear()
            self.column_stats[label].setText("waiting…")
        prepared = session.prepare_prompt(prompt)
        truncated, n_tokens = prepared[1], prepared[2]
        if truncated:
            self.truncation_label.setText(f"⚠ The prompt is {n_tokens:,} tokens, longer than the model's limit of "
                                          f"{session.max_source_length:,}: it was truncated to fit.")
            self.truncation_label.setStyleSheet(f"color: {status_hex('warning', self)};")
        else:
            self.truncation_label.setText(f"{n_tokens:,} prompt tokens")
            self.truncation_label.setStyleSheet("")
        stop = threading.Event()
        self._stop = stop
        self.generating = True
        self.reason_label.setText("Generating…")
        self.reason_label.setStyleSheet("")
        self._update_buttons()
        stream = _Stream(self)
        stream.chunk.connect(self._on_chunk)
        stream.finished.connect(self._on_column_done)
        stream.failed.connect(self._on_generation_failed)
        stream.done.connect(self._on_generation_done)

        def work() -> None:
            for label in labels:
                if stop.is_set():
                    break
                iterator = session.stream(prompt, settings, None if label == BASE else label, stop=stop)
                for piece in iterator:
                    stream.chunk.emit(label, piece)
                stream.finished.emit(label, getattr(iterator, "stats", None))

        def failed(message: str) -> None:
            stream.failed.emit(message)
            stream.done.emit()

        run_in_background(work, lambda _: stream.done.emit(), failed, receiver=self)

    def _on_chunk(self, label: str, text: str) -> None:
        view = self.columns.get(label)
        if view is not None:
            cursor = view.textCursor()
            cursor.movePosition(cursor.MoveOperation.End)
            cursor.insertText(text)
            self.column_stats[label].setText("streaming…")

    def _on_column_done(self, label: str, stats: Any) -> None:
        self.last_stats[label] = stats
        if label in self.column_stats and stats is not None:
            self.column_stats[label].setText(f"first token {stats.first_token_s * 1000:,.0f} ms · "
                                             f"{stats.new_tokens} tokens · {stats.tokens_per_s:,.1f} tokens/s")

    def _on_generation_failed(self, message: str) -> None:
        self.reason_label.setText(message)
        self.reason_label.setStyleSheet(f"color: {status_hex('error', self)};")

    def _on_generation_done(self) -> None:
        stopped = self._stop is not None and self._stop.is_set()
        failed = bool(self.reason_label.styleSheet())
        self.generating = False
        self._stop = None
        message = self.reason_label.text()
        self._update_buttons()
        if stopped:
            self.reason_label.setText("Stopped.")
            self.reason_label.setStyleSheet("")
        elif failed:
            self.reason_label.setText(message)  # keep the failure on screen

    @Slot()
    def stop(self) -> None:
        if self._stop is not None:
            self._stop.set()
        self._queued = None

    # ------------------------------------------------------------------------------------ batch
    def _browse_batch(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a JSONL file", self.batch_path.text(),
                                              "JSON Lines (*.jsonl);;All files (*)")
        if path:
            self.batch_path.setText(path)

    @Slot()
    def run_batch(self) -> None:
        if self.session is None or self._batch_cancel is not None:
            return
        from ..core.playground import run_batch

        session, path = self.session, Path(self.batch_path.text())
        adapters: list[str | None] = [None, *self.checked_adapters()]
        settings, limit = self.generation_settings(), self.batch_limit.value() or None
        cancel = threading.Event()
        self._batch_cancel = cancel
        progress = _Progress(self)
        progress.changed.connect(self._batch_progress)
        self.batch_progress.setRange(0, 0)
        self.batch_summary.setText(f"Running {path.name} through {len(adapters)} model(s)…")
        self.batch_summary.setStyleSheet("")
        self._update_buttons()
        run_in_background(lambda: run_batch(session, path, adapters, settings, limit=limit,
                                            progress=progress.changed.emit, cancelled=cancel.is_set),
                          self._batch_done, self._batch_failed, receiver=self)

    @Slot()
    def cancel_batch(self) -> None:
        if self._batch_cancel is not None:
            self._batch_cancel.set()

    def _batch_progress(self, done: int, total: int) -> None:
        self.batch_progress.setRange(0, max(1, total))
        self.batch_progress.setValue(done)

    def _batch_done(self, result: Any) -> None:
        self._batch_cancel = None
        self.batch_result = result
        self.batch_scores.show_result(result)
        from ..core.metrics.names import format_score

        self.batch_summary.setText(f"{len(result.done):,} images · CIDEr: "
                                   + " · ".join(f"{label} {format_score(s.overall.get('cider'))}"
                                                for label, s in result.scores.items())
                                   + " (pycocoevalcap, 0-1 scale)"
                                   + (" (cancelled: partial)" if getattr(result, "cancelled", False) else ""))
        self.status_message.emit(self.batch_summary.text())
        self._update_buttons()

    def _batch_failed(self, message: str) -> None:
        self._batch_cancel = None
        self.batch_summary.setText(message)
        self.batch_summary.setStyleSheet(f"color: {status_hex('error', self)};")
        self._update_buttons()

    def _export_results(self) -> None:
        if self.batch_result is None:
            return
        folder = QFileDialog.getExistingDirectory(self, "Folder for the COCO results files")
        if folder:
            self.export_results_to(Path(folder))

    def export_results_to(self, folder: Path) -> list[Path]:
        """Each model's captions as ``folder/<label>.json`` (COCO results format)."""
        paths = [self.batch_result.to_coco_results(folder / f"{label}.json", label)
                 for label in self.batch_result.labels]
        self.status_message.emit(f"Exported {', '.join(p.name for p in paths)} to {folder}")
        return paths

    def _export_csv(self) -> None:
        if self.batch_result is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export CSV", "batch.csv", "CSV (*.csv)")
        if path:
            self.batch_result.to_csv(Path(path))
            self.status_message.emit(f"Exported {path}")

    # ------------------------------------------------------------------------------------ merge
    @Slot()
    def merge(self) -> None:
        if self.session is None or not self.merge_adapter.currentText() or not self.merge_out.text().strip():
            self.merge_label.setText("Choose an adapter and an output folder.")
            return
        from ..core.playground import merge_and_save

        session, name, out = self.session, self.merge_adapter.currentText(), Path(self.merge_out.text().strip())
        self.loading = True
        self._update_buttons()
        self.merge_label.setText(f"Merging '{name}' into the base and saving to {out}…")
        self.merge_label.setStyleSheet("")
        run_in_background(lambda: merge_and_save(session, name, out), self._merged, self._merge_failed,
                          receiver=self)

    def _merged(self, report: Any) -> None:
        self.loading = False
        self.merge_report = report
        verdict = ("✓ verified: the merged model generates what base + adapter generate"
                   if report.same_outputs else "⚠ the merged model's outputs differ from base + adapter")
        self.merge_label.setText(f"Saved {report.out_dir} ({report.params:,} parameters) in {report.seconds:.1f} s.\n"
                                 f"{verdict} (max logit difference {report.max_logit_diff:.2e}).")
        self.merge_label.setStyleSheet(f"color: {status_hex('ok' if report.same_outputs else 'warning', self)};")
        self._update_buttons()
        self.merged.emit(str(report.out_dir))

    def _merge_failed(self, message: str) -> None:
        self.loading = False
        self.merge_label.setText(message)
        self.merge_label.setStyleSheet(f"color: {status_hex('error', self)};")
        self._update_buttons()

    def is_busy(self) -> bool:
        return self.loading or self.generating or self._batch_cancel is not None

    def set_base_model(self, model: str) -> None:
        """Offer ``model`` as the base to load, unless a base is loaded or loading already."""
        if self.session is None and not self.is_busy():
            self.base_picker.setText(model)
