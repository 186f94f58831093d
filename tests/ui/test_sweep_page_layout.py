"""The Sweep page at a laptop's window size: the fields to vary are readable without scrolling a
two-row strip, and making room for them does not make the window taller than it was."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication


def test_the_field_table_shows_several_rows_at_1280_by_800(window, qtbot):
    tab = window.train_tab
    page = tab.sweep_page
    tab.pages.setCurrentIndex([tab.pages.tabText(i) for i in range(tab.pages.count())].index("Sweep"))
    window.resize(1280, 800)
    qtbot.waitUntil(lambda: page.space_table.isVisible())
    QApplication.processEvents()
    table = page.space_table
    rows_in_view = table.viewport().height() // table.verticalHeader().defaultSectionSize()
    assert rows_in_view >= 4, rows_in_view  # two before the sampler row and the split's shares
    assert window.minimumSizeHint().height() <= 800
