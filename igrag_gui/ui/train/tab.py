"""The Train tab: the config form, live parameter stats, the memory and time estimate, data
preview, and runs. Data flows one way: the form edits a ``RunConfig``; ``RunConfig.validate()``
judges it (the tab paints the problems and disables Start with the reason); background tasks read
the model's config.json (module names, parameter counts), the data file (preview) and probe the
run (``EstimateBox``); a ``ChildRunner`` runs ``igrag train`` in a child process and streams
its events into the live view, whose ``RunHistory`` says how the run ended (``OutcomePanel``). The
tab's busy state is its fields (``runner``); the widgets only show it."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings, QTimer, Qt, Signal, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QMenu, QPushButton, QSplitter, QTabWidget, QToolButton,
                               QVBoxLayout, QWidget)

from ...core.config import Problem, RunConfig, load_config, train_command
from ...core.config.judge import ConfigJudge
from ...core.errors import UserError
from .form.config_form import ConfigForm
from ..widgets.lazy_page import LazyPage
from ..live import LiveView
from ..theme import status_hex
from ..workers import after_first_paint, painted
from .data_page import read_preview
from .estimate_box import EstimateBox
from .lazy_pages import LazyPages
from .outcome_panel import OutcomePanel
from .param_stats import ParamStatsBox, count_parameters_of
from .window_seams import WindowSeams

if TYPE_CHECKING:  # imported when a run starts: not needed for the first frame
    from ...core.data.preview import DataPreview
    from ...core.training.events import Event
    from ...core.training.run_history import Outcome
    from ..child_runner import ChildRunner

DEBOUNCE_MS = 250


def _describe(cfg: RunConfig) -> Any:
    """The model's ``ModelInfo``; for a model with its own code (never run here, only when training
    starts), the sentence saying so, shown as a warning that does not block the run."""
    from ...core.models.facts import model_info
    from ...core.models.loading import ModelCodeNotRun

    try:
        return model_info(cfg)
    except ModelCodeNotRun as exc:
        return exc.lines[0]


class TrainTab(LazyPages, WindowSeams, QWidget):
    """Edit, check and train one run config."""

    status_message = Signal(str)
    modified_changed = Signal(bool)
    running_changed = Signal(bool)
    try_adapter = Signal(str)  # an adapter folder to try in the Playground
    inspect_adapter = Signal(str)  # an adapter folder to open in Inspect
    run_finished = Signal(str)  # a run trained to its end: its adapter folder (Inspect's Recent list)

    def __init__(self, parent: QWidget | None = None, settings: QSettings | None = None):
        super().__init__(parent)
        self.settings = settings if settings is not None else QSettings()  # the Compare and Sweep pages' memory
        self.saved: RunConfig | None = None  # the config as on disk
        self.model_info: Any = None
        self.model_problem: str | None = None
        self.model_note: str | None = None  # a model whose own code is not run to describe it
        self.stats_problem: str | None = None  # why the last parameter count failed, shown in the box
        self.model_key: tuple | None = None
        self.runner: ChildRunner | None = None  # a run is going: the tab's busy state
        self.run_config_file: Path | None = None
        self.outcome: Outcome | None = None  # how the last run ended
        self.stopping = False  # Stop was asked; the child is saving its checkpoint
        self.modified = False
        self._judge = ConfigJudge()  # validate once per edit; the disk once the user pauses
        self._build()
        # background reads, newest wins: the model's config.json, the parameter counts, the data preview
        # (ops.Latest each, made with the first read: asyncio is not imported before the first frame)
        self._model_task: Any = None
        self._stats_task: Any = None
        self._preview_task: Any = None
        self._reads_waiting, self._reads_force = False, False
        self._debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS, timeout=self._refresh_background)

    # ------------------------------------------------------------------------------ building
    def _build(self) -> None:
        self.form = ConfigForm()
        self.form.edited.connect(self._on_edited)

        self.param_stats = ParamStatsBox()
        self.stats_label, self.stats_detail = self.param_stats.stats_label, self.param_stats.stats_detail
        self.estimate_box = EstimateBox(self.running_changed)  # `igrag estimate` probes, once edits pause

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
        self.outcome_panel = OutcomePanel()
        self.outcome_panel.try_adapter.connect(self.try_adapter)
        self.outcome_panel.inspect_adapter.connect(self.inspect_adapter)
        self.outcome_label = self.outcome_panel.outcome_label
        self.try_button = self.outcome_panel.try_button
        self.inspect_button = self.outcome_panel.inspect_button
        self.details_button = self.outcome_panel.details_button
        buttons = QHBoxLayout()
        for b in (self.start_button, self.stop_button, self.resume_button, self.copy_button):
            buttons.addWidget(b)
        buttons.addStretch(1)

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
        right_layout.addWidget(self.param_stats)
        right_layout.addWidget(self.estimate_box)
        right_layout.addLayout(buttons)
        right_layout.addWidget(self.reason_label)
        right_layout.addWidget(self.outcome_panel)
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
        if self.model_note and self.model_key == self._model_key(cfg):
            return [Problem("model.base_model_path", self.model_note, "warning")]
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
        self.stop_button.setEnabled(running and not self.stopping)
        cfg = hasattr(self, "form")
        can_resume = bool(cfg and not self._judge.blocking(errors, True) and not running and self._judge.resumable)
        self.resume_button.setEnabled(can_resume)
        if running:
            self.reason_label.setText("Stopping at the next step and saving a checkpoint…" if self.stopping
                                      else "Training is running.")
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
        if not painted():  # the disk look and the reads (and their event loop) follow the first frame
            self._reads_force = self._reads_force or force
            if not self._reads_waiting:
                self._reads_waiting = True
                after_first_paint(self, self._start_waiting_reads)
            return
        cfg = self.config()
        self._judge.look(cfg)  # the user paused: the files, folders and checkpoints, once
        found = self._judge.problems(cfg) + self._model_problems(cfg)
        self._show_problems(found)
        self._start_reads(cfg, force, found)

    def _start_waiting_reads(self) -> None:
        self._reads_waiting = False
        force, self._reads_force = self._reads_force, False
        self._refresh_background(force)

    def _start_reads(self, cfg: RunConfig, force: bool, problems: list[Problem]) -> None:
        """The model, counts, estimate and preview reads for ``cfg``, whose ``problems`` were just judged."""
        if self._model_task is None:
            from .. import ops

            self._model_task, self._stats_task, self._preview_task = ops.Latest(self), ops.Latest(self), ops.Latest(self)
        if force or self.model_key != self._model_key(cfg):
            self.model_key = self._model_key(cfg)
            self.model_info, self.model_problem, self.model_note = None, None, None
            self.param_stats.show_note("Reading the model's config.json…")
            self._model_task.start(self._read(_describe, cfg.copy(), self._model_ready, self._model_failed))
        self._submit_stats(cfg)
        self.estimate_box.request(cfg, problems, running=self.runner is not None)
        self._preview_task.start(self._read(read_preview, cfg.copy(), self._take_preview, self._take_preview))

    def background_busy(self) -> bool:
        """Whether a read of the model, the counts or the preview is still going."""
        return self._reads_waiting or any(task is not None and task.running()
                                          for task in (self._model_task, self._stats_task, self._preview_task))

    async def _read(self, fn: Any, cfg: RunConfig, ready: Any, failed: Any) -> None:
        """One background read: ``fn(cfg)`` off the GUI thread; its answer to ``ready``, a failure's
        sentence to ``failed`` (the preview shows either)."""
        from .. import ops

        try:
            result = await ops.run(fn, cfg)
        except ops.TaskFailed as exc:
            failed(exc.message)
            return
        ready(result)

    def _submit_stats(self, cfg: RunConfig) -> None:
        if any(p.severity == "error" and p.field.split(".")[0] in ("model", cfg.method_section, "method")
               for p in self._judge.without_disk):
            self.param_stats.show_note("Fix the model and method fields to see parameter counts.", clear=True)
            return
        self.stats_problem = None
        self.param_stats.show_note("Counting…")
        self._stats_task.start(self._read(count_parameters_of, cfg.copy(), self._stats_ready, self._stats_failed))

    def _model_ready(self, info: Any) -> None:
        if isinstance(info, str):  # its own code: not described (only a run executes it)
            self.model_info, self.model_problem, self.model_note = None, None, info
            self._validate(check_files=False)
            self.param_stats.show_note("Not counted: the model's own code runs only when training starts.",
                                       clear=True)
            return
        self.model_info, self.model_problem, self.model_note = info, None, None
        self.form.editor("lora.target_modules").set_modules(info.modules, output_layer=info.output_layer)
        self._validate(check_files=False)  # the model's answer changes no path: the disk's stands

    def _model_failed(self, message: str) -> None:
        self.model_info, self.model_problem = None, message
        self._validate(check_files=False)
        self.param_stats.show_note("The model could not be read (see the Base model field).", clear=True)

    def _stats_ready(self, stats: Any) -> None:
        self.stats_problem = None
        self.param_stats.show_stats(stats)

    def _stats_failed(self, message: str) -> None:
        self.stats_problem = message
        self.param_stats.show_failure(message)

    def _take_preview(self, preview: DataPreview | str) -> None:
        """A preview, or the message saying why there is none; shown now or when Data is built."""
        self._last_preview = preview
        if self._data_page.is_built:
            self._data.show_preview(preview)

    # ------------------------------------------------------------------------------ runs
    def _refresh_runs(self) -> None:
        if self._runs_page.is_built:  # else listed when the page is first shown
            self._runs.refresh()
        if self._compare_page.is_built:  # a run that just ended joins the list, ticks kept
            self._compare.refresh()

    # ------------------------------------------------------------------------------ training
    def start(self, resume: bool = False, max_steps: int | None = None, scratch: bool = False) -> bool:
        cfg = self.config()
        if self.runner is not None or self._judge.blocking(self._validate(cfg), resume):
            return False
        folder = Path(tempfile.mkdtemp(prefix="igrag-run-"))
        snapshot = cfg.copy()
        snapshot.save(folder / "run.yaml")
        self.run_config_file = folder / "run.yaml"
        self.outcome, self.stopping = None, False
        self._show_past(cfg.output_path / "metrics.jsonl" if resume else None)
        self.outcome_panel.show_outcome(None)
        from ...core.experiments.child import child_argv
        from ...core.training.events import event_from_dict
        from ..child_runner import ChildRunner

        self.runner = ChildRunner(child_argv("train", self.run_config_file, resume=resume, max_steps=max_steps,
                                             scratch=scratch), "training", parse=event_from_dict, parent=self)
        self.runner.event_received.connect(self._on_event)
        self.runner.line_received.connect(self.live.append_log)
        self.runner.ended.connect(self._on_ended)
        self.runner.start()
        self.pages.setCurrentWidget(self.live)
        self.running_changed.emit(True)
        self._update_buttons([])
        self.status_message.emit("Resuming training…" if resume else "Training started")
        return True

    def _show_past(self, metrics: Path | None) -> None:
        """A resumed run continues the curve of the run it resumes (its metrics.jsonl); a new run
        starts from nothing."""
        if metrics is not None and metrics.is_file():
            try:
                self.live.load_metrics(metrics)
                return
            except OSError:
                pass
        self.live.clear()

    @Slot()
    def stop(self) -> None:
        if self.runner is not None:
            self.stopping = True
            self.runner.request_stop()
            self._update_buttons([])

    @Slot(object)
    def _on_event(self, event: Event) -> None:
        from ...core.training.events import Started

        self.live.on_event(event)
        if isinstance(event, Started):
            self.status_message.emit(f"Training: {event.max_steps} steps")

    @Slot(int, str)
    def _on_ended(self, code: int, tail: str) -> None:
        runner, self.runner, self.stopping = self.runner, None, False
        if runner is not None:
            runner.wait(5000)
            runner.deleteLater()
        from ...core.training.checkpoints import latest_checkpoint

        last = latest_checkpoint(self.config().output_path)
        self.outcome = outcome = self.live.end_run(code, tail, str(last) if last else None)
        self.outcome_panel.show_outcome(outcome, status_hex("error", self))
        if self.run_config_file is not None:  # the tab's own temporary folder
            shutil.rmtree(self.run_config_file.parent, ignore_errors=True)
            self.run_config_file = None
        self.running_changed.emit(False)
        self._validate()
        self._refresh_runs()
        if outcome.adapter:
            self.run_finished.emit(outcome.adapter)
        self.status_message.emit(outcome.text)

    def is_running(self) -> bool:
        return self.runner is not None

    def is_sweeping(self) -> bool:
        return self._sweep_page.is_built and self._sweep.is_running()

    def copy_command(self, launcher: str) -> str:
        text = train_command(self.config(), self.saved, launcher)
        QGuiApplication.clipboard().setText(text)
        self.status_message.emit(f"Copied: {text}")
        return text
