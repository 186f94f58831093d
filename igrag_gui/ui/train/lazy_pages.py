"""The Train tab's lower pages (Data, Runs, Compare, Sweep), each built the first time it is shown
so that the window paints before their imports; the tab reaches them through these properties."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QLabel, QListWidget, QPushButton, QTableWidget, QWidget

from .data_page import DataPage


class LazyPages:
    """Mixed into ``TrainTab``; uses its ``config``, ``settings``, ``form`` and window signals."""

    config: Any
    settings: Any
    form: Any
    _last_preview: Any
    inspect_adapter: Any
    try_adapter: Any
    status_message: Any
    _data_page: Any
    _runs_page: Any
    _compare_page: Any
    _sweep_page: Any

    def _build_data_page(self) -> QWidget:
        self._data = DataPage()
        self._data.import_requested.connect(self.open_import)
        if self._last_preview is not None:
            self._data.show_preview(self._last_preview)
        return self._data

    @Slot()
    def open_import(self) -> Any:
        """The Import data dialog; what it writes becomes data.train_path."""
        from ..data_import import ImportDialog

        dialog = ImportDialog(self.config(), self)
        dialog.imported.connect(lambda path: self.form.editor("data.train_path").setText(path))
        dialog.show()
        self.import_dialog = dialog
        return dialog

    def _run_folders(self) -> list:
        """Where the config's runs live (imported on first use: not needed for the first frame)."""
        from ...core.experiments.runs import config_run_folders

        return config_run_folders(self.config())

    def _build_runs_page(self) -> QWidget:
        from ..runs.runs_page import RunsPage

        self._runs = RunsPage(self._run_folders)
        return self._runs

    def _build_compare_page(self) -> QWidget:
        from ..runs.compare_page import ComparePage

        self._compare = ComparePage(self._run_folders, self.settings)
        self._compare.open_inspect.connect(self.inspect_adapter)
        self._compare.open_playground.connect(self.try_adapter)
        self._compare.status_message.connect(self.status_message)
        return self._compare

    def _build_sweep_page(self) -> QWidget:
        from ..sweep.sweep_page import SweepPage

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
        return self._data.preview_table

    @property
    def preview_label(self) -> QLabel:
        self._data_page.ensure_built()
        return self._data.preview_label

    @property
    def import_button(self) -> QPushButton:
        self._data_page.ensure_built()
        return self._data.import_button

    @property
    def runs_page(self) -> Any:
        """The Runs page (a ``RunsPage``), built on first use."""
        self._runs_page.ensure_built()
        return self._runs

    @property
    def runs_list(self) -> QListWidget:
        return self.runs_page.runs_list
