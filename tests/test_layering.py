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
            "for m in pkgutil.walk_packages(c.__path__, 'igrag_gui.core.'): importlib.import_module(m.name)\n"
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


def test_every_ui_module_imports_without_torch_transformers_or_peft():
    """Each module under igrag_gui.ui (tabs, pages, widgets, built on first use or not) may import
    the heavy libraries only inside functions, after the first frame."""
    code = ("import sys, pkgutil, importlib, igrag_gui.ui as ui\n"
            "names = [m.name for m in pkgutil.walk_packages(ui.__path__, 'igrag_gui.ui.')]\n"
            "for name in names: importlib.import_module(name)\n"
            "bad = [m for m in ('torch', 'transformers', 'peft') if m in sys.modules]\n"
            "assert not bad, bad\n"
            "print(len(names))")
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) >= 20  # the walk found the tabs' packages, not just the top level


def test_the_layers_contract_is_declared():
    """app -> (ui | cli) -> core is checked by lint-imports, next to the two forbidden contracts."""
    import tomllib

    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    layers = [c["layers"] for c in contracts if c["type"] == "layers"]
    assert layers[0] == ["igrag_gui.app", "igrag_gui.ui | igrag_gui.cli", "igrag_gui.core"]
    inside = next(c for c in contracts if c.get("containers") == ["igrag_gui.core"])
    assert inside["layers"][0] == "experiments" and inside["layers"][-1].startswith("errors")
