"""The main window: tabs, menus, status bar, settings, drag and drop, and a safe quit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QByteArray, QSettings, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QIcon, QKeySequence
from PySide6.QtWidgets import QApplication, QMainWindow, QTabWidget

from .. import __version__
from ..core.errors import UserError
from ..resources import resource_path
from .widgets.lazy_page import LazyPage
from .train import TrainTab
from .workers import hold_until_painted

MAX_RECENT = 8
YAML_FILTER = "YAML configs (*.yaml *.yml);;All files (*)"


def _version(dist: str) -> str:
    from importlib import metadata  # 0.13 s to import: only when About opens

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _adapter_base(folder: Path) -> str | None:
    """The ``base_model_name_or_path`` an adapter names, when that base exists here."""
    from ..core.files.bounded import json_loads

    try:
        base = json_loads((folder / "adapter_config.json").read_text(encoding="utf-8")).get("base_model_name_or_path")
    except (OSError, ValueError, AttributeError):
        return None
    if not isinstance(base, str) or not base:
        return None
    if Path(base).is_absolute() and not Path(base).exists():
        return None
    return base


class MainWindow(QMainWindow):
    def __init__(self, config_path: Path | None = None, settings: QSettings | None = None,
                 confirm_close: bool = True):
        """``confirm_close=False`` drops unsaved edits without asking (tests, screenshots,
        benchmarks: no modal dialog may block them); the app always asks."""
        super().__init__()
        self.settings = settings or QSettings()
        self.confirm_close = confirm_close
        self.quitting = False  # a quit waits for the training child to stop (closeEvent)
        if QApplication.windowIcon().isNull():  # the app's icon (open_window sets it) serves every window
            self.setWindowIcon(QIcon(str(resource_path("icon.svg"))))
        self.setAcceptDrops(True)
        hold_until_painted(self)  # the first frame before any worker imports torch
        self.train_tab = TrainTab(settings=self.settings)
        self.train_tab.status_message.connect(self.statusBar().showMessage)
        self.train_tab.modified_changed.connect(lambda _: self._update_title())
        self.train_tab.try_adapter.connect(self.try_in_playground)
        self.train_tab.inspect_adapter.connect(lambda path: self.inspect([Path(path)]))
        self.train_tab.run_finished.connect(self._remember_trained)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.train_tab, "Train")
        # Tabs other than Train are built when first shown (or used): a faster first frame.
        self._inspect_page = LazyPage(self._make_inspect_tab)
        self.tabs.addTab(self._inspect_page, "Inspect")
        self._playground_page = LazyPage(self._make_playground_tab)
        self.tabs.addTab(self._playground_page, "Playground")
        self.setCentralWidget(self.tabs)
        self._build_menus()
        self.resize(1280, 820)
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        self.train_tab.restore_state(self.settings)
        if config_path is not None:
            self.open_config(Path(config_path))
        self._update_title()

    # ------------------------------------------------------------------------------ lazy tabs
    @property
    def inspect_tab(self) -> Any:
        """The Inspect tab (an ``InspectTab``), built on first use (or when first shown)."""
        return self._inspect_page.content()

    @property
    def playground_tab(self) -> Any:
        """The Playground tab (a ``PlaygroundTab``), built on first use (or when first shown)."""
        return self._playground_page.content()

    def _make_inspect_tab(self) -> Any:
        from .inspect import InspectTab

        tab = InspectTab(self.settings)
        tab.status_message.connect(self.statusBar().showMessage)
        tab.restore_state(self.settings)
        tab.open_in_playground.connect(self.try_in_playground)
        tab.offer_playground()
        return tab

    def _make_playground_tab(self) -> Any:
        from .playground import PlaygroundTab

        tab = PlaygroundTab(self.settings)
        tab.status_message.connect(self.statusBar().showMessage)
        tab.merged.connect(self.train_tab.add_model_folder)
        val = self._train_validation_file()
        if val is not None:  # the data the user is working on, rather than the demo's
            tab.offer_examples(val)
        return tab

    def _train_validation_file(self) -> Path | None:
        cfg = self.train_tab.config()
        value = cfg.data.val_path
        if not isinstance(value, str) or not value.strip():
            return None
        path = cfg.resolve_path(value)
        return path if path.is_file() else None

    def try_in_playground(self, adapter: str | Path | None = None) -> None:
        """Show the Playground with ``adapter`` attached to its base model (the base it names, or
        the one in the Train tab's config), loading the base first if needed."""
        tab = self.playground_tab
        self.tabs.setCurrentWidget(self._playground_page)
        if not adapter:
            return
        tab.set_base_model(_adapter_base(Path(adapter)) or self.train_tab.config().model.base_model_path)
        tab.add_adapter(Path(adapter))

    # ------------------------------------------------------------------------------ menus
    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self._action(file_menu, "&Open config…", self.open_dialog, QKeySequence.Open)
        self.recent_menu = file_menu.addMenu("Open &recent")
        self._action(file_menu, "&Save", self.save, QKeySequence.Save)
        self._action(file_menu, "Save &as…", self.save_as, QKeySequence.SaveAs)
        self._action(file_menu, "Re&vert", self.revert)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.Quit)
        help_menu = self.menuBar().addMenu("&Help")
        self._action(help_menu, "&About igrag-gui", self.about)
        self._fill_recent()

    def _action(self, menu, text, slot, shortcut=None) -> QAction:
        action = menu.addAction(text)
        action.triggered.connect(lambda checked=False: slot())
        if shortcut is not None:
            action.setShortcut(shortcut)
        return action

    def recent_files(self) -> list[str]:
        value = self.settings.value("recent/files", [])
        return [value] if isinstance(value, str) else list(value or [])

    def _remember(self, path: Path) -> None:
        files = [str(path)] + [f for f in self.recent_files() if f != str(path)]
        self.settings.setValue("recent/files", files[:MAX_RECENT])
        self.settings.setValue("recent/last_config", str(path))
        self._fill_recent()

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for f in self.recent_files():
            self.recent_menu.addAction(f, lambda f=f: self.open_config(Path(f)))
        self.recent_menu.setEnabled(bool(self.recent_files()))

    # ------------------------------------------------------------------------------ files
    def open_config(self, path: Path) -> bool:
        if not self._may_discard():
            return False
        try:
            self.train_tab.load_file(path)
        except UserError as exc:
            from PySide6.QtWidgets import QMessageBox  # its enums are made on first use: not at start-up

            QMessageBox.warning(self, "Cannot open config", "\n".join(exc.lines))
            return False
        self._remember(path)
        self._update_title()
        return True

    def open_dialog(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        start = str(self.train_tab.config().base_dir)
        path, _ = QFileDialog.getOpenFileName(self, "Open config", start, YAML_FILTER)
        if path:
            self.open_config(Path(path))

    def save(self) -> bool:
        if self.train_tab.config().source is None:
            return self.save_as()
        return self._save_to(None)

    def save_as(self) -> bool:
        from PySide6.QtWidgets import QFileDialog

        start = str(self.train_tab.config().source or Path.cwd() / "run.yaml")
        path, _ = QFileDialog.getSaveFileName(self, "Save config as", start, YAML_FILTER)
        return bool(path) and self._save_to(Path(path))

    def _save_to(self, path: Path | None) -> bool:
        from PySide6.QtWidgets import QMessageBox

        try:
            saved = self.train_tab.save(path)
        except (UserError, OSError) as exc:
            QMessageBox.warning(self, "Cannot save config", str(exc))
            return False
        self._remember(saved)
        self._update_title()
        return True

    def revert(self) -> None:
        self.train_tab.revert()
        self._update_title()

    def _may_discard(self) -> bool:
        """Nothing lost: unsaved edits are saved, discarded or kept on the user's word
        (dropped without a word when the window was made with ``confirm_close=False``)."""
        if not self.train_tab.modified or not self.confirm_close:
            return True
        from PySide6.QtWidgets import QMessageBox

        answer = QMessageBox.question(self, "Unsaved changes", "The config has unsaved changes. Save them?",
                                      QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel)
        if answer == QMessageBox.Save:
            return self.save()
        return answer == QMessageBox.Discard

    def _update_title(self) -> None:
        source = self.train_tab.source()
        name = source.name if source else "untitled"
        # Qt shows "[*]" as "*" while the window is modified (macOS: the dot in the close button)
        self.setWindowTitle(f"{name}[*] — igrag-gui")
        self.setWindowModified(self.train_tab.modified)

    # ------------------------------------------------------------------------------ drag and drop
    def open_path(self, path: Path) -> None:
        """A YAML config opens in the Train tab; anything else goes to the inspector, which says
        what it expected if it is not an adapter."""
        path = Path(path)
        if path.suffix.lower() in (".yaml", ".yml"):
            self.open_config(path)
        else:
            self.inspect([path])

    def _remember_trained(self, adapter: str) -> None:
        """A run that just finished joins Inspect's Recent list (the tab need not be built)."""
        from .inspect.tab import remember_recent

        remember_recent(self.settings, adapter)

    def inspect(self, paths: list[Path]) -> None:
        self.tabs.setCurrentWidget(self._inspect_page)
        self.inspect_tab.open_paths(paths)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt naming
        urls = event.mimeData().urls()
        if urls and all(u.isLocalFile() for u in urls):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt naming
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if not paths:
            return
        event.acceptProposedAction()
        from ..core.adapters.files import looks_like_adapter

        configs = [p for p in paths if p.suffix.lower() in (".yaml", ".yml")]
        if configs and not any(looks_like_adapter(p) for p in paths):
            self.open_config(configs[0])
        else:
            self.inspect(paths)

    # ------------------------------------------------------------------------------ about, quit
    def about(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        versions = ", ".join(f"{name} {_version(name)}" for name in ("torch", "transformers", "peft"))
        QMessageBox.about(self, "About igrag-gui",
                          f"<b>igrag-gui {__version__}</b><p>LoRA fine-tuning of Hugging Face models with PEFT, "
                          f"for IGRAG captioning.</p><p>{versions}, Qt {pyside_version}</p>")

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt naming
        """Never blocks the GUI thread: quitting while training asks the child to stop, ignores this
        close and says "Stopping…"; the window closes itself when the child has ended."""
        from PySide6.QtWidgets import QMessageBox

        if self.quitting:
            event.ignore()  # already stopping; the window closes when the run ends
            return
        if self.train_tab.is_running():
            answer = QMessageBox.question(
                self, "Training is running",
                "Stop training (saving a resumable checkpoint) and quit?", QMessageBox.Yes | QMessageBox.No)
            if answer != QMessageBox.Yes:
                event.ignore()
                return
            if self.train_tab.is_running():  # it may have ended while the question was open
                self._quit_after(self.train_tab.running_changed, self.train_tab.stop, self.train_tab.kill_training,
                                 "Stopping… saving a resumable checkpoint, then quitting")
                event.ignore()
                return
        if self.train_tab.is_sweeping():
            answer = QMessageBox.question(
                self, "A sweep is running",
                "Stop the sweep (the current trial saves a checkpoint; Resume continues it) and quit?",
                QMessageBox.Yes | QMessageBox.No)
            if answer != QMessageBox.Yes:
                event.ignore()
                return
            if self.train_tab.is_sweeping():  # it may have ended while the question was open
                self._quit_after(self.train_tab.sweep_page.running_changed, self.train_tab.stop_sweep,
                                 self.train_tab.kill_sweep, "Stopping… the sweep's current trial saves a "
                                                            "checkpoint, then quitting")
                event.ignore()
                return
        if not self._may_discard():
            event.ignore()
            return
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.train_tab.save_state(self.settings)
        if self._inspect_page.is_built:
            self.inspect_tab.save_state(self.settings)
        event.accept()

    def _quit_after(self, running_changed: Any, stop: Any, kill: Any, message: str,
                    kill_after_ms: int = 120_000) -> None:
        """Ask a child to stop (a training run saves a checkpoint at the next step; a sweep after its
        trial does) and close when it has ended, the window painting meanwhile; a child that has not
        ended after ``kill_after_ms`` is killed (its last checkpoint stays)."""
        self.quitting = True
        self.statusBar().showMessage(message)
        self.setWindowTitle(f"Stopping… — {self.windowTitle()}")

        def close_when_stopped(running: bool) -> None:
            if not running:
                self.quitting = False
                running_changed.disconnect(close_when_stopped)
                self.close()

        running_changed.connect(close_when_stopped)
        stop()
        QTimer.singleShot(kill_after_ms, kill)

    def stop_training_and_wait(self, timeout_ms: int = 120_000) -> None:
        """Stop the child (it saves a checkpoint) and wait for it; kill it if it will not end."""
        if not self.train_tab.is_running():
            return
        self.statusBar().showMessage("Stopping training and saving a checkpoint…")
        self.train_tab.stop_training_and_wait(timeout_ms)
        QApplication.processEvents()


def render_screenshots(window: MainWindow, folder: Path) -> list[Path]:
    """Render every tab to ``folder/<tab>.png`` (docs/images/ comes from here)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        QApplication.processEvents()
        name = window.tabs.tabText(index).lower()
        path = folder / f"{name}.png"
        window.grab().save(str(path))
        written.append(path)
    window.tabs.setCurrentIndex(0)
    return written


def wait_then(ms: int, fn) -> None:
    QTimer.singleShot(ms, fn)
