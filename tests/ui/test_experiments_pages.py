"""The Compare and Sweep pages, clicked for real: overlaid curves, sortable results, differences,
rename, delete to the trash after asking; a sweep of three trials (one failing) from the window."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from tests.core.experiments.test_runs import CONFIG, log, started, write_run

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "sweep"
LONG = 400_000


def point_to(window, config: Path) -> None:
    assert window.open_config(config)


@pytest.fixture
def two_runs(tmp_path):
    """Two runs beside the config's output_dir, with different r and batch sizes."""
    runs = tmp_path / "runs"
    a = write_run(runs / "r8", [started(batch=8), log(1, 3.0), log(2, 2.0),
                                {"event": "eval", "step": 2, "epoch": 1.0, "eval_loss": 2.5, "eval_bleu": 7.0},
                                {"event": "finished", "step": 2, "output_dir": "x", "seconds": 4.0}], CONFIG)
    b = write_run(runs / "r16", [started(batch=16), log(1, 2.8), log(2, 1.5),
                                 {"event": "eval", "step": 2, "epoch": 1.0, "eval_loss": 2.0, "eval_bleu": 9.0},
                                 {"event": "finished", "step": 2, "output_dir": "y", "seconds": 6.0}],
                  {**CONFIG, "lora": {"r": 16, "dropout": 0.1}})
    config = yaml.safe_load((FIXTURES / "tiny.yaml").read_text())
    config["model"]["base_model_path"] = str(ROOT / "resources" / "demo" / "model")
    config["data"] = {**config["data"], "train_path": str(FIXTURES / "train.jsonl"),
                      "val_path": str(FIXTURES / "val.jsonl")}
    config["training"]["output_dir"] = str(runs / "next")
    (tmp_path / "run.yaml").write_text(yaml.safe_dump(config))
    return tmp_path / "run.yaml", a, b


def test_compare_overlays_curves_and_tables_and_opens_a_run(window, qtbot, two_runs):
    config, a, b = two_runs
    point_to(window, config)
    tab = window.train_tab
    tab.pages.setCurrentWidget(tab._compare_page)
    page = tab.compare_page
    assert page.run_list.count() == 2
    for i in range(2):
        page.run_list.item(i).setCheckState(Qt.Checked)
    curves = page.plot.getPlotItem().listDataItems()
    assert sorted(c.name() for c in curves) == ["r16", "r8"]
    assert len({c.opts["pen"].color().name() for c in curves}) == 2  # one colour per run
    page.x_box.setCurrentText("examples seen")
    r16 = next(c for c in page.plot.getPlotItem().listDataItems() if c.name() == "r16")
    assert list(r16.getData()[0]) == [16, 32]
    page.curve_box.setCurrentText("bleu4")
    assert sorted(c.getData()[1][0] for c in page.plot.getPlotItem().listDataItems()) == [7.0, 9.0]

    diff = page.differences_table
    assert [diff.verticalHeaderItem(r).text() for r in range(diff.rowCount())] == ["lora.r"]
    results = page.results_table
    header = [results.horizontalHeaderItem(c).text() for c in range(results.columnCount())]
    assert header[:7] == ["run", "method", "trainable", "steps", "seconds", "samples/s", "status"]
    bleu = header.index("bleu4 best")
    results.sortItems(bleu, Qt.DescendingOrder)
    assert results.item(0, 0).text() == "r16"
    with qtbot.waitSignal(page.open_inspect) as opened:
        page._emit_row(0, page.open_inspect)
    assert opened.args == [str(b.resolve())]


def test_rename_and_delete_after_asking(window, qtbot, two_runs, monkeypatch, tmp_path, trash):
    config, a, b = two_runs
    point_to(window, config)
    page = window.train_tab.compare_page
    page.rename(str(a.resolve()), "baseline")
    assert (a / "label.txt").read_text().strip() == "baseline"
    assert any(page.run_list.item(i).text().startswith("baseline") for i in range(page.run_list.count()))
    monkeypatch.setattr(QMessageBox, "question", lambda *args, **kw: QMessageBox.No)
    assert not page.delete(str(a.resolve())) and a.exists()
    monkeypatch.setattr(QMessageBox, "question", lambda *args, **kw: QMessageBox.Yes)
    assert page.delete(str(a.resolve())) and not a.exists()
    assert page.run_list.count() == 1


