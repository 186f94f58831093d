"""The live chart's geometry: legends above the data, never on it, and a resumed run's chart that
shows both stretches (the one before the stop and the resumed one) within its step axis."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from igrag_gui.core.training.events import CheckpointSaved, Evaluated, Finished, Logged, Preparing, Started
from igrag_gui.ui.live import LiveView

MAX_STEPS = 40


def started(**overrides) -> Started:
    values = dict(trainable=28_672, total=1_324_800, percent=2.16, max_steps=MAX_STEPS, num_train_examples=1000,
                  num_val_examples=100, effective_batch_size=8, output_dir="/runs/demo")
    return Started(**{**values, **overrides})


def logged(step: int) -> Logged:
    """A loss that starts high and falls: the top right corner of the loss plot holds data early on."""
    return Logged(step=step, max_steps=MAX_STEPS, epoch=step / 125, loss=3.0 - 2.0 * step / MAX_STEPS,
                  learning_rate=2e-3 * (1 - step / MAX_STEPS), elapsed=float(step), eta=float(MAX_STEPS - step))


def evaluated(step: int) -> Evaluated:
    """Scores that rise: the bottom right corner of the metric plot holds the latest ones."""
    return Evaluated(step=step, epoch=step / 125, eval_loss=2.5 - step / 20,
                     scores={"bleu4": step / 150, "cider": step / 15}, best=True, best_metric="bleu4")


def first_stretch(stop_at: int = 19) -> list:
    """What the engine reports for a run stopped at ``stop_at`` (evaluations every 5 steps, the
    stop's checkpoint at that step), as a real run does (tests/ui/test_train_tab.py's shape)."""
    events: list = [Preparing(file="train.jsonl", phase="cached", done=1000), started()]
    for step in range(1, stop_at + 1):
        events.append(logged(step))
        if step % 5 == 0:
            events.append(evaluated(step))
    events += [CheckpointSaved(step=stop_at, path=f"/runs/demo/checkpoint-{stop_at}"),
               Finished(step=stop_at, output_dir="/runs/demo", stopped=True,
                        checkpoint=f"/runs/demo/checkpoint-{stop_at}")]
    return events


def resumed_stretch(start: int = 19, end: int = MAX_STEPS) -> list:
    events: list = [Preparing(file="train.jsonl", phase="cached", done=1000),
                    started(start_step=start, resumed_from=f"/runs/demo/checkpoint-{start}")]
    for step in range(start + 1, end + 1):
        events.append(logged(step))
        if step % 5 == 0:
            events.append(evaluated(step))
    return events


def held(curve) -> np.ndarray:
    x, _ = curve.getOriginalDataset()
    return np.array([]) if x is None else np.asarray(x)


def x_range(view: LiveView) -> tuple[float, float]:
    view.plots.grab()  # lay out and paint: the ranges and clipping are settled by a paint
    return tuple(view.chart.loss_plot.getViewBox().viewRange()[0])


def hidden_steps(view: LiveView, steps: np.ndarray) -> list[float]:
    """The steps of ``steps`` that fall outside the chart's (shared) step axis."""
    low, high = x_range(view)
    return [float(s) for s in steps if not low <= s <= high]


@pytest.fixture
def view(qtbot):
    widget = LiveView()
    qtbot.addWidget(widget)
    widget.resize(1000, 760)
    widget.show()
    widget.ensure_plots()
    widget.clear()  # what the Train tab does when a fresh run starts
    return widget


def feed(view: LiveView, events: list) -> None:
    """Events as the window takes them: each followed by a redraw (the window redraws every second)
    and a turn of the event loop, which lays out and paints the chart (auto-ranging happens there)."""
    for event in events:
        view.on_event(event)
        view.redraw_now()
        QApplication.processEvents()


# ------------------------------------------------------------------------------------ legends
def _legend_facts(plot, legend) -> tuple[bool, bool, bool, list[str]]:
    rect, data = legend.sceneBoundingRect(), plot.getViewBox().sceneBoundingRect()
    return (legend.isVisible(), rect.intersects(data), plot.sceneBoundingRect().contains(rect),
            [label.text for _sample, label in legend.items])


@pytest.mark.parametrize("size", [(1000, 760), (640, 480)])
def test_the_legends_sit_above_their_plots_and_never_on_the_data(view, size):
    view.resize(*size)
    feed(view, first_stretch())
    view.plots.grab()
    chart = view.chart
    visible, on_data, in_plot, names = _legend_facts(chart.loss_plot, chart.loss_legend)
    assert visible and not on_data and in_plot
    assert names == ["loss", "loss (smoothed)", "eval loss"]
    assert chart.loss_legend.sceneBoundingRect().bottom() <= chart.loss_plot.getViewBox().sceneBoundingRect().top()
    visible, on_data, in_plot, names = _legend_facts(chart.metric_plot, chart.metric_legend)
    assert visible and not on_data and in_plot
    assert names == ["BLEU-4", "CIDEr"]
    assert chart.metric_legend.sceneBoundingRect().bottom() <= chart.metric_plot.getViewBox().sceneBoundingRect().top()
    # the legend takes one row of text from its plot, no more
    for plot, legend in ((chart.loss_plot, chart.loss_legend), (chart.metric_plot, chart.metric_legend)):
        header = plot.getViewBox().sceneBoundingRect().top() - plot.sceneBoundingRect().top()
        assert header <= legend.sceneBoundingRect().height() + 4 <= 34


