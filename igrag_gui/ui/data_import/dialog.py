"""Import data: pick a source, see its first rows, map columns, check lengths, write JSONL.

Everything slow runs off the GUI thread as ``ops`` coroutines, a newer request replacing an older
one (``ops.Latest``): opening the source and reading its first rows, tokenizing them for the
histogram, and writing the file (which Stop cancels through its ``TaskState``). The judgement is
the core's: ``check_mapping`` (errors block Import), ``length_histograms``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDialog, QFileDialog, QFormLayout, QHBoxLayout,
                               QLabel, QLineEdit, QPushButton, QSplitter, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from ...core.config import RunConfig
from ...core.data.importing import CHECK_ROWS, KINDS, Finding, Mapping
from .. import ops
from ..theme import status_hex
from .histogram import LengthHistogram

PREVIEW_ROWS = 50
NONE = "(none)"


def _load(src: str, kind: str | None, split: str | None) -> tuple[Any, list[dict]]:
    from ...core.data.importing import open_source

    source = open_source(src, kind, split or None)
    return source, source.head(CHECK_ROWS)


def _lengths(cfg: RunConfig, prompts: list[str], captions: list[str]) -> Any:
    from ...core.data.lengths import length_histograms
    from ...core.models.loading import load_model_config, load_tokenizer, model_kind, resolve_model_ref

    ref = resolve_model_ref(cfg)
    # importing never runs a model's own code (only training and generation may): built-in classes
    tokenizer = load_tokenizer(ref, False)
    kind = model_kind(load_model_config(ref, False), cfg.model.type)
    return length_histograms(prompts, captions, tokenizer, kind, cfg.data.max_source_length,
                             cfg.data.max_target_length)


def _write(source: Any, mapping: Mapping, out: Path, state: ops.TaskState) -> Any:
    """Write the JSONL, saying how far it is; None when stopped (then nothing was written)."""
    from ...core.data.importing import write_jsonl
    from ...core.task_state import Cancelled

    of = f" of {source.total:,}" if source.total else ""

    def progress(done: int, total: int | None) -> None:
        state.set_status(f"Importing: {done:,}{of} rows …")

    try:
        return write_jsonl(source, mapping, out, progress, state)
    except Cancelled:
        return None


class ImportDialog(QDialog):
    """Turns a CSV/TSV, JSONL, Parquet, Hugging Face dataset or COCO captions file into training JSONL."""

    imported = Signal(str)  # the JSONL written

    def __init__(self, cfg: RunConfig, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Import data")
        self.cfg = cfg
        self.source: Any = None
        self.rows: list[dict] = []
        self.findings: list[Finding] = []
        self._import_state: ops.TaskState | None = None  # set while an import runs
        self._load_task, self._length_task, self._write_task = ops.Latest(self), ops.Latest(self), ops.Latest(self)
        self._build()
        self.resize(1000, 760)

    # ------------------------------------------------------------------------------ building
    def _build(self) -> None:
        self.source_edit = QLineEdit(placeholderText="a file, a dataset folder, or a cached dataset name")
        self.source_edit.editingFinished.connect(self.reload)
        file_button, folder_button = QPushButton("File…"), QPushButton("Folder…")
        file_button.clicked.connect(self._choose_file)
        folder_button.clicked.connect(self._choose_folder)
        self.format_box = QComboBox()
        self.format_box.addItems(["auto"] + list(KINDS))
        self.format_box.currentIndexChanged.connect(self.reload)
        self.split_edit = QLineEdit(placeholderText="train")
        self.split_edit.setMaximumWidth(120)
        self.split_edit.editingFinished.connect(self.reload)
        src_row = QHBoxLayout()
        for w in (self.source_edit, file_button, folder_button, QLabel("format"), self.format_box,
                  QLabel("split"), self.split_edit):
            src_row.addWidget(w)
        src_row.setStretch(0, 1)

        self.table = QTableWidget(0, 0)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.status_label = QLabel("Choose what to import: CSV, TSV, JSONL, Parquet, COCO captions, or a "
                                   "Hugging Face dataset.")
        self.status_label.setWordWrap(True)

        self.combos: dict[str, QComboBox] = {}
        mapping_form = QFormLayout()
        for role, label in (("prompt", "Prompt (model input)"), ("caption", "Caption (target)"),
                            ("image_id", "Image id")):
            box = QComboBox()
            box.currentIndexChanged.connect(self._mapping_changed)
            self.combos[role] = box
            mapping_form.addRow(label, box)
        self.findings_label = QLabel("")
        self.findings_label.setWordWrap(True)
        self.histogram = LengthHistogram()

        self.out_edit = QLineEdit(placeholderText="where to write the JSONL")
        self.out_edit.textChanged.connect(self._update_buttons)
        out_button = QPushButton("Save as…")
        out_button.clicked.connect(self._choose_out)
        self.import_button = QPushButton("Import")
        self.import_button.setDefault(True)
        self.import_button.clicked.connect(self.start_import)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop_import)
        close_button = QPushButton("Close")
        close_button.clicked.connect(self.reject)
        out_row = QHBoxLayout()
        for w in (QLabel("Write to"), self.out_edit, out_button, self.import_button, self.stop_button, close_button):
            out_row.addWidget(w)
        out_row.setStretch(1, 1)

        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.addLayout(mapping_form)
        side_layout.addWidget(self.findings_label)
        side_layout.addWidget(self.histogram, 1)
        split = QSplitter()
        split.addWidget(self.table)
        split.addWidget(side)
        split.setSizes([600, 400])
        layout = QVBoxLayout(self)
        layout.addLayout(src_row)
        layout.addWidget(self.status_label)
        layout.addWidget(split, 1)
        layout.addLayout(out_row)
        self._update_buttons()

    # ------------------------------------------------------------------------------ source
    def _choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Data to import", "",
                                              "Data (*.csv *.tsv *.jsonl *.json *.parquet);;All files (*)")
        if path:
            self.set_source(path)

    def _choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Hugging Face dataset folder")
        if path:
            self.set_source(path)

    def _choose_out(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Write the training JSONL", self.out_edit.text(),
                                              "JSONL (*.jsonl)")
        if path:
            self.out_edit.setText(path)

    def set_source(self, src: str) -> None:
        self.source_edit.setText(src)
        self.reload()

    @Slot()
    def reload(self) -> None:
        src = self.source_edit.text().strip()
        if not src:
            return
        kind = self.format_box.currentText()
        self.status_label.setText(f"Reading the first rows of {src} …")
        self.source = None
        self._update_buttons()
        if not self.out_edit.text():
            stem = Path(src).stem if Path(src).suffix else Path(src).name
            self.out_edit.setText(str(self.cfg.base_dir / f"{stem}.imported.jsonl"))
        self._load_task.start(self._load(src, None if kind == "auto" else kind, self.split_edit.text()))

    async def _load(self, src: str, kind: str | None, split: str) -> None:
        try:
            result = await ops.run(_load, src, kind, split, ml=False)
        except ops.TaskFailed as exc:
            self._load_failed(exc.message)
            return
        self._loaded(result)

    def _loaded(self, result: tuple[Any, list[dict]]) -> None:
        from ...core.data.importing import guess_mapping

        self.source, self.rows = result
        shown = self.rows[:PREVIEW_ROWS]
        cols = self.source.columns
        self.table.setColumnCount(len(cols))
        self.table.setHorizontalHeaderLabels(cols)
        self.table.setRowCount(len(shown))
        for r, rec in enumerate(shown):
            for c, col in enumerate(cols):
                value = rec.get(col)
                self.table.setItem(r, c, QTableWidgetItem("" if value is None else str(value).replace("\n", " ⏎ ")))
        total = f"{self.source.total:,} rows" if self.source.total is not None else "rows"
        self.status_label.setText(f"{self.source.name} ({self.source.kind}, {total}): the first {len(shown)} shown, "
                                  f"the first {len(self.rows):,} checked.")
        guess = self.source.fixed or guess_mapping(cols)
        for role, box in self.combos.items():
            box.blockSignals(True)
            box.clear()
            box.addItems([NONE] + cols)
            box.setCurrentText(getattr(guess, role) or NONE)
            box.setEnabled(self.source.fixed is None)
            box.blockSignals(False)
        self._mapping_changed()

    def _load_failed(self, message: str) -> None:
        self.source, self.rows = None, []
        self.table.setRowCount(0)
        self.table.setColumnCount(0)
        self.status_label.setText(message)
        self.histogram.clear()
        self._update_buttons()

    # ------------------------------------------------------------------------------ mapping
    def mapping(self) -> Mapping:
        return Mapping(**{role: (None if box.currentText() in (NONE, "") else box.currentText())
                          for role, box in self.combos.items()})

    @Slot()
    def _mapping_changed(self) -> None:
        from ...core.data.importing import check_mapping

        if self.source is None:
            return
        mapping = self.mapping()
        self.findings = check_mapping(self.source, mapping, self.rows)
        lines = []
        for f in self.findings:
            color = status_hex("error" if f.severity == "error" else "warning", self)
            lines.append(f"<span style='color:{color}'>{f.severity}: {f.text}</span>")
        self.findings_label.setText("<br>".join(lines) or "The mapping looks right.")
        self._update_buttons()
        if not any(f.severity == "error" for f in self.findings):
            prompts = [str(r.get(mapping.prompt) or "") for r in self.rows]
            captions = [str(r.get(mapping.caption) or "") for r in self.rows]
            self.histogram.clear("counting tokens …")
            self._length_task.start(self._count_tokens(self.cfg.copy(), prompts, captions))
        else:
            self._length_task.cancel()
            self.histogram.clear()

    async def _count_tokens(self, cfg: RunConfig, prompts: list[str], captions: list[str]) -> None:
        try:
            result = await ops.run(_lengths, cfg, prompts, captions)  # loads the tokenizer: ML work
        except ops.TaskFailed as exc:
            self.histogram.clear(f"no token lengths: {exc.message}")
            return
        self.histogram.show_histograms(*result)

    # ------------------------------------------------------------------------------ import
    def can_import(self) -> bool:
        return (self.source is not None and bool(self.out_edit.text().strip())
                and not any(f.severity == "error" for f in self.findings))

    def importing(self) -> bool:
        return self._import_state is not None

    def _update_buttons(self) -> None:
        if hasattr(self, "stop_button"):  # called while building
            self.stop_button.setEnabled(self.importing())
            self.import_button.setEnabled(self.can_import() and not self.importing())

    @Slot()
    def start_import(self) -> None:
        if not self.can_import() or self.importing():
            return
        out = Path(self.out_edit.text().strip()).expanduser()
        self._import_state = ops.gui_state(on_status=self.status_label.setText)
        self._update_buttons()
        self.status_label.setText(f"Importing into {out} …")
        self._write_task.start(self._import(self.source, self.mapping(), out, self._import_state))

    async def _import(self, source: Any, mapping: Mapping, out: Path, state: ops.TaskState) -> None:
        try:
            result = await ops.run(_write, source, mapping, out, state=state, ml=False)
        except ops.TaskFailed as exc:
            self._finish()
            self.status_label.setText(exc.message)
            return
        self._finish()
        if result is None:
            self.status_label.setText("Stopped; nothing was written.")
            return
        extra = "".join(f" {w}." for w in result.warnings)
        self.status_label.setText(f"Wrote {result.rows:,} rows to {result.out}.{extra}")
        self.imported.emit(str(result.out))

    @Slot()
    def stop_import(self) -> None:
        """Stop writing at the next check; nothing is written."""
        if self._import_state is not None:
            self._import_state.cancel()

    def _finish(self) -> None:
        self._import_state = None
        self._update_buttons()
