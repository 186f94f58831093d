"""The desktop entry point: opens the demo config; without a display, says what to run instead."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from igrag_gui.resources import demo_config_path

ROOT = Path(__file__).resolve().parents[2]


def test_window_opens_with_the_demo_config(qtbot, settings):
    from PySide6.QtCore import QThreadPool

    from igrag_gui.ui.main_window import MainWindow

    window = MainWindow(demo_config_path(), settings=settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.windowTitle() == "demo.yaml — igrag-gui"
    assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == ["Train", "Inspect", "Playground"]
    assert window.train_tab.reason_label.text() == "Ready to train."
    assert window.train_tab.start_button.isEnabled()
    QThreadPool.globalInstance().waitForDone(60_000)


def test_without_a_display_it_names_the_headless_command():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = subprocess.run([sys.executable, "-c", "import sys; from igrag_gui.app import main; sys.exit(main([]))"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip() == ("igrag-gui: no display found ($DISPLAY and $WAYLAND_DISPLAY are unset), "
                                     "so the window cannot open; train headless instead with: "
                                     "igrag train configs/demo.yaml")
