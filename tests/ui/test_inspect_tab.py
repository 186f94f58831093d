"""The Inspect tab, with real adapters saved by PEFT: drop, verdict, tensors, heatmap, compare,
bad input, and the window routing dropped adapters (and ``igrag-gui PATH``) to it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QGuiApplication

from igrag_gui.resources import demo_config_path
from igrag_gui.ui.inspect import EXPECTED, InspectTab
from igrag_gui.ui.main_window import MainWindow
from igrag_gui.ui import ops
from tests.core.adapter_factory import copy_adapter, factory

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def adapters(tmp_path_factory):
    return factory(tmp_path_factory)


@pytest.fixture
def tab(qtbot, settings):
    widget = InspectTab(settings)
    qtbot.addWidget(widget)
    widget.resize(1200, 800)
    widget.show()
    yield widget
    ops.wait_idle(60)


def drop(widget, paths: list[Path]) -> None:
    """A real drop event, as the window system delivers it."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    widget.dropEvent(event)


def settled(tab: InspectTab) -> bool:
    return not tab.busy()


def test_a_dropped_lora_shows_its_verdict_figures_tensors_and_heatmap(tab, qtbot, adapters):
    folder = adapters("lora")
    drop(tab.drop_zone, [folder])
    qtbot.waitUntil(lambda: settled(tab) and str(folder) in tab.stats, timeout=60_000)
    assert tab.card.verdict_label.text() == "LoRA"
    assert 'peft_type "LORA" in adapter_config.json' in tab.card.evidence_label.text()
    figures = tab.card.figure_texts()
    assert figures["r"] == "4" and figures["lora alpha"] == "8" and figures["scaling"] == "2"
    assert tab.card.warnings_label.text() == "✓ No warnings: config and weights agree."
    report = tab.reports[str(folder)]
    model = tab.tensors.model
    assert model.rowCount() == 4  # encoder blocks 0, 1 and decoder blocks 0, 1
    shown = sum(model.item(r).rowCount() for r in range(model.rowCount()))
    assert shown == report.totals["num_tensors"] == 24  # 12 modules x (lora_A, lora_B)
    layers, types, matrix = tab.stats[str(folder)].heatmap()
    assert (tab.norms.table.rowCount(), tab.norms.table.columnCount()) == (len(types), len(layers))
    assert tab.norms.table.item(0, 0).text() == f"{matrix[0][0]:.3g}"
    assert tab.list.count() == 1 and tab.recent() == [str(folder)]


def test_the_tensor_filter_keeps_matching_rows_and_their_groups(tab, qtbot, adapters):
    tab.open_paths([adapters("lora")])
    qtbot.waitUntil(lambda: settled(tab) and tab.current is not None, timeout=60_000)
    tab.tensors.filter.setText("lora_B")
    proxy = tab.tensors.proxy
    kept = sum(proxy.rowCount(proxy.index(r, 0)) for r in range(proxy.rowCount()))
    assert kept == 12
    tab.tensors.filter.setText("no such tensor")
    assert proxy.rowCount() == 0


def test_prompt_tuning_is_named_and_its_figures_shown(tab, qtbot, adapters):
    tab.open_paths([adapters("prompt_tuning")])
    qtbot.waitUntil(lambda: settled(tab) and tab.current is not None, timeout=60_000)
    assert tab.card.verdict_label.text() == "prompt tuning"
    assert "prompt_embeddings of shape" in tab.card.evidence_label.text()
    qtbot.waitUntil(lambda: "no per-module weights" in tab.norms.label.text(), timeout=30_000)
    assert tab.norms.table.rowCount() == 0


def test_a_broken_file_is_explained_in_the_panel(tab, qtbot, adapters, tmp_path):
    broken = copy_adapter(adapters("lora"), tmp_path / "broken")
    data = (broken / "adapter_model.safetensors").read_bytes()
    (broken / "adapter_model.safetensors").write_bytes(data[:100])
    drop(tab.drop_zone, [broken])
    qtbot.waitUntil(lambda: settled(tab) and "truncated" in tab.message_label.text(), timeout=30_000)
    assert tab.message_label.text().startswith(f"{broken / 'adapter_model.safetensors'}: truncated safetensors file")
    assert tab.message_label.text().endswith(EXPECTED)
    assert tab.card.isHidden() and tab.list.count() == 0


