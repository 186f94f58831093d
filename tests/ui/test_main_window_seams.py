"""The window's public seams: ``confirm_close`` instead of patching a private method, and tabs
that keep their own state (``save_state``/``restore_state``) and take a base model by method."""

from __future__ import annotations

from PySide6.QtCore import QThreadPool, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from igrag_gui.resources import demo_config_path
from igrag_gui.ui.main_window import MainWindow


def _edit(window: MainWindow) -> None:
    window.train_tab.form.editor("training.output_dir").setText("elsewhere")
    assert window.train_tab.modified


def test_the_app_asks_before_dropping_unsaved_edits(qtbot, settings):
    window = MainWindow(demo_config_path(), settings=settings)
    qtbot.addWidget(window)
    window.show()
    _edit(window)
    asked: list[str] = []

    def answer_cancel() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        asked.append(box.text())
        box.button(QMessageBox.Cancel).click()

    QTimer.singleShot(100, answer_cancel)
    assert not window.close()
    assert asked == ["The config has unsaved changes. Save them?"]
    assert window.isVisible()
    window.confirm_close = False  # let the fixture's teardown close it
    QThreadPool.globalInstance().waitForDone(60_000)


def test_confirm_close_false_closes_without_a_dialog(qtbot, settings):
    window = MainWindow(demo_config_path(), settings=settings, confirm_close=False)
    qtbot.addWidget(window)
    window.show()
    _edit(window)
    assert window.close()  # a modal dialog would block here, and the test time out
    assert not window.isVisible()
    QThreadPool.globalInstance().waitForDone(60_000)


def test_splitters_come_back_through_the_tabs(qtbot, settings):
    window = MainWindow(demo_config_path(), settings=settings, confirm_close=False)
    qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show()
    window.train_tab.splitter.setSizes([300, 900])
    window.inspect_tab.splitter.setSizes([500, 700])
    train_sizes, inspect_sizes = window.train_tab.splitter.sizes(), window.inspect_tab.splitter.sizes()
    assert window.close()
    assert settings.value("train/splitter") is not None and settings.value("inspect/splitter") is not None

    again = MainWindow(demo_config_path(), settings=settings, confirm_close=False)
    qtbot.addWidget(again)
    again.resize(1200, 800)
    again.show()
    assert again.train_tab.splitter.sizes() == train_sizes
    assert again.inspect_tab.splitter.sizes() == inspect_sizes
    QThreadPool.globalInstance().waitForDone(60_000)


def test_set_base_model_fills_the_playground_picker_while_nothing_is_loaded(qtbot, settings):
    window = MainWindow(demo_config_path(), settings=settings, confirm_close=False)
    qtbot.addWidget(window)
    tab = window.playground_tab
    tab.set_base_model("some/model")
    assert tab.base_picker.text() == "some/model"
    QThreadPool.globalInstance().waitForDone(60_000)
