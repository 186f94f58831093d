"""Light and dark palettes: forcing a scheme works even where the platform cannot switch, and
the form's status colours follow the palette."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from igrag_gui.resources import demo_config_path
from igrag_gui.ui import theme


@pytest.fixture
def restore_palette(qapp):
    style, palette = qapp.style().name(), qapp.palette()
    yield qapp
    qapp.setStyle(style)
    qapp.setPalette(palette)


def test_forcing_dark_then_light(restore_palette):
    app = restore_palette
    theme.apply_color_scheme(app, "dark")
    assert theme.is_dark()
    assert theme.status_hex("error") == "#ff7b72"
    theme.apply_color_scheme(app, "light")
    assert not theme.is_dark()
    assert theme.status_hex("error") == "#c62828"


def test_the_form_restyles_when_the_palette_turns_dark(qtbot, restore_palette, settings):
    from PySide6.QtCore import QThreadPool

    from igrag_gui.ui.main_window import MainWindow

    window = MainWindow(demo_config_path(), settings=settings, confirm_close=False)
    qtbot.addWidget(window)
    window.show()
    form = window.train_tab.form
    field = form.editor("data.train_path")
    field.line_edit.clear()
    qtbot.keyClicks(field.line_edit, "missing.jsonl")  # an error: the label and the message turn red
    label, message = form.row_label("data.train_path"), form.message_label("data.train_path")
    qtbot.waitUntil(lambda: message.isVisible())
    assert field.property("problem") == "error"
    assert label.palette().color(QPalette.ColorRole.WindowText).name() == "#c62828"
    assert message.palette().color(QPalette.ColorRole.WindowText).name() == "#c62828"
    assert "#c62828" in form.summary_label.styleSheet()
    theme.apply_color_scheme(QApplication.instance(), "dark")
    qtbot.waitUntil(lambda: label.palette().color(QPalette.ColorRole.WindowText).name() == "#ff7b72", timeout=3000)
    assert message.palette().color(QPalette.ColorRole.WindowText).name() == "#ff7b72"
    assert "#ff7b72" in form.summary_label.styleSheet()
    # an unmarked label follows the dark palette's own text colour
    other = form.row_label("lora.lora_alpha")
    assert other.palette().color(QPalette.ColorRole.WindowText) == \
        QApplication.instance().palette().color(QPalette.ColorRole.WindowText)
    # a fixed field gives its colour back to the palette
    field.line_edit.setText("../resources/demo/data/train.jsonl")
    qtbot.waitUntil(lambda: not message.isVisible())
    assert label.palette().color(QPalette.ColorRole.WindowText) == \
        QApplication.instance().palette().color(QPalette.ColorRole.WindowText)
    QThreadPool.globalInstance().waitForDone(60_000)
