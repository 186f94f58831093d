"""The Sweep page: tick the fields to vary, give values (``4, 8, 16``) or a range
(``1e-4 .. 3e-3 log``), choose sampler, trials and metric, Start. The sweep runs as an
``igrag sweep`` child; its events fill the queue, the running trial's curve and the ranking.

The page writes the sweep file (and a snapshot of the form's config) into a new folder beside the
config's output_dir, and judges it with the CLI's own ``load_sweep`` before anything starts.
"""

from __future__ import annotations

import csv
import shutil
import time
from pathlib import Path
from typing import Any, Callable

import yaml
from PySide6.QtCore import QSettings, Qt, Signal, Slot
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QLabel, QPushButton,
                               QSpinBox, QSplitter, QTableWidget, QTableWidgetItem, QTabWidget, QVBoxLayout,
                               QWidget)

from ...core.files.bounded import yaml_load
from ...core.config import RunConfig
from ...core.errors import UserError, error_lines
from ...core.experiments.sweep_spec import SAMPLERS, computed_metrics, load_sweep
from ...core.experiments.tables import cell

# the fields offered first (any other field can be typed into the last row)
FIELDS = ["lora.r", "lora.lora_alpha", "lora.dropout", "training.learning_rate", "training.train_batch_size",
          "training.warmup_steps", "training.weight_decay", "method"]
LAST_KEY = "sweep/last"


