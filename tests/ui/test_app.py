"""The desktop entry point: opens the demo config; without a display, says what to run instead."""

from __future__ import annotations

import compileall
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from igrag_gui.resources import demo_config_path
from igrag_gui.ui import ops

ROOT = Path(__file__).resolve().parents[2]


def test_window_opens_with_the_demo_config(qtbot, settings):
    from igrag_gui.ui.main_window import MainWindow

    window = MainWindow(demo_config_path(), settings=settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.windowTitle() == "demo.yaml[*] — igrag-gui" and not window.isWindowModified()
    assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == ["Train", "Inspect", "Playground"]
    assert window.train_tab.reason_label.text() == "Ready to train."
    assert window.train_tab.start_button.isEnabled()
    ops.wait_idle(60)


def test_without_a_display_it_names_the_headless_command():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = subprocess.run([sys.executable, "-c", "import sys; from igrag_gui.app import main; sys.exit(main([]))"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip() == ("igrag-gui: no display found ($DISPLAY and $WAYLAND_DISPLAY are unset), "
                                     "so the window cannot open; train headless instead with: "
                                     "igrag train configs/demo.yaml")


def test_the_window_is_built_without_torch_pyqtgraph_or_numpy(tmp_path):
    """What makes the first frame fast: heavy imports wait for it (benchmarks/startup.py)."""
    code = ("import sys\n"
            "from PySide6.QtCore import QSettings\n"
            "from PySide6.QtWidgets import QApplication\n"
            "app = QApplication([])\n"
            "from igrag_gui.resources import demo_config_path\n"
            "from igrag_gui.ui.main_window import MainWindow\n"
            f"w = MainWindow(demo_config_path(), settings=QSettings({str(tmp_path / 's.ini')!r}, QSettings.IniFormat))\n"
            "print(sorted(m for m in ('torch', 'transformers', 'peft', 'pyqtgraph', 'numpy') if m in sys.modules))\n"
            "import os; os._exit(0)\n")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_background_work_and_plots_start_after_the_first_frame(qtbot, settings):
    from igrag_gui.ui.main_window import MainWindow

    window = MainWindow(demo_config_path(), settings=settings)
    qtbot.addWidget(window)
    assert window.train_tab.live.plots is None
    assert ops.wait_idle(0)  # nothing was submitted: counting waits for the frame
    window.show()
    qtbot.waitUntil(lambda: window.train_tab.live.plots is not None, timeout=10_000)
    qtbot.waitUntil(lambda: "/" in window.train_tab.stats_label.text(), timeout=120_000)
    ops.wait_idle(60)


def test_a_fresh_window_gets_its_counts_while_other_tasks_import_transformers(tmp_path):
    """Regression: model reading, counting and the data preview start together after the first
    frame; importing transformers from two threads at once failed with "cannot import name
    'AutoModel'". A fresh process is the only place where the imports really race."""
    code = ("import os, sys\n"
            "from PySide6.QtCore import QSettings, QTimer\n"
            "from PySide6.QtWidgets import QApplication\n"
            "app = QApplication([])\n"
            "from igrag_gui.resources import demo_config_path\n"
            "from igrag_gui.ui.main_window import MainWindow\n"
            f"w = MainWindow(demo_config_path(), settings=QSettings({str(tmp_path / 's.ini')!r}, QSettings.IniFormat))\n"
            "w.show()\n"
            "tab = w.train_tab\n"
            "def check():\n"
            "    if '/' in tab.stats_label.text() and 'examples' in tab.preview_label.text():\n"
            "        print('OK', tab.stats_label.text()); os._exit(0)\n"
            "    if 'error' in tab.stats_detail.text():\n"
            "        print('FAILED', tab.stats_detail.text()); os._exit(1)\n"
            "timer = QTimer(); timer.timeout.connect(check); timer.start(50)\n"
            "QTimer.singleShot(240_000, lambda: (print('TIMEOUT', tab.stats_detail.text()), os._exit(1)))\n"
            "app.exec()\n")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "IGRAG_LOG_DIR": str(tmp_path / "logs")}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1].startswith("OK 237,568 / 1,533,696")


def _install_like_a_wheel(site: Path) -> Path:
    """The layout pip gives a wheel: the package with its bytecode compiled at install time and the
    shipped files in ``igrag_gui/_data`` (no pyproject.toml anywhere: not a checkout)."""
    package = site / "igrag_gui"
    shutil.copytree(ROOT / "igrag_gui", package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "resources", package / "_data" / "resources")
    shutil.copytree(ROOT / "configs", package / "_data" / "configs")
    compileall.compile_dir(package, quiet=1)
    return package


def _tree(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}


def _user_env(home: Path, site: Path | None = None) -> dict[str, str]:
    """A fresh user: only HOME says where their folders are."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("XDG_", "IGRAG_")) and k not in ("PYTHONPATH", "HF_HOME")}
    env.update(HOME=str(home), QT_QPA_PLATFORM="offscreen")
    if site is not None:
        env["PYTHONPATH"] = str(site)
    return env


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="checks Linux's XDG data folder")
def test_self_test_of_an_installed_app_trains_the_config_a_double_click_opens(tmp_path):
    """Started in the read-only installation's own folder, the self-test opens the user's copy of
    the demo, trains it unchanged into the user's data folder, and writes nothing in the install."""
    site, home = tmp_path / "site", tmp_path / "home"
    _install_like_a_wheel(site)
    before = _tree(site)
    result = subprocess.run([sys.executable, "-m", "igrag_gui.app", "--self-test"], cwd=site,
                            env=_user_env(home, site), capture_output=True, text=True, timeout=600)
    lines = [line for line in result.stdout.splitlines() if line.startswith("self-test:")]
    assert result.returncode == 0, result.stdout + result.stderr
    data = home / ".local" / "share" / "igrag-gui"
    run = data / "runs" / "demo"
    assert lines[0] == (f"self-test: status bar: Opened your copy of the demo config: {data / 'demo.yaml'}; "
                        f"its runs go to {run}")
    assert [line.split(" (")[0] for line in lines[1:-1]] == [
        "self-test: ok the config as opened", "self-test: ok parameter counts",
        "self-test: ok training from the Train tab", "self-test: ok inspect the adapter",
        "self-test: ok generate with base and adapter"]
    assert lines[1].endswith(f"{data / 'demo.yaml'} validates; Start is enabled; output folder {run} is writable")
    assert f"trained into {run} (" in lines[3]
    assert lines[-1] == "self-test: all checks passed"
    assert (run / "adapter_model.safetensors").is_file()
    assert _tree(site) == before, "the self-test wrote into the installation"


def test_self_test_stops_at_a_config_whose_output_folder_cannot_be_written(tmp_path):
    (tmp_path / "a-file").write_text("")
    config = tmp_path / "run.yaml"
    config.write_text((ROOT / "configs" / "demo.yaml").read_text(encoding="utf-8").replace(
        "../resources", str(ROOT / "resources")).replace("../runs/demo", str(tmp_path / "a-file" / "run")))
    result = subprocess.run([sys.executable, "-m", "igrag_gui.app", "--self-test", str(config)], cwd=tmp_path,
                            env=_user_env(tmp_path / "home"), capture_output=True, text=True, timeout=300)
    # The config is checked before any window opens: exit 2 and one line naming the field and why.
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        f"self-test: FAILED the config as opened: {config}:13: training.output_dir: cannot write to "
        f"'{tmp_path / 'a-file'}' (permission denied); choose a folder you can write to"]


def test_no_arguments_are_what_the_parser_gives_for_none():
    """A double-click launch skips argparse; what it uses instead must not drift from the parser."""
    from igrag_gui.app import build_parser, no_arguments

    assert vars(build_parser().parse_args([])) == vars(no_arguments())
