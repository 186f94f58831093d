"""The Train tab's "Memory and time estimate" box: will the run as edited fit, and how long will it
take (``core.training.estimate``, probed by an ``igrag estimate`` child through ``ops.run``).

The probe trains the real model for a few steps, so it waits until the user pauses editing
(``DELAY_MS`` after the last change that could move it) and a newer edit cancels the running one
(``ops.Latest``: its child is killed). It never runs while a run trains. ``IGRAG_AUTO_ESTIMATE=0``
leaves it to the Estimate button (a slow machine, the test suite).
"""

from __future__ import annotations

import json
import os
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from ...core.config import Problem, RunConfig

DELAY_MS = 1500
# fields that change neither memory nor time: editing them keeps the estimate
IGNORED = {("training", "output_dir"), ("training", "save_total_limit"), ("training", "seed"),
           ("training", "metric_for_best_model"), ("training", "early_stopping_patience")}


def automatic() -> bool:
    return os.environ.get("IGRAG_AUTO_ESTIMATE", "1").strip().lower() not in ("0", "false", "no", "off")


def _key(cfg: RunConfig) -> str:
    data = cfg.to_dict()
    for section, name in IGNORED:
        data.get(section, {}).pop(name, None)
    return json.dumps([str(cfg.base_dir), data], sort_keys=True, default=str)


class EstimateBox(QGroupBox):
    estimated = Signal(object)  # a core.training.estimate.Estimate, shown

    def __init__(self, running_changed: Any = None, parent: QWidget | None = None, delay_ms: int = DELAY_MS):
        """``running_changed``: the tab's signal (bool); a run starting holds the probe."""
        super().__init__("Memory and time estimate", parent)
        self.result: Any = None  # the last Estimate shown
        self.failure: str | None = None
        self._cfg: RunConfig | None = None
        self._key: str | None = None
        self._task: Any = None
        self.verdict_label = QLabel("—")
        font = self.verdict_label.font()
        font.setBold(True)
        self.verdict_label.setFont(font)
        self.verdict_label.setWordWrap(True)
        self.detail_label = QLabel("Estimated from a short probe run once you pause editing.")
        self.detail_label.setWordWrap(True)
        self.estimate_button = QPushButton("Estimate")
        self.estimate_button.setToolTip("Probe a few training steps now (igrag estimate CONFIG)")
        self.estimate_button.clicked.connect(self.start_now)
        top = QHBoxLayout()
        top.addWidget(self.verdict_label, 1)
        top.addWidget(self.estimate_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.detail_label)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self._timer = QTimer(self, singleShot=True, interval=delay_ms, timeout=self.start_now)
        if running_changed is not None:
            running_changed.connect(lambda running: running and self.hold())

    def request(self, cfg: RunConfig, problems: list[Problem] = (), running: bool = False) -> None:
        """The config as edited now and its problems (an error blocks the probe); none while ``running``."""
        if running:
            return
        errors = [p for p in problems if p.severity == "error"]
        blocked = f"Fix {errors[0].field} to see the estimate." if errors else None
        if blocked:
            self.cancel()
            self._cfg, self._key = None, None
            self._note(blocked)
            return
        key = _key(cfg)
        if key == self._key:
            return  # nothing that moves the estimate changed
        self._cfg, self._key = cfg.copy(), key
        self.cancel()
        if automatic():
            self._note("Estimating once you pause editing…")
            self._timer.start()
        else:
            self._note("Press Estimate to probe a few training steps.")

    def hold(self) -> None:
        """A run is starting: no probe beside it (the next edit or Estimate starts one again)."""
        self.cancel()
        self._key = None

    def cancel(self) -> None:
        self._timer.stop()
        if self._task is not None:
            self._task.cancel()

    def busy(self) -> bool:
        return self._timer.isActive() or (self._task is not None and self._task.running())

    def start_now(self) -> None:
        if self._cfg is None:
            return
        from .. import ops

        self._timer.stop()
        self._task = self._task or ops.Latest(self)
        self._task.start(self._run(self._cfg.copy()))

    async def _run(self, cfg: RunConfig) -> None:
        from ...core.experiments.estimate_child import estimate_in_child
        from .. import ops

        self._note("Probing a few training steps…")
        try:  # a child process: its peak memory is the probe's alone (ml=False: no torch here)
            result = await ops.run(estimate_in_child, cfg, state=ops.TaskState(), ml=False)
        except ops.TaskFailed as exc:
            self.show_failure(exc.message)
            return
        self.show_estimate(result)

    def _note(self, text: str) -> None:
        self.detail_label.setStyleSheet("")
        self.detail_label.setText(text)

    def show_failure(self, message: str) -> None:
        from ..theme import status_hex

        self.result, self.failure = None, message
        self.verdict_label.setText("—")
        self.detail_label.setText(f"Could not estimate: {message}")
        self.detail_label.setStyleSheet(f"color: {status_hex('error', self)};")

    def show_estimate(self, result: Any) -> None:
        from ...core.training.estimate import summary
        from ..theme import status_hex

        self.result, self.failure = result, None
        lines = summary(result)
        colour = {"fits": "ok", "tight": "warning", "exceeds": "error"}.get(result.verdict, "ok")
        self.verdict_label.setText(lines[0])
        self.verdict_label.setStyleSheet(f"color: {status_hex(colour, self)};")
        self.detail_label.setStyleSheet("")
        self.detail_label.setText("\n".join(lines[1:] + [f"note: {n}" for n in result.notes]))
        self.setToolTip(f"Peak memory: {result.memory_kind}; probed {result.probe_steps} steps, the first on the "
                        f"longest batch ({result.worst_batch['source_tokens']} + {result.worst_batch['target_tokens']} "
                        f"tokens).")
        self.estimated.emit(result)