def test_a_folder_without_an_adapter_says_what_was_expected(tab, qtbot, tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    tab.open_paths([tmp_path])
    qtbot.waitUntil(lambda: settled(tab) and EXPECTED in tab.message_label.text(), timeout=30_000)
    assert "adapter_config.json" in tab.message_label.text().splitlines()[0]
    assert tab.list.count() == 0


def test_two_adapters_compare_config_and_update_norms(tab, qtbot, adapters):
    a, b = adapters("lora"), adapters("lora_r8")
    tab.open_paths([a, b])
    qtbot.waitUntil(lambda: settled(tab) and tab.list.count() == 2, timeout=60_000)
    assert not tab.compare_button.isEnabled()
    tab.list.selectAll()
    assert tab.compare_button.isEnabled()
    qtbot.mouseClick(tab.compare_button, Qt.MouseButton.LeftButton)
    page = tab.comparison_page
    qtbot.waitUntil(lambda: page.norm_table.rowCount() > 0, timeout=60_000)
    rows = page.rows()
    # A is the adapter higher in the list (the one whose report arrived first)
    assert rows["config: r"] == (("4", "8") if page.comparison.a == str(a) else ("8", "4"))
    assert {page.comparison.a, page.comparison.b} == {str(a), str(b)}
    assert page.norm_table.rowCount() == 12
    assert tab.pages.currentIndex() == 2


def test_copy_report_as_json(tab, qtbot, adapters):
    folder = adapters("dora")
    tab.open_paths([folder])
    qtbot.waitUntil(lambda: settled(tab) and str(folder) in tab.stats, timeout=60_000)
    qtbot.mouseClick(tab.card.copy_button, Qt.MouseButton.LeftButton)
    data = json.loads(QGuiApplication.clipboard().text())
    assert data["peft_type"] == "LORA" and data["method"] == "DoRA"
    assert len(data["weight_stats"]["modules"]) == 12


def test_the_window_sends_dropped_adapters_to_inspect_and_yaml_to_train(qtbot, settings, adapters):
    window = MainWindow(demo_config_path(), settings=settings, confirm_close=False)
    qtbot.addWidget(window)
    window.show()
    drop(window, [adapters("ia3")])
    assert window.tabs.tabText(window.tabs.currentIndex()) == "Inspect"
    qtbot.waitUntil(lambda: settled(window.inspect_tab) and window.inspect_tab.current is not None, timeout=60_000)
    assert window.inspect_tab.card.verdict_label.text() == "IA³"
    ops.wait_idle(60)


def test_igrag_gui_path_opens_an_adapter_in_inspect(tmp_path, adapters):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "IGRAG_SCREENSHOT_DELAY_MS": "3000",
           "XDG_CONFIG_HOME": str(tmp_path / "config")}
    result = subprocess.run([sys.executable, "-m", "igrag_gui.app", str(adapters("lora")), "--screenshot",
                             str(tmp_path / "shots")], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "shots" / "inspect.png").is_file()


def test_the_tensor_tree_groups_t5_by_stack_then_block(tab, qtbot, adapters):
    folder = adapters("lora")
    tab.open_path(folder)
    qtbot.waitUntil(lambda: settled(tab) and tab.current is not None, timeout=60_000)
    tree = tab.tensors
    assert tree.group_titles() == ["encoder block 0", "encoder block 1", "decoder block 0", "decoder block 1"]
    decoder1 = tree.proxy.index(3, 0)
    names = [tree.proxy.index(r, 0, decoder1).data() for r in range(tree.proxy.rowCount(decoder1))]
    assert len(names) == 8 and all(".decoder.block.1." in name for name in names)
    tree.filter.setText("encoder.block.1.")
    assert tree.group_titles() == ["encoder block 1"]
    assert "in 4 groups" in tree.totals_label.text()


def test_add_recent_puts_a_path_first_without_opening_it(tab, tmp_path):
    first, second = tmp_path / "run-1", tmp_path / "run-2"
    tab.add_recent(first)
    tab.add_recent(second)
    tab.add_recent(first)
    assert tab.recent() == [str(first), str(second)]
    assert tab.list.count() == 0 and not tab.busy()
    tab._fill_recent()
    assert [a.text() for a in tab.recent_menu.actions()] == [str(first), str(second)]


def test_cancel_stops_the_update_norms_and_keeps_nothing(tab, qtbot, adapters):
    from PySide6.QtWidgets import QWidget

    from igrag_gui.ui import workers

    folder = str(adapters("lora"))
    tab.open_path(folder)
    qtbot.waitUntil(lambda: settled(tab) and folder in tab.stats, timeout=60_000)
    del tab.stats[folder]
    gate = QWidget()  # work waits for this window's first frame: the cancel lands before it starts
    workers.hold_until_painted(gate, fallback_ms=10_000)
    tab.pages.setCurrentIndex(1)
    qtbot.mouseClick(tab.norms.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.norms.cancel_button.isVisible(), timeout=5_000)
    assert not tab.norms.button.isEnabled()
    qtbot.mouseClick(tab.norms.cancel_button, Qt.MouseButton.LeftButton)
    gate.show()
    qtbot.waitUntil(lambda: settled(tab), timeout=30_000)
    assert tab.norms.label.text() == "Cancelled after 0 modules."
    assert folder not in tab.stats and tab.norms.button.isEnabled() and not tab.norms.cancel_button.isVisible()
    gate.close()
