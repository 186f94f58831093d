"""The Sweep page draws Optuna's four analyses of a finished sweep on the demo model: importance,
optimisation history, parallel coordinates and a slice per parameter, the data
``igrag sweep --report --json`` prints."""

from __future__ import annotations

import json

import pytest

from tests.cli.test_cli import igrag
from tests.cli.test_sweep_report_cli import finished_sweep  # noqa: F401 - the module's finished sweep


@pytest.mark.slow
def test_the_sweep_page_draws_the_four_analyses_of_a_finished_sweep(qtbot, settings, finished_sweep):  # noqa: F811
    from igrag_gui.core.config import load_config
    from igrag_gui.ui.sweep.sweep_page import LAST_KEY, SweepPage

    reported = json.loads(igrag("sweep", "--report", str(finished_sweep), "--json").stdout)
    settings.setValue(LAST_KEY, str(finished_sweep))
    cfg, _ = load_config(finished_sweep.parent / "sweep" / "trial-000" / "run.yaml")
    page = SweepPage(lambda: cfg, settings)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.analysis.data is not None, timeout=60_000)
    view = page.analysis
    assert view.data == reported
    assert view.note.text().startswith("Study 'sweep': 3 complete; minimize loss; best trial ")
    # importance: one bar per parameter, longest for the most important, named on the axis
    bars = view.importance_bars.opts
    names = [name for _, name in view.importance_plot.getAxis("left")._tickLevels[0]]
    assert sorted(names) == ["lora.r", "training.learning_rate"]
    assert dict(zip(names, bars["width"])) == pytest.approx(reported["importance"])
    # history: each trial's value, and the best so far as a line
    xs, ys = view.history_points.getData()
    assert list(xs) == [0, 1, 2] and list(ys) == [h["value"] for h in reported["history"]]
    assert list(view.best_line.getData()[1]) == [h["best"] for h in reported["history"]]
    # parallel coordinates: one line per complete trial over the parameters and the metric
    assert len(view.parallel_lines) == 3
    for line in view.parallel_lines:
        lx, ly = line.getData()
        assert list(lx) == [0, 1, 2] and all(0.0 <= y <= 1.0 for y in ly)
    assert [a for _, a in view.parallel_plot.getAxis("bottom")._tickLevels[0]] == [
        "lora.r", "training.learning_rate", "loss"]
    # slices: each parameter's values against the metric
    for name in ("lora.r", "training.learning_rate"):
        view.slice_box.setCurrentText(name)
        sx, sy = view.slice_points.getData()
        assert list(sx) == [p["x"] for p in reported["slices"][name]]
        assert list(sy) == [p["value"] for p in reported["slices"][name]]
    assert page.views.tabText(1) == "Analysis"