def test_a_bad_space_is_shown_and_nothing_starts(window, qtbot, two_runs):
    config, _, _ = two_runs
    point_to(window, config)
    page = window.train_tab.sweep_page
    page.set_field("training.learning_rate", "3e-3 .. 1e-4 log")
    page.set_field("lora.rank", "4, 8")
    qtbot.mouseClick(page.start_button, Qt.LeftButton)
    assert not page.is_running()
    lines = page.problems_label.text().splitlines()
    assert lines[0] == "space.training.learning_rate: low 0.003 exceeds high 0.0001; swap them"
    assert lines[1].startswith("space: 'lora.rank' is not a config field;")
    assert not [p for p in (config.parent / "runs").iterdir() if p.name.startswith("sweep-")]


@pytest.mark.slow
def test_a_sweep_from_the_window_queues_ranks_and_opens_the_best(window, qtbot, two_runs):
    config, _, _ = two_runs
    point_to(window, config)
    tab = window.train_tab
    tab.pages.setCurrentWidget(tab._sweep_page)
    page = tab.sweep_page
    page.set_field("lora.r", "2, 4")
    page.set_field("data.train_path", f"{FIXTURES / 'train.jsonl'}, {FIXTURES / 'broken.jsonl'}")
    page.sampler_box.setCurrentText("grid")
    page.trials_box.setValue(3)
    assert page.metric_box.currentText() == "bleu4"
    with qtbot.waitSignal(page.runner.ended if page.runner else page.status_message, timeout=5000):
        qtbot.mouseClick(page.start_button, Qt.LeftButton)
    assert page.is_running() and tab.is_sweeping()
    qtbot.waitUntil(lambda: not page.is_running(), timeout=LONG)
    states = sorted(page.queue_table.item(r, 1).text() for r in range(page.queue_table.rowCount()))
    assert states == ["complete", "complete", "failed"]
    assert page.queue_table.item(0, 1).text() == "complete"  # best first
    assert page.best_run and Path(page.best_run, "adapter_config.json").is_file()
    ranking = page.ranking()
    assert ranking[0]["run"] == page.best_run and ranking[-1]["reason"].startswith(f"{FIXTURES / 'broken.jsonl'}:4")
    with qtbot.waitSignal(tab.inspect_adapter) as opened:
        qtbot.mouseClick(page.inspect_button, Qt.LeftButton)
    assert opened.args == [page.best_run]
    # the trials are runs: the Compare page finds them beside the config's output_dir
    compare = tab.compare_page
    compare.refresh()
    names = {compare.run_list.item(i).toolTip() for i in range(compare.run_list.count())}
    assert page.best_run in names
    # reopened, the page shows the sweep with Resume
    from igrag_gui.ui.sweep.sweep_page import SweepPage

    again = SweepPage(tab.config, window.settings)
    assert again.resume_button.isEnabled() and again.queue_table.rowCount() == 3


@pytest.mark.slow
def test_closing_during_a_sweep_asks_stops_it_and_reopening_resumes(window, qtbot, two_runs, monkeypatch):
    config, _, _ = two_runs
    point_to(window, config)
    tab = window.train_tab
    tab.form.editor("training.max_steps").setValue(4)
    page = tab.sweep_page
    page.set_field("lora.r", "2, 4")
    page.sampler_box.setCurrentText("grid")
    page.trials_box.setValue(2)
    qtbot.mouseClick(page.start_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: len(page._loss[0]) >= 1, timeout=LONG)  # the first trial is training
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a[1]) or QMessageBox.No)
    window.close()
    assert asked == ["A sweep is running"] and page.is_running() and window.isVisible()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Yes)
    assert window.close() is False  # returns at once: the GUI thread never waits for the sweep
    assert window.isVisible() and window.quitting and page.is_running()
    assert window.windowTitle().startswith("Stopping… — ")
    closed_at_end = []
    page.running_changed.connect(lambda running: closed_at_end.append((running, window.isVisible())))
    qtbot.waitUntil(lambda: not page.is_running(), timeout=LONG)  # the trial saves, the sweep exits
    assert closed_at_end == [(False, False)]  # closed by the sweep's end, in the same turn of the loop
    folder = page.sweep_file.parent
    assert (folder / "trial-000" / "metrics.jsonl").is_file()

    from igrag_gui.ui.sweep.sweep_page import SweepPage

    again = SweepPage(tab.config, window.settings)
    assert again.resume_button.isEnabled() and again.sweep_file == page.sweep_file
    qtbot.mouseClick(again.resume_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: not again.is_running(), timeout=LONG)
    ranking = again.ranking()
    assert [(r["lora.r"], r["state"]) for r in sorted(ranking, key=lambda r: r["lora.r"])] == \
        [("2", "complete"), ("4", "complete")]
    assert next(r for r in ranking if r["lora.r"] == "2")["run"] == str(folder / "trial-000")


