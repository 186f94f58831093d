"""House rules: the core never imports Qt; the UI and the app import no torch at import time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_import_linter_contracts_hold():
    result = subprocess.run([str(Path(sys.executable).with_name("lint-imports"))], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_core_modules_import_without_qt():
    code = ("import sys, pkgutil, importlib, igrag_gui.core as c\n"
            "for m in pkgutil.iter_modules(c.__path__): importlib.import_module('igrag_gui.core.' + m.name)\n"
            "bad = [m for m in sys.modules if m.startswith(('PySide6', 'shiboken6', 'pyqtgraph'))]\n"
            "assert not bad, bad")
    result = run_python(code)
    assert result.returncode == 0, result.stderr


def test_window_modules_import_without_torch():
    code = ("import sys, igrag_gui.app, igrag_gui.ui.main_window, igrag_gui.core.config\n"
            "bad = [m for m in ('torch', 'transformers', 'peft') if m in sys.modules]\n"
            "assert not bad, bad")
    result = run_python(code)
    assert result.returncode == 0, result.stderr
