"""What the main window asks of the Train tab: its file, its layout, a model folder made
elsewhere, and stopping its children before the app quits (instead of reaching into its widgets)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, Slot


class WindowSeams:
    """Mixed into ``TrainTab``; uses its ``form``, ``splitter``, ``runner`` and sweep page."""

    form: Any
    splitter: Any
    runner: Any
    _sweep_page: Any
    sweep_page: Any

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

    def kill_training(self) -> None:
        """End a child that did not stop when asked (its last checkpoint stays)."""
        if self.runner is not None:
            self.runner.kill()

    def stop_sweep(self) -> None:
        """Ask the sweep to stop after its current trial saves a checkpoint (returns at once)."""
        if self._sweep_page.is_built:
            self.sweep_page.stop()

    def kill_sweep(self) -> None:
        if self._sweep_page.is_built:
            self.sweep_page.kill()