def _scalar(text: str) -> Any:
    """``3e-3`` is a number here (YAML 1.1 would read it as text), ``true`` a bool, ``q`` text."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return yaml_load(text, f"the value '{text[:40]}'")


def parse_values(text: str) -> Any:
    """``4, 8, 16`` -> a list; ``1e-4 .. 3e-3 log`` -> a range mapping (the sweep file's forms)."""
    text = text.strip()
    if ".." in text:
        low, _, rest = text.partition("..")
        words = rest.split()
        body: dict[str, Any] = {"low": _scalar(low.strip()), "high": _scalar(words[0]) if words else None}
        if "log" in words[1:]:
            body["log"] = True
        return body
    return [_scalar(v.strip()) for v in text.split(",") if v.strip()]


class SweepPage(QWidget):
    open_inspect = Signal(str)
    open_playground = Signal(str)
    status_message = Signal(str)
    running_changed = Signal(bool)  # a sweep child started (True) or ended (False)

    def __init__(self, config: Callable[[], RunConfig], settings: QSettings | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self._config = config
        self.settings = settings or QSettings()
        self.runner: Any = None
        self.sweep_file: Path | None = None
        self.rows: dict[int, int] = {}
        self.best_run: str | None = None
        self._build()
        last = self.settings.value(LAST_KEY)
        if last and Path(str(last)).is_file():
            self.sweep_file = Path(str(last))
            self._show_csv()
        self._update_buttons()

    # ------------------------------------------------------------------------------ building
    def _build(self) -> None:
        import pyqtgraph as pg

        from ..widgets.themed_plot import ThemedPlot

        self.space_table = QTableWidget(len(FIELDS) + 1, 2)
        self.space_table.setHorizontalHeaderLabels(["field (tick to vary)", "values: 4, 8, 16  or  1e-4 .. 3e-3 log"])
        for row, name in enumerate(FIELDS + [""]):
            item = QTableWidgetItem(name)
            item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
            item.setCheckState(Qt.Unchecked)
            self.space_table.setItem(row, 0, item)
            self.space_table.setItem(row, 1, QTableWidgetItem(""))
        self.space_table.horizontalHeader().setStretchLastSection(True)
        self.space_table.resizeColumnToContents(0)

        self.sampler_box = QComboBox()
        self.sampler_box.addItems(["tpe", "random", "grid"])
        assert set(SAMPLERS) == {self.sampler_box.itemText(i) for i in range(3)}
        self.trials_box = QSpinBox(minimum=1, maximum=10_000, value=8)
        self.metric_box = QComboBox()
        self.fill_metrics()
        form = QHBoxLayout()  # one row: the height goes to the table of fields
        for label, box in (("Sampler", self.sampler_box), ("Trials", self.trials_box), ("Metric", self.metric_box)):
            form.addWidget(QLabel(label))
            form.addWidget(box, 1)

        self.start_button = QPushButton("Start sweep")
        self.start_button.clicked.connect(lambda: self.start())
        self.stop_button = QPushButton("Stop")
        self.stop_button.clicked.connect(self.stop)
        self.resume_button = QPushButton("Resume")
        self.resume_button.clicked.connect(lambda: self.start(resume=True))
        self.inspect_button = QPushButton("Open best in Inspect")
        self.inspect_button.clicked.connect(lambda: self.best_run and self.open_inspect.emit(self.best_run))
        self.playground_button = QPushButton("Try best in Playground")
        self.playground_button.clicked.connect(lambda: self.best_run and self.open_playground.emit(self.best_run))
        buttons = QHBoxLayout()
        for b in (self.start_button, self.stop_button, self.resume_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        for b in (self.inspect_button, self.playground_button):
            buttons.addWidget(b)
        self.problems_label = QLabel()
        self.problems_label.setWordWrap(True)
        self.problems_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.where_label = QLabel()
        self.where_label.setWordWrap(True)

        self.queue_table = QTableWidget(0, 5)
        self.queue_table.setHorizontalHeaderLabels(["trial", "state", "value", "parameters", "run / reason"])
        self.queue_table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.queue_table.horizontalHeader().setStretchLastSection(True)
        self.queue_table.setSortingEnabled(False)
        self.curve = ThemedPlot()
        self.curve.setLabel("left", "training loss (running trial)")
        self.curve.setLabel("bottom", "step")
        self._loss_line = self.curve.plot([], [], pen=pg.mkPen(self.curve.line_color(), width=2))
        self._loss: tuple[list[float], list[float]] = ([], [])

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.space_table, 1)
        top_layout.addLayout(form)
        top_layout.addLayout(buttons)
        top_layout.addWidget(self.problems_label)
        top_layout.addWidget(self.where_label)
        from .analysis_view import SweepAnalysis

        self.analysis = SweepAnalysis()  # Optuna's analyses of the study (sweep_report), drawn when it is shown
        self._analysis_task: Any = None
        self.views = QTabWidget()
        self.views.addTab(self.curve, "Running trial")
        self.views.addTab(self.analysis, "Analysis")
        bottom = QSplitter(Qt.Horizontal)
        bottom.addWidget(self.queue_table)
        bottom.addWidget(self.views)
        bottom.setSizes([520, 300])
        split = QSplitter(Qt.Vertical)
        split.addWidget(top)
        split.addWidget(bottom)
        split.setCollapsible(0, False)
        split.setStretchFactor(0, 3)  # the fields to vary get the larger share as the window grows
        split.setStretchFactor(1, 2)
        split.setSizes([300, 200])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)

    def fill_metrics(self) -> None:
        names = computed_metrics(self._config()) or ["loss"]
        current = self.metric_box.currentText()
        self.metric_box.clear()
        self.metric_box.addItems(names)
        if current in names:
            self.metric_box.setCurrentText(current)
        elif len(names) > 1:
            self.metric_box.setCurrentIndex(1)  # a caption metric rather than the loss

    def set_field(self, name: str, values: str) -> None:
        """Tick ``name`` with ``values`` (the last, free row takes a field not listed)."""
        row = FIELDS.index(name) if name in FIELDS else len(FIELDS)
        self.space_table.item(row, 0).setText(name)
        self.space_table.item(row, 0).setCheckState(Qt.Checked)
        self.space_table.item(row, 1).setText(values)

    def space(self) -> dict[str, Any]:
        space = {}
        for row in range(self.space_table.rowCount()):
            name = self.space_table.item(row, 0)
            if name is None or name.checkState() != Qt.Checked or not name.text().strip():
                continue
            text = self.space_table.item(row, 1).text() if self.space_table.item(row, 1) else ""
            try:
                space[name.text().strip()] = parse_values(text)
            except (yaml.YAMLError, UserError):
                space[name.text().strip()] = text
        return space

    # ------------------------------------------------------------------------------ running
    def is_running(self) -> bool:
        return self.runner is not None

    def _update_buttons(self) -> None:
        running = self.is_running()
        self.start_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        self.resume_button.setEnabled(not running and self.sweep_file is not None)
        self.inspect_button.setEnabled(self.best_run is not None)
        self.playground_button.setEnabled(self.best_run is not None)
        if self.sweep_file is not None:
            self.where_label.setText(f"Sweep: {self.sweep_file}")

    def write_sweep(self) -> Path | None:
        """Write the config snapshot and the sweep file into a new folder and judge them; on
        problems show them, remove the folder, and return None."""
        cfg = self._config()
        folder = cfg.output_path.parent / time.strftime("sweep-%Y%m%d-%H%M%S")
        folder.mkdir(parents=True, exist_ok=False)
        cfg.rebased(folder).save(folder / "base.yaml")
        doc = {"config": "base.yaml", "space": self.space(), "sampler": self.sampler_box.currentText(),
               "trials": self.trials_box.value(), "metric": self.metric_box.currentText(), "folder": "."}
        path = folder / "sweep.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        try:
            load_sweep(path)
        except UserError as exc:
            shutil.rmtree(folder, ignore_errors=True)
            self.problems_label.setText("\n".join(line.replace(str(path) + ": ", "") for line in exc.lines))
            return None
        self.problems_label.clear()
        return path

    def start(self, resume: bool = False) -> bool:
        if self.is_running():
            return False
        path = self.sweep_file if resume else self.write_sweep()
        if path is None:
            return False
        from ...core.experiments.child import child_argv
        from ..child_runner import ChildRunner

        self.sweep_file = path
        self.settings.setValue(LAST_KEY, str(path))
        if not resume:
            self.queue_table.setRowCount(0)
            self.rows = {}
            self.best_run = None
        self.runner = ChildRunner(child_argv("sweep", path, resume=resume), "sweep", parent=self)
        self.runner.event_received.connect(self._on_event)
        self.runner.ended.connect(self._on_ended)
        self.runner.start()
        self.running_changed.emit(True)
        self._update_buttons()
        self.status_message.emit("Sweep resumed" if resume else "Sweep started")
        return True

    @Slot()
    def stop(self) -> None:
        if self.runner is not None:
            self.runner.request_stop()
            self.stop_button.setEnabled(False)
            self.status_message.emit("Stopping the sweep after the current trial saves a checkpoint…")

    def kill(self) -> None:
        """End a sweep child that did not stop when asked (its trials' checkpoints stay)."""
        if self.runner is not None:
            self.runner.kill()

    def _row(self, number: int) -> int:
        if number not in self.rows:
            self.rows[number] = self.queue_table.rowCount()
            self.queue_table.insertRow(self.rows[number])
        return self.rows[number]

    def _set_row(self, number: int, state: str, value: Any, params: Any, where: str) -> None:
        row = self._row(number)
        for col, text in enumerate([str(number), state, cell(value), params, where]):
            if text is None:
                continue
            self.queue_table.setItem(row, col, QTableWidgetItem(text if isinstance(text, str) else cell(text)))

    @Slot(dict)
    def _on_event(self, event: dict) -> None:
        kind = event.get("event")
        if kind == "trial_started":
            params = ", ".join(f"{k}={cell(v)}" for k, v in event["params"].items())
            self._set_row(event["number"], "running", None, params, event["run"])
            self._loss = ([], [])
            self._loss_line.setData([], [])
        elif kind == "trial_progress" and event["data"].get("event") == "log":
            self._loss[0].append(float(event["data"]["step"]))
            self._loss[1].append(float(event["data"]["loss"]))
            self._loss_line.setData(*self._loss)
        elif kind == "trial_report":
            self._set_row(event["number"], "running", event["value"], None, None)
        elif kind == "trial_ended":
            self._set_row(event["number"], event["state"], event["value"], None,
                          event["reason"] or event["run"])
        elif kind == "sweep_finished":
            self.best_run = event.get("best_run")

    @Slot(int, str)
    def _on_ended(self, code: int, tail: str) -> None:
        runner, self.runner = self.runner, None
        if runner is not None:
            runner.wait(5000)
            runner.deleteLater()
        if code != 0:
            why = error_lines(tail.splitlines()) or tail.splitlines()[-5:]
            self.problems_label.setText("\n".join(why) or f"The sweep process exited with code {code}.")
        self._show_csv()
        self._update_buttons()
        self.running_changed.emit(False)
        self.status_message.emit("Sweep finished" if code == 0 else "Sweep ended with an error")

    def ranking(self) -> list[dict[str, str]]:
        """The sweep's ranked table (its sweep.csv), best first."""
        if self.sweep_file is None:
            return []
        path = self.sweep_file.parent / "sweep.csv"
        if not path.is_file():
            return []
        with path.open(encoding="utf-8") as fh:
            return list(csv.DictReader(fh))

    def refresh_analysis(self) -> None:
        """Read the study's analyses in the background (``igrag sweep --report``'s data) and draw them."""
        if self.sweep_file is None:
            return
        from .. import ops

        self._analysis_task = self._analysis_task or ops.Latest(self)
        self.analysis.show_note("Reading the sweep's study…")
        self._analysis_task.start(self._read_analysis(self.sweep_file))

    async def _read_analysis(self, path: Path) -> None:
        from ...core.experiments.sweep_report import report_of
        from .. import ops

        try:
            data = await ops.run(report_of, path, ml=False)  # Optuna and SQLite only: no torch
        except ops.TaskFailed as exc:
            self.analysis.show_note(exc.message)
            return
        self.analysis.show_report(data)

    def analysis_busy(self) -> bool:
        return self._analysis_task is not None and self._analysis_task.running()

    def _show_csv(self) -> None:
        """Show the ranking (sweep.csv) in the queue table, best first, and the study's analyses."""
        self.refresh_analysis()
        rows = self.ranking()
        if not rows:
            return
        self.queue_table.setRowCount(0)
        self.rows = {}
        skip = {"rank", "trial", "state", "value", "run", "reason", "std", "n"}
        for r in rows:
            params = ", ".join(f"{k}={v}" for k, v in r.items() if k not in skip)
            if r.get("std"):  # a setting repeated over seeds (seeds:): its value is their mean
                params += f"; mean of {r['n']} seeds, std {float(r['std']):.4g}"
            self._set_row(int(r["trial"]), r["state"], float(r["value"]) if r["value"] else None, params,
                          r["reason"] or r["run"])
        best = next((r for r in rows if r["state"] == "complete"), None)
        self.best_run = best["run"] if best else None
