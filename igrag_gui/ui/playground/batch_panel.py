"""The Batch page: a data file through the base model and the checked adapters, COCO metrics for
each (``core.playground.run_batch``), exports. Its flow is one ``async`` method; the tab decides
when it may start (one task at a time) and passes the session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QFileDialog, QHBoxLayout, QLabel, QLineEdit, QProgressBar, QPushButton,
                               QSpinBox, QVBoxLayout, QWidget)

from ...resources import resource_path
from .. import ops
from ..theme import status_hex
from .batch_scores import BatchScores


class BatchPanel(QWidget):
    status_message = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.result: Any = None  # the last core.playground.BatchResult
        self.state: ops.TaskState | None = None  # the running batch's, for Cancel
        self.path = QLineEdit(str(resource_path("demo/data/val.jsonl")))
        self.browse_button = QPushButton("Browse…")
        self.browse_button.clicked.connect(self._browse)
        self.limit = QSpinBox()
        self.limit.setRange(0, 1_000_000)
        self.limit.setSpecialValueText("all images")
        self.limit.setValue(20)
        self.engine = QComboBox()  # core.playground.engines.ENGINES, without importing the core's torch side
        for engine, tip in (("auto", "CTranslate2 where its greedy captions of the first images are identical to "
                                     "transformers' (LoRA merged into the base, converted once and cached), "
                                     "else transformers"),
                            ("transformers", "The adapter on the base model, exactly as training evaluates"),
                            ("ct2", "CTranslate2 for every model it can run (prompt tuning and sampling "
                                    "fall back to transformers, with the reason)")):
            self.engine.addItem(engine)
            self.engine.setItemData(self.engine.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        self.engine.setToolTip("What writes the captions; the summary says which engine each model used and why")
        self.run_button = QPushButton("Run batch")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.scores = BatchScores()
        self.export_button = QPushButton("Export CSV…")
        self.export_button.clicked.connect(self._export_csv)
        self.export_results_button = QPushButton("Export COCO results…")
        self.export_results_button.setToolTip("Each model's captions as <model>.json in COCO results format, "
                                              "for IGRAG's evaluator or igrag score")
        self.export_results_button.clicked.connect(self._export_results)
        row = QHBoxLayout()
        row.addWidget(QLabel("JSONL"))
        row.addWidget(self.path, 1)
        row.addWidget(self.browse_button)
        row.addWidget(QLabel("Images"))
        row.addWidget(self.limit)
        row.addWidget(QLabel("Engine"))
        row.addWidget(self.engine)
        row.addWidget(self.run_button)
        row.addWidget(self.cancel_button)
        exports = QHBoxLayout()
        exports.addStretch(1)
        exports.addWidget(self.export_results_button)
        exports.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.progress)
        layout.addWidget(self.summary)
        layout.addWidget(self.scores, 1)
        layout.addLayout(exports)
        self.set_busy(False, False)

    def set_busy(self, busy: bool, can_run: bool) -> None:
        """``busy``: a batch runs (Cancel on); ``can_run``: the tab is idle with a model."""
        self.run_button.setEnabled(can_run)
        self.cancel_button.setEnabled(busy)
        self.engine.setEnabled(not busy)
        self.export_button.setEnabled(self.result is not None)
        self.export_results_button.setEnabled(self.result is not None)

    async def run(self, session: Any, adapters: list[str | None], settings: Any) -> None:
        """Every image of the file through each model, then the scores; Cancel keeps what is done."""
        from ...core.metrics.names import format_score
        from ...core.playground.batch import run_batch

        path, limit = Path(self.path.text()), self.limit.value() or None
        self.state = ops.gui_state(on_progress=lambda f: self.progress.setValue(round(f * 1000)),
                                   on_status=self.summary.setText)
        self.progress.setValue(0)
        self.show_summary(f"Running {path.name} through {len(adapters)} model(s)…")
        try:
            result = await ops.run(run_batch, session, path, adapters, settings, limit=limit, state=self.state,
                                   engine=self.engine.currentText())
        except ops.TaskFailed as exc:
            self.show_summary(exc.message, "error")
            return
        finally:
            self.state = None
        self.result = result
        self.scores.show_result(result)
        self.show_summary(f"{len(result.done):,} images · CIDEr: "
                          + " · ".join(f"{label} {format_score(s.overall.get('cider'))}"
                                       for label, s in result.scores.items())
                          + " (pycocoevalcap, 0-1 scale)" + (" (cancelled: partial)" if result.cancelled else "")
                          + "\n" + "\n".join(result.engine_lines()))
        self.status_message.emit(self.summary.text().splitlines()[0])

    def cancel(self) -> None:
        if self.state is not None:
            self.state.cancel()

    def show_summary(self, text: str, kind: str = "") -> None:
        self.summary.setText(text)
        self.summary.setStyleSheet(f"color: {status_hex(kind, self)};" if kind else "")

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a JSONL file", self.path.text(),
                                              "JSON Lines (*.jsonl);;All files (*)")
        if path:
            self.path.setText(path)

    def _export_results(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder for the COCO results files")
        if folder and self.result is not None:
            self.export_results_to(Path(folder))

    def export_results_to(self, folder: Path) -> list[Path]:
        """Each model's captions as ``folder/<label>.json`` (COCO results format)."""
        paths = [self.result.to_coco_results(folder / f"{label}.json", label) for label in self.result.labels]
        self.status_message.emit(f"Exported {', '.join(p.name for p in paths)} to {folder}")
        return paths

    def _export_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export CSV", "batch.csv", "CSV (*.csv)")
        if path and self.result is not None:
            self.result.to_csv(Path(path))
            self.status_message.emit(f"Exported {path}")
