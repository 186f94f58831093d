"""The main window. For now: the loaded config and the command that trains it; the Train,
Inspect and Playground tabs come with their own issues."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QMainWindow, QPlainTextEdit, QTabWidget, QVBoxLayout, QWidget

from ..core.config import format_problem, load_config
from ..core.errors import UserError


class MainWindow(QMainWindow):
    """Shows one run config: its problems (if any), its YAML and the equivalent CLI line."""

    def __init__(self, config_path: Path):
        super().__init__()
        self.setWindowTitle(f"igrag-gui — {config_path.name}")
        self.resize(900, 640)
        self.config_path = config_path
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.yaml_view = QPlainTextEdit(readOnly=True)
        self.yaml_view.setFont(QFont("monospace"))
        train = QWidget()
        layout = QVBoxLayout(train)
        layout.addWidget(self.status_label)
        layout.addWidget(self.yaml_view)
        tabs = QTabWidget()
        tabs.addTab(train, "Train")
        self.setCentralWidget(tabs)
        self.load(config_path)

    def load(self, path: Path) -> None:
        try:
            cfg, warnings = load_config(path)
        except UserError as exc:
            self.status_label.setText("\n".join(exc.lines))
            self.yaml_view.clear()
            return
        problems = [format_problem(cfg, p) for p in cfg.validate()]
        lines = problems + warnings
        head = (f"Loaded {path}. Ready to train: igrag train {path}" if not problems
                else "This config has problems:")
        self.status_label.setText("\n".join([head, *lines]))
        self.yaml_view.setPlainText(cfg.to_yaml())
        self.statusBar().showMessage(f"{path}")