def test_a_legend_cannot_be_dragged_onto_the_data(view):
    feed(view, first_stretch())
    view.plots.grab()
    legend, plot = view.chart.loss_legend, view.chart.loss_plot
    before = legend.sceneBoundingRect()
    legend.mouseDragEvent(_FakeDrag(dx=-300, dy=150))
    view.plots.grab()
    assert legend.sceneBoundingRect() == before
    assert not legend.sceneBoundingRect().intersects(plot.getViewBox().sceneBoundingRect())


class _FakeDrag:
    """The part of pyqtgraph's MouseDragEvent a legend reads."""

    def __init__(self, dx: float, dy: float):
        from PySide6.QtCore import QPointF, Qt

        self._pos, self._last, self._button = QPointF(dx, dy), QPointF(0, 0), Qt.MouseButton.LeftButton
        self.accepted = False

    def button(self):
        return self._button

    def pos(self):
        return self._pos

    def lastPos(self):  # noqa: N802 - pyqtgraph naming
        return self._last

    def accept(self):
        self.accepted = True

    def ignore(self):
        self.accepted = False


def test_a_legend_entry_appears_with_its_metric_and_the_legend_keeps_its_row(view):
    feed(view, first_stretch()[:6])  # up to step 4: no evaluation yet
    view.plots.grab()
    chart = view.chart
    assert not chart.metric_legend.isVisible()
    top_before = chart.metric_plot.getViewBox().sceneBoundingRect().top()
    feed(view, [logged(5), evaluated(5)])
    view.plots.grab()
    assert chart.metric_legend.isVisible()
    assert [label.text for _s, label in chart.metric_legend.items] == ["BLEU-4", "CIDEr"]
    assert chart.metric_plot.getViewBox().sceneBoundingRect().top() == top_before  # the plot does not jump


# ------------------------------------------------------------------------------------ resume
def _write(path: Path, events: list) -> Path:
    path.write_text("".join(e.to_json() + "\n" for e in events if not isinstance(e, Preparing)), encoding="utf-8")
    return path


def test_after_a_resume_the_chart_shows_the_first_stretch_and_the_resumed_one(view, tmp_path):
    """Stop at step 19, Resume: the tab reads the run's metrics.jsonl into the view (so the curve
    continues), then the resumed process's events come. Every loss and evaluation of both
    stretches is held by the curves and lies within the step axis, at every stage."""
    first = first_stretch(stop_at=19)
    feed(view, first)
    view.load_metrics(_write(tmp_path / "metrics.jsonl", first))  # what Resume does before the child starts
    QApplication.processEvents()
    chart, history = view.chart, view.history
    first_steps = np.arange(1, 20, dtype=float)
    np.testing.assert_array_equal(held(chart.raw_loss_curve), first_steps)
    np.testing.assert_array_equal(held(chart.metric_curves["bleu4"]), [5, 10, 15])
    assert hidden_steps(view, first_steps) == []  # the whole first stretch is in view, not only 5..15

    resumed = resumed_stretch(start=19)
    feed(view, resumed[:2 + 4])  # the resumed start and steps 20 (an evaluation), 21, 22
    assert hidden_steps(view, history.train.col(0)) == []  # the loss curve continues past the last evaluation
    assert hidden_steps(view, history.evals.col(0)) == []

    feed(view, resumed[2 + 4:])
    all_steps = np.arange(1, MAX_STEPS + 1, dtype=float)
    evals = [5, 10, 15, 20, 25, 30, 35, 40]
    np.testing.assert_array_equal(held(chart.raw_loss_curve), all_steps)
    np.testing.assert_array_equal(held(chart.eval_loss_curve), evals)
    for metric in ("bleu4", "cider"):
        np.testing.assert_array_equal(held(chart.metric_curves[metric]), evals)
    assert hidden_steps(view, all_steps) == [] and hidden_steps(view, np.array(evals, dtype=float)) == []
    low, high = x_range(view)
    assert low < 1 and high > MAX_STEPS


def test_a_resume_from_an_earlier_checkpoint_keeps_the_evaluations_before_it(view, tmp_path):
    """Killed at step 17 with the last checkpoint at 10: the evaluation at 15 is redone by the
    resumed process; those at 5 and 10 stay on the chart, and in view."""
    first = first_stretch(stop_at=17)[:-2]  # no checkpoint at 17 and no closing event: a kill
    feed(view, first)
    view.end_run(-9, "", "/runs/demo/checkpoint-10")
    view.load_metrics(_write(tmp_path / "metrics.jsonl", first))
    QApplication.processEvents()
    feed(view, resumed_stretch(start=10, end=30))
    evals = [5, 10, 15, 20, 25, 30]
    np.testing.assert_array_equal(held(view.chart.metric_curves["bleu4"]), evals)
    np.testing.assert_array_equal(held(view.chart.raw_loss_curve), np.arange(1, 31))
    assert hidden_steps(view, np.arange(1, 31, dtype=float)) == []


def test_the_step_axis_follows_the_loss_after_a_past_run_is_shown(view, tmp_path):
    """Showing a past run in a chart that already holds one (Resume, the Runs page) gives the step
    axis back to the loss plot: the metric plot's evaluations (5..15) must not narrow it."""
    feed(view, first_stretch(stop_at=19))
    view.load_metrics(_write(tmp_path / "metrics.jsonl", first_stretch(stop_at=19)))
    QApplication.processEvents()
    x_range(view)
    chart = view.chart
    assert chart.loss_plot.getViewBox().autoRangeEnabled()[0]
    assert not chart.metric_plot.getViewBox().autoRangeEnabled()[0]
    assert not chart.lr_plot.getViewBox().autoRangeEnabled()[0]
    assert all(plot.getViewBox().autoRangeEnabled()[1] for plot in (chart.loss_plot, chart.lr_plot, chart.metric_plot))
