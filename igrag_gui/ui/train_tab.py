"""The Train tab: the config form, live parameter stats, data preview, and runs.

Data flows one way: the form edits a ``RunConfig``; ``RunConfig.validate()`` judges it (the tab
paints the problems and disables Start with the reason); background tasks read the model's
config.json (module names, parameter counts) and the data file (preview); a ``TrainingRunner``
runs ``igrag train`` in a child process and streams its events into the live view.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QSettings, QTimer, Qt, Signal, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (QAbstractItemView, QGroupBox, QHBoxLayout, QLabel, QListWidget, QListWidgetItem,
                               QMenu, QMessageBox, QPlainTextEdit, QPushButton, QSizePolicy, QSplitter,
                               QTableWidget, QTableWidgetItem, QTabWidget, QToolButton, QVBoxLayout, QWidget)

from ..core.checkpoints import latest_checkpoint
from ..core.config import Problem, RunConfig, load_config
from ..core.config.judge import ConfigJudge
from ..core.errors import UserError
from .config_form import ConfigForm
from .lazy_page import LazyPage
from .live_view import LiveView, format_params
from .theme import status_hex
from .workers import Latest

if TYPE_CHECKING:  # imported when a run starts: not needed for the first frame
    from ..core.data_preview import DataPreview
    from ..core.events import Event
    from .training_runner import TrainingRunner

DEBOUNCE_MS = 250
PREVIEW_ROWS = 50


def _describe(cfg: RunConfig) -> Any:
    from ..core.models import describe_model

    return describe_model(cfg)[0]


def _count(cfg: RunConfig) -> Any:
    from ..core.params import count_parameters

    return count_parameters(cfg)


def _preview(cfg: RunConfig) -> DataPreview:
    from ..core.data_preview import data_preview

    return data_preview(cfg, PREVIEW_ROWS)


def run_folders(cfg: RunConfig) -> list[Path]:
    from ..core.experiments.runs import config_run_folders

    return config_run_folders(cfg)


def find_runs(cfg: RunConfig) -> list[Path]:
    from ..core.experiments.runs import config_runs

    return config_runs(cfg)


class TrainTab(QWidget):
    """Edit, check and train one run config."""

    status_message = Signal(str)
    modified_changed = Signal(bool)
    running_changed = Signal(bool)
    try_adapter = Signal(str)  # an adapter folder to try in the Playground
    inspect_adapter = Signal(str)  # an adapter folder to open in Inspect

    def __init__(self, parent: QWidget | None = None, settings: QSettings | None = None):
        super().__init__(parent)
        self.settings = settings if settings is not None else QSettings()  # the Compare and Sweep pages' memory
        self.saved: RunConfig | None = None  # the config as on disk
        self.model_info: Any = None
        self.model_problem: str | None = None
        self.model_key: tuple | None = None
        self.runner: TrainingRunner | None = None
        self.run_config_file: Path | None = None
        self.closing_event: Event | None = None
        self.last_checkpoint: str | None = None
        self.modified = False
        self._judge = ConfigJudge()  # validate once per edit; the disk once the user pauses
        self._build()
        self._model_task = Latest(self._model_ready, self._model_failed, self)
        self._stats_task = Latest(self._stats_ready, self._stats_failed, self)
        self._preview_task = Latest(self._take_preview, self._take_preview, self)
        self._debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS, timeout=self._refresh_background)

    # ------------------------------------------------------------------------------ building
    def _build(self) -> None:
        self.form = ConfigForm()
        self.form.edited.connect(self._on_edited)

        self.stats_label = QLabel("—")
        self.stats_label.setObjectName("statsLabel")
        font = self.stats_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.stats_label.setFont(font)
        self.stats_detail = QLabel("Parameter counts appear here as you edit.")
        self.stats_detail.setWordWrap(True)
        stats_box = QGroupBox("Trainable / total parameters")
        stats_box.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)  # never squeezed
        stats_layout = QVBoxLayout(stats_box)
        stats_layout.addWidget(self.stats_label)
        stats_layout.addWidget(self.stats_detail)

        self.start_button = QPushButton("Start")
        self.start_button.setDefault(True)
        self.stop_button = QPushButton("Stop")
        self.resume_button = QPushButton("Resume")
        self.copy_button = QToolButton(text="Copy command", popupMode=QToolButton.InstantPopup)
        menu = QMenu(self.copy_button)
        menu.addAction("igrag train …", lambda: self.copy_command("igrag"))
        menu.addAction("accelerate launch …", lambda: self.copy_command("accelerate"))
        self.copy_button.setMenu(menu)
        self.start_button.clicked.connect(lambda: self.start())
        self.stop_button.clicked.connect(self.stop)
        self.resume_button.clicked.connect(lambda: self.start(resume=True))
        self.reason_label = QLabel()
        self.reason_label.setWordWrap(True)
        self.reason_label.setObjectName("reasonLabel")
        self.outcome_label = QLabel()
        self.outcome_label.setWordWrap(True)
        self.outcome_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.details_button = QPushButton("Details…")
        self.details_button.clicked.connect(self._show_details)
        self.details_button.hide()
        self.try_button = QPushButton("Try in Playground")
        self.try_button.setToolTip("Load the trained adapter next to its base model and compare their outputs")
        self.try_button.clicked.connect(lambda: self.try_adapter.emit(self._trained_adapter or ""))
        self.try_button.hide()
        self._trained_adapter: str | None = None
        buttons = QHBoxLayout()
        for b in (self.start_button, self.stop_button, self.resume_button, self.copy_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        outcome = QHBoxLayout()
        outcome.addWidget(self.outcome_label, 1)
        outcome.addWidget(self.try_button)
        outcome.addWidget(self.details_button)

        self.live = LiveView()
        # Data and Runs are out of sight in the first frame: built when first shown or used.
        self._last_preview: DataPreview | str | None = None
        self._data_page = LazyPage(self._build_data_page)
        self._runs_page = LazyPage(self._build_runs_page)
        self.pages = QTabWidget()
        self.pages.addTab(self.live, "Live")
        self.pages.addTab(self._data_page, "Data")
        self.pages.addTab(self._runs_page, "Runs")
        self._compare_page = LazyPage(self._build_compare_page)
        self.pages.addTab(self._compare_page, "Compare")
        self._sweep_page = LazyPage(self._build_sweep_page)
        self.pages.addTab(self._sweep_page, "Sweep")

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(stats_box)
        right_layout.addLayout(buttons)
        right_layout.addWidget(self.reason_label)
        right_layout.addLayout(outcome)
        right_layout.addWidget(self.pages, 1)

        self.splitter = QSplitter(Qt.Horizontal)
        self.splitter.addWidget(self.form)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([500, 780])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.splitter)
        self._update_buttons([])

    def _build_data_page(self) -> QWidget:
        self._preview_table = QTableWidget(0, 2)
        self._preview_table.setHorizontalHeaderLabels(["prompt", "caption"])
        self._preview_table.horizontalHeader().setStretchLastSection(True)
        self._preview_table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self._preview_table.setWordWrap(False)
        self._preview_label = QLabel("The first rows of the training data appear here.")
        self._preview_label.setWordWrap(True)
        self.import_button = QPushButton("Import data…")
        self.import_button.setToolTip("Turn CSV/TSV, JSONL, Parquet, a Hugging Face dataset or COCO captions "
                                      "into training JSONL (igrag data import)")
        self.import_button.clicked.connect(self.open_import)
        page = QWidget()
        layout = QVBoxLayout(page)
        top = QHBoxLayout()
        top.addWidget(self._preview_label, 1)
        top.addWidget(self.import_button)
        layout.addLayout(top)
        layout.addWidget(self._preview_table)
        if self._last_preview is not None:
            self._show_preview(self._last_preview)
        return page

    @Slot()
    def open_import(self) -> Any:
        """The Import data dialog; what it writes becomes data.train_path."""
        from .data_import import ImportDialog

        dialog = ImportDialog(self.config(), self)
        dialog.imported.connect(lambda path: self.form.editor("data.train_path").setText(path))
        dialog.show()
        self.import_dialog = dialog
        return dialog

    def _build_runs_page(self) -> QWidget:
        self._runs_list = QListWidget()
        self._runs_list.currentItemChanged.connect(self._open_run)
        self._run_view = LiveView()
        self._run_config_view = QPlainTextEdit(readOnly=True)
        split = QSplitter(Qt.Horizontal)
        split.addWidget(self._runs_list)
        detail = QTabWidget()
        detail.addTab(self._run_view, "Curves")
        detail.addTab(self._run_config_view, "run.yaml")
        split.addWidget(detail)
        split.setSizes([220, 700])
        self._fill_runs()
        return split

    def _build_compare_page(self) -> QWidget:
        from .runs.compare_page import ComparePage

        self._compare = ComparePage(lambda: run_folders(self.config()), self.settings)
        self._compare.open_inspect.connect(self.inspect_adapter)
        self._compare.open_playground.connect(self.try_adapter)
        self._compare.status_message.connect(self.status_message)
        return self._compare

    def _build_sweep_page(self) -> QWidget:
        from .sweep.sweep_page import SweepPage

        self._sweep = SweepPage(self.config, self.settings)
        self._sweep.open_inspect.connect(self.inspect_adapter)
        self._sweep.open_playground.connect(self.try_adapter)
        self._sweep.status_message.connect(self.status_message)
        return self._sweep

    @property
    def compare_page(self) -> Any:
        self._compare_page.ensure_built()
        return self._compare

    @property
    def sweep_page(self) -> Any:
        self._sweep_page.ensure_built()
        return self._sweep

    @property
    def preview_table(self) -> QTableWidget:
        self._data_page.ensure_built()
        return self._preview_table

    @property
    def preview_label(self) -> QLabel:
        self._data_page.ensure_built()
        return self._preview_label

    @property
    def runs_list(self) -> QListWidget:
        self._runs_page.ensure_built()
        return self._runs_list

    # ------------------------------------------------------------------------------ config
    def load_file(self, path: Path) -> None:
        """Open a YAML config; raises ``UserError`` (the window shows it) and keeps the old one."""
        cfg, warnings = load_config(path)
        self.set_config(cfg, saved=True)
        for w in warnings:
            self.live.append_log(f"warning: {w}")
        self.status_message.emit(f"Opened {path}" + (f" ({len(warnings)} warning(s))" if warnings else ""))

    def set_config(self, cfg: RunConfig, saved: bool) -> None:
        self.form.set_config(cfg)
        if saved:
            self.saved = cfg.copy()
        self._set_modified(not saved)
        self._validate(check_files=False)
        self._refresh_background(force=True)  # looks at the disk
        self._refresh_runs()

    def config(self) -> RunConfig:
        return self.form.config()

    def save(self, path: Path | None = None) -> Path:
        cfg = self.config()
        target = Path(path) if path else cfg.source
        if target is None:
            raise UserError("this config has no file yet; use Save As")
        cfg.save(target)
        self.set_config(cfg, saved=True)
        self.status_message.emit(f"Saved {target}")
        return target

    def revert(self) -> None:
        if self.saved is not None:
            self.set_config(self.saved.copy(), saved=True)

    def _set_modified(self, value: bool) -> None:
        if value != self.modified:
            self.modified = value
            self.modified_changed.emit(value)

    @Slot()
    def _on_edited(self) -> None:
        cfg = self.config()
        self._set_modified(self.saved is None or cfg.to_dict() != self.saved.to_dict())
        self._validate(cfg, check_files=False)  # the disk is looked at once the user pauses
        self._debounce.start()

    # ------------------------------------------------------------------------------ judgement
    def problems(self, cfg: RunConfig | None = None, check_files: bool = True) -> list[Problem]:
        """``cfg``'s problems; ``check_files=False`` reuses the disk's last answer (``ConfigJudge``)."""
        cfg = cfg or self.config()
        info = self.model_info if self.model_key == self._model_key(cfg) else None
        return self._judge.judge(cfg, model=info, look=check_files) + self._model_problems(cfg)

    def _model_problems(self, cfg: RunConfig) -> list[Problem]:
        if self.model_problem and self.model_key == self._model_key(cfg):
            return [Problem("model.base_model_path", self.model_problem)]
        return []

    def _validate(self, cfg: RunConfig | None = None, check_files: bool = True) -> list[Problem]:
        found = self.problems(cfg, check_files)
        self._show_problems(found)
        return found

    def _show_problems(self, found: list[Problem]) -> None:
        self.form.set_problems(found)
        self._update_buttons(found)

    def _update_buttons(self, problems: list[Problem]) -> None:
        errors = [p for p in problems if p.severity == "error"]
        running = self.runner is not None
        self.start_button.setEnabled(not errors and not running)
        self.stop_button.setEnabled(running)
        cfg = hasattr(self, "form")
        can_resume = bool(cfg and not errors and not running and self._judge.resumable)
        self.resume_button.setEnabled(can_resume)
        if running:
            self.reason_label.setText("Training is running.")
        elif errors:
            first = errors[0]
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            self.reason_label.setText(f"Start is disabled: {first.field}: {first.message}{more}")
        else:
            self.reason_label.setText("Ready to train." if cfg else "")
        self.start_button.setToolTip(self.reason_label.text())

    # ------------------------------------------------------------------------------ background
    @staticmethod
    def _model_key(cfg: RunConfig) -> tuple:
        return (str(cfg.base_dir), cfg.model.base_model_path, cfg.model.type, cfg.model.trust_remote_code)

    @Slot()
    def _refresh_background(self, force: bool = False) -> None:
        cfg = self.config()
        self._judge.look(cfg)  # the user paused: the files, folders and checkpoints, once
        self._show_problems(self._judge.problems(cfg) + self._model_problems(cfg))
        if force or self.model_key != self._model_key(cfg):
            self.model_key = self._model_key(cfg)
            self.model_info, self.model_problem = None, None
            self.stats_detail.setText("Reading the model's config.json…")
            self._model_task.submit(lambda c=cfg.copy(): _describe(c))
        self._submit_stats(cfg)
        self._preview_task.submit(lambda c=cfg.copy(): _preview(c))

    def _submit_stats(self, cfg: RunConfig) -> None:
        if any(p.severity == "error" and p.field.split(".")[0] in ("model", cfg.method_section, "method")
               for p in self._judge.without_disk):
            self.stats_label.setText("—")
            self.stats_detail.setText("Fix the model and method fields to see parameter counts.")
            return
        self.stats_detail.setText("Counting…")
        self._stats_task.submit(lambda c=cfg.copy(): _count(c))

    def _model_ready(self, info: Any) -> None:
        self.model_info, self.model_problem = info, None
        self.form.editor("lora.target_modules").set_modules(info.modules, output_layer=info.output_layer)
        self._validate(check_files=False)  # the model's answer changes no path: the disk's stands

    def _model_failed(self, message: str) -> None:
        self.model_info, self.model_problem = None, message
        self._validate(check_files=False)
        self.stats_label.setText("—")
        self.stats_detail.setText("The model could not be read (see the Base model field).")

    def _stats_ready(self, stats: Any) -> None:
        self.stats_label.setText(format_params(stats.trainable, stats.total, stats.percent))
        per = ", ".join(f"{name}: {v['modules']}" for name, v in stats.by_module.items())
        self.stats_detail.setText(f"{stats.modules} adapted modules — {per}")
        self.stats_detail.setToolTip("Trainable parameters by module type:\n" + "\n".join(
            f"{name}: {v['modules']} modules, {v['trainable']:,} parameters" for name, v in stats.by_module.items()))

    def _stats_failed(self, message: str) -> None:
        self.stats_label.setText("—")
        self.stats_detail.setText(message)

    def _take_preview(self, preview: DataPreview | str) -> None:
        """A preview, or the message saying why there is none; shown now or when Data is built."""
        self._last_preview = preview
        if self._data_page.is_built:
            self._show_preview(preview)

    def _show_preview(self, preview: DataPreview | str) -> None:
        if isinstance(preview, str):
            self._preview_table.setRowCount(0)
            self._preview_label.setText(preview)
            return
        self._preview_table.setColumnCount(len(preview.columns))
        self._preview_table.setHorizontalHeaderLabels(list(preview.columns))
        self._preview_table.setRowCount(len(preview.rows))
        for r, row in enumerate(preview.rows):
            for c, text in enumerate(row):
                self._preview_table.setItem(r, c, QTableWidgetItem(text.replace("\n", " ⏎ ")))
        self._preview_label.setText(preview.summary())

    # ------------------------------------------------------------------------------ runs
    def _refresh_runs(self) -> None:
        if self._runs_page.is_built:  # else listed when the page is first shown
            self._fill_runs()

    def _fill_runs(self) -> None:
        self._runs_list.clear()
        try:
            runs = find_runs(self.config())
        except OSError:
            runs = []
        for run in runs:
            item = QListWidgetItem(run.name)
            item.setData(Qt.UserRole, str(run))
            item.setToolTip(str(run))
            self._runs_list.addItem(item)

    @Slot(QListWidgetItem, QListWidgetItem)
    def _open_run(self, item: QListWidgetItem | None, _previous: Any = None) -> None:
        if item is None:
            return
        run = Path(item.data(Qt.UserRole))
        self._run_view.clear()
        try:
            self._run_view.load_metrics(run / "metrics.jsonl")
            text = (run / "run.yaml").read_text(encoding="utf-8") if (run / "run.yaml").exists() else "(no run.yaml)"
        except OSError as exc:
            text = f"cannot read this run: {exc}"
        self._run_config_view.setPlainText(text)
        self._run_view.redraw_now()

    # ------------------------------------------------------------------------------ training
    def start(self, resume: bool = False, max_steps: int | None = None) -> bool:
        cfg = self.config()
        if self.runner is not None or [p for p in self._validate(cfg) if p.severity == "error"]:
            return False
        folder = Path(tempfile.mkdtemp(prefix="igrag-run-"))
        snapshot = cfg.copy()
        snapshot.save(folder / "run.yaml")
        self.run_config_file = folder / "run.yaml"
        self.closing_event, self.last_checkpoint = None, None
        self.live.clear()
        self.outcome_label.clear()
        self.details_button.hide()
        self.try_button.hide()
        from .training_runner import TrainingRunner, training_command

        self.runner = TrainingRunner(training_command(self.run_config_file, resume, max_steps), self)
        self.runner.event_received.connect(self._on_event)
        self.runner.line_received.connect(self.live.append_log)
        self.runner.ended.connect(self._on_ended)
        self.runner.start()
        self.pages.setCurrentWidget(self.live)
        self.running_changed.emit(True)
        self._update_buttons([])
        self.status_message.emit("Resuming training…" if resume else "Training started")
        return True

    @Slot()
    def stop(self) -> None:
        if self.runner is not None:
            self.runner.request_stop()
            self.stop_button.setEnabled(False)
            self.reason_label.setText("Stopping at the next step and saving a checkpoint…")

    @Slot(object)
    def _on_event(self, event: Event) -> None:
        from ..core.events import CheckpointSaved, Failed, Finished, Started

        self.live.on_event(event)
        if isinstance(event, (Finished, Failed)):
            self.closing_event = event
        if isinstance(event, CheckpointSaved):
            self.last_checkpoint = event.path
        if isinstance(event, Started):
            self.status_message.emit(f"Training: {event.max_steps} steps")

    @Slot(int, str)
    def _on_ended(self, code: int, tail: str) -> None:
        runner, self.runner = self.runner, None
        if runner is not None:
            runner.wait(5000)
            runner.deleteLater()
        from ..core.events import Failed, Finished

        cfg = self.config()
        last = latest_checkpoint(cfg.output_path)
        closing = self.closing_event
        self._details = tail
        if isinstance(closing, Finished) and closing.stopped:
            text = f"Stopped at step {closing.step}. Resumable checkpoint: {closing.checkpoint}. Resume continues it."
        elif isinstance(closing, Finished):
            from ..core.metrics.names import format_score, label

            best = (f"; best {label(closing.best_metric)} {format_score(closing.best_score)}"
                    if closing.best_score is not None and closing.best_metric else "")
            text = f"Finished at step {closing.step}: adapter saved in {closing.output_dir}{best}."
        elif isinstance(closing, Failed):
            text = f"Training failed: {closing.message}"
            self._details = (closing.details + "\n\n" + tail).strip()
        else:
            why = (f"was killed by signal {-code}" if code < 0 else f"exited with code {code}")
            errors = [line[len("igrag: error: "):] for line in tail.splitlines() if line.startswith("igrag: error: ")]
            if errors:
                text = "Training could not start: " + " ".join(errors)
            else:
                text = (f"The training process {why} before finishing. "
                        + (f"The last good checkpoint is {last}; Resume continues from it." if last else
                           "No checkpoint was saved."))
            # the engine could not say it failed: say it in the live view too
            self.live.on_event(Failed(message=text, checkpoint=str(last) if last else None, details=tail))
        failed = not (isinstance(closing, Finished))
        self.outcome_label.setText(text)
        self.outcome_label.setStyleSheet(f"color: {status_hex('error', self)};" if failed else "")
        self.details_button.setVisible(bool(self._details))
        finished = isinstance(closing, Finished) and not closing.stopped
        self._trained_adapter = closing.output_dir if finished else None
        self.try_button.setVisible(finished)
        if self.run_config_file is not None:
            import shutil

            shutil.rmtree(self.run_config_file.parent, ignore_errors=True)
            self.run_config_file = None
        self.running_changed.emit(False)
        self._validate()
        self._refresh_runs()
        self.status_message.emit(text)

    def _show_details(self) -> None:
        box = QMessageBox(QMessageBox.Information, "Training details", self.outcome_label.text(), parent=self)
        box.setDetailedText(getattr(self, "_details", ""))
        box.open()

    def is_running(self) -> bool:
        return self.runner is not None

    def is_sweeping(self) -> bool:
        return self._sweep_page.is_built and self._sweep.is_running()

    def copy_command(self, launcher: str) -> str:
        from ..core.config import train_command

        text = train_command(self.config(), self.saved, launcher)
        QGuiApplication.clipboard().setText(text)
        self.status_message.emit(f"Copied: {text}")
        return text

    # -------------------------------------------------------- what the window asks of the tab
    def source(self) -> Path | None:
        """The config's file (the window's title), without building the config."""
        return self.form.source()

    def save_state(self, settings: QSettings) -> None:
        settings.setValue("train/splitter", self.splitter.saveState())

    def restore_state(self, settings: QSettings) -> None:
        state = settings.value("train/splitter")
        if isinstance(state, QByteArray):
            self.splitter.restoreState(state)

    @Slot(str)
    def add_model_folder(self, folder: str) -> None:
        """Offer a model folder made elsewhere (a merged model) as a base model."""
        self.form.editor("model.base_model_path").add_model_folder(folder)

    def stop_training_and_wait(self, timeout_ms: int = 120_000) -> None:
        """Stop the child (it saves a checkpoint) and wait for it; kill it if it will not end."""
        if self.runner is None:
            return
        self.runner.request_stop()
        if not self.runner.wait(timeout_ms):
            self.runner.kill()
            self.runner.wait(10_000)

    def stop_sweep_and_wait(self) -> None:
        if self._sweep_page.is_built:
            self.sweep_page.stop_and_wait()