def test_a_run_that_ends_joins_the_compare_list_with_the_ticks_kept(window, two_runs):
    config, a, b = two_runs
    point_to(window, config)
    tab = window.train_tab
    page = tab.compare_page
    page.run_list.item(0).setCheckState(Qt.Checked)
    ticked = page.ticked_paths()
    write_run(a.parent / "next", [started(), log(1, 2.0), {"event": "finished", "step": 1, "output_dir": "z"}], CONFIG)
    tab._on_ended(0, "")  # what the runner's end signal calls
    assert page.run_list.count() == 3 and page.ticked_paths() == ticked


def test_the_intervals_tab_draws_each_run_s_95_percent_interval_as_error_bars(qtbot, settings, tmp_path):
    from igrag_gui.core.experiments.compare import intervals
    from igrag_gui.core.experiments.runs import load_run
    from igrag_gui.ui.runs.compare_page import ComparePage
    from tests.core.experiments.test_compare_intervals import _evaluated
    from tests.core.test_metrics_bootstrap import _corpus

    captions, references = _corpus(40)
    worse = {i: ("a plate of food on a table" if n % 3 == 0 else c) for n, (i, c) in enumerate(captions.items())}
    good = _evaluated(tmp_path / "runs" / "good", captions, references)
    bad = _evaluated(tmp_path / "runs" / "bad", worse, references)
    never = write_run(tmp_path / "runs" / "never", [started(), log(1, 2.0), {"event": "finished", "step": 1}],
                      CONFIG)
    page = ComparePage(lambda: [tmp_path / "runs"], settings)
    qtbot.addWidget(page)
    page.show()
    page.tables.setCurrentWidget(page.intervals_view)
    page.tick([good, bad, never])
    view = page.intervals_view
    qtbot.waitUntil(lambda: view.data is not None and not view.running(), timeout=60_000)
    order = [str(r.path) for r in page.ticked()]
    expected = intervals([load_run(p) for p in order])
    assert view.data == expected
    assert [view.metric_box.itemText(i) for i in range(view.metric_box.count())] == ["bleu4", "cider"]
    assert view.metric_box.currentText() == "cider"
    bars = view.error_bars
    assert bars is not None and bars in page.intervals_view.plot.getPlotItem().items
    drawn = [p for p in order if p in expected["runs"]]
    assert len(drawn) == 2
    cider = [expected["runs"][p]["metrics"]["cider"] for p in drawn]
    assert list(bars.opts["x"]) == [0.0, 1.0]
    assert list(bars.opts["y"]) == pytest.approx([c["value"] for c in cider])
    assert list(bars.opts["top"]) == pytest.approx([c["high"] - c["value"] for c in cider])
    assert list(bars.opts["bottom"]) == pytest.approx([c["value"] - c["low"] for c in cider])
    pair = next(p for p in expected["pairs"] if p["metric"] == "cider")
    assert (f"{Path(pair['a']).name} − {Path(pair['b']).name}: {pair['difference']:+.3f} [{pair['low']:+.3f}, "
            f"{pair['high']:+.3f}], distinguishable") in view.label.text()
    assert "never: no intervals (it never evaluated on validation data" in view.label.text()
    view.metric_box.setCurrentText("bleu4")
    bleu = [expected["runs"][p]["metrics"]["bleu4"] for p in drawn]
    assert list(view.error_bars.opts["top"]) == pytest.approx([b["high"] - b["value"] for b in bleu])
    # another curve redraws the page; the same runs keep their intervals (no new bootstrap)
    shown = view.data
    page.curve_box.setCurrentText("learning_rate")
    assert view.data is shown and not view.running()
    page.tick([good])  # one run: its interval, no pairs
    qtbot.waitUntil(lambda: view.data is not shown and not view.running(), timeout=60_000)
    assert list(view.data["runs"]) == [str(good.resolve())] and view.data["pairs"] == []
    assert len(view.error_bars.opts["x"]) == 1
