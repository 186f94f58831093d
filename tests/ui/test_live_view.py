"""The Train tab's live view, fed with real engine events: what it plots and what it says."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette

from igrag_gui.core.training.events import (CheckpointSaved, Evaluated, Failed, Finished, Logged, Message, Preparing, Progress,
                                   Started)
from igrag_gui.core.training.run_history import describe
from igrag_gui.ui.live import LOG_MAX_LINES, LiveView, format_params

ROOT = Path(__file__).resolve().parents[2]


def started(**overrides) -> Started:
    values = dict(trainable=1_769_472, total=249_347_328, percent=0.7096, max_steps=600, num_train_examples=2000,
                  num_val_examples=200, effective_batch_size=16, world_size=2, device="cuda", precision="bf16",
                  output_dir="/runs/demo")
    return Started(**{**values, **overrides})


def logged(step: int, loss: float | None = None, max_steps: int = 600, **overrides) -> Logged:
    values = dict(step=step, max_steps=max_steps, epoch=step / 200,
                  loss=2.0 + math.sin(step) if loss is None else loss,
                  learning_rate=1e-3 * (1 - step / max_steps), samples_per_second=212.4,
                  elapsed=float(step), eta=float(max_steps - step))
    return Logged(**{**values, **overrides})


def held(curve) -> tuple[np.ndarray, np.ndarray]:
    """The data a curve was given (all points)."""
    x, y = curve.getOriginalDataset()
    return (np.array([]) if x is None else x), (np.array([]) if y is None else y)


def shown(view: LiveView, curve) -> tuple[np.ndarray, np.ndarray]:
    """The data a curve draws once painted (after clipping to the view and downsampling)."""
    view.plots.grab()
    x, y = curve.getData()
    return (np.array([]) if x is None else x), (np.array([]) if y is None else y)


@pytest.fixture
def view(qtbot):
    widget = LiveView()
    qtbot.addWidget(widget)
    widget.resize(1000, 760)
    widget.show()
    widget.ensure_plots()  # in the app this happens after the window's first frame
    return widget


def test_started_shows_the_trainable_parameters_and_device(view):
    view.on_event(started())
    view.redraw_now()
    assert view.stats_label.text() == "1,769,472 / 249,347,328 (0.71%)"
    assert view.device_label.text() == "cuda · bf16 · 2 processes"
    assert (view.progress_bar.value(), view.progress_bar.maximum()) == (0, 600)
    assert view.status_label.text() == "Training · step 0 of 600"
    assert "2,000 training / 200 validation examples" in view.run_label.text()
    assert view.log_text() == describe(view.history.closing or started())  # the CLI's wording too
    assert view.log_text() == ("training: 1,769,472 trainable of 249,347,328 parameters (0.71%), 2,000 examples, "
                               "600 steps of 16 on 2 cuda processes, bf16")


def test_parameter_share_keeps_small_percentages_readable():
    assert format_params(1_000, 1_000_000_000, 0.0001) == "1,000 / 1,000,000,000 (0.0001%)"
    assert format_params(57_344, 1_353_088, 4.238) == "57,344 / 1,353,088 (4.24%)"


def test_logged_events_fill_the_loss_and_learning_rate_curves(view):
    view.on_event(started())
    events = [logged(s) for s in range(1, 51)]
    for event in events:
        view.on_event(event)
    view.redraw_now()

    steps, raw = shown(view, view.chart.raw_loss_curve)
    assert view.point_count() == 50
    np.testing.assert_array_equal(steps, np.arange(1, 51))
    np.testing.assert_allclose(raw, [e.loss for e in events])
    lr_steps, lr = shown(view, view.chart.lr_curve)
    np.testing.assert_array_equal(lr_steps, steps)
    np.testing.assert_allclose(lr, [e.learning_rate for e in events])

    smooth_steps, smooth = shown(view, view.chart.smooth_loss_curve)
    assert len(smooth) == 50
    assert smooth[0] == pytest.approx(raw[0])  # bias-corrected: the first point is not pulled to 0
    assert np.abs(np.diff(smooth)).mean() < 0.3 * np.abs(np.diff(raw)).mean()  # it does smooth

    assert (view.progress_bar.value(), view.progress_bar.maximum()) == (50, 600)
    assert view.epoch_label.text() == "0.25"
    assert view.elapsed_label.text() == "0:50"
    assert view.eta_label.text() == "9:10"
    assert view.speed_label.text() == "212.4"
    assert view.loss_label.text() == f"{events[-1].loss:.4f}"


def test_progress_events_move_the_bar_without_adding_points(view):
    view.on_event(started(max_steps=10))
    view.on_event(Progress(step=3, max_steps=10, epoch=0.3, elapsed=3700.0, eta=12.0))
    view.redraw_now()
    assert (view.progress_bar.value(), view.progress_bar.maximum()) == (3, 10)
    assert view.elapsed_label.text() == "1:01:40"
    assert view.eta_label.text() == "0:12"
    assert view.point_count() == 0


def test_preparation_shows_rows_with_a_rate_then_training_takes_the_bar(view):
    view.on_event(Preparing(file="train.jsonl", phase="reading"))
    view.redraw_now()
    assert view.status_label.text() == "Preparing data · reading train.jsonl"
    view.on_event(Preparing(file="train.jsonl", phase="tokenizing", done=40_000, total=200_000, rate=12_000.0))
    view.redraw_now()
    assert view.status_label.text() == "Preparing data · tokenizing train.jsonl: 40,000 of 200,000 rows (12,000 rows/s)"
    assert (view.progress_bar.value(), view.progress_bar.maximum()) == (40_000, 200_000)
    assert view.progress_bar.format() == "40,000 / 200,000 rows (20%)"
    view.on_event(Preparing(file="train.jsonl", phase="done", done=200_000, total=200_000, elapsed=16.4))
    view.on_event(started(max_steps=10))
    view.redraw_now()
    assert view.status_label.text() == "Training · step 0 of 10"
    assert view.progress_bar.format() == "0 / 10 steps (0%)"
    assert "train.jsonl: 200,000 rows tokenized in 16.4 s" in view.log_view.toPlainText()


def test_the_smoothing_control_recomputes_the_smoothed_curve(view):
    for s in range(1, 31):
        view.on_event(logged(s))
    view.smoothing_spin.setValue(0.0)
    view.redraw_now()
    _, raw = shown(view, view.chart.raw_loss_curve)
    _, smooth = shown(view, view.chart.smooth_loss_curve)
    np.testing.assert_allclose(smooth, raw)
    assert view.smoothing == 0.0

    view.set_smoothing(0.5)
    view.redraw_now()
    _, smooth = shown(view, view.chart.smooth_loss_curve)
    expected, ema = [], 0.0
    for i, x in enumerate(raw, start=1):
        ema = 0.5 * ema + 0.5 * x
        expected.append(ema / (1 - 0.5 ** i))
    np.testing.assert_allclose(smooth, expected)
    assert view.smoothing_spin.value() == 0.5


def test_a_nan_loss_leaves_a_gap_not_a_poisoned_average(view):
    for s, loss in enumerate([2.0, 2.0, float("nan"), 2.0], start=1):
        view.on_event(logged(s, loss=loss))
    view.redraw_now()
    _, smooth = shown(view, view.chart.smooth_loss_curve)
    assert math.isnan(smooth[2])
    assert smooth[3] == pytest.approx(2.0)


def test_each_metric_is_plotted_with_the_best_marked(view):
    view.on_event(started())
    for s in range(1, 301):
        view.on_event(logged(s))
        if s % 100 == 0:
            bleu = {100: 0.125, 200: 0.2025, 300: 0.18}[s]
            view.on_event(Evaluated(step=s, epoch=s / 200, eval_loss=3.0 - s / 200,
                                    scores={"bleu4": bleu, "cider": 4 * bleu}, best=s != 300, best_metric="bleu4"))
    view.redraw_now()

    steps, eval_loss = shown(view, view.chart.eval_loss_curve)
    np.testing.assert_array_equal(steps, [100, 200, 300])
    np.testing.assert_allclose(eval_loss, [2.5, 2.0, 1.5])
    np.testing.assert_allclose(shown(view, view.chart.metric_curves["bleu4"])[1], [0.125, 0.2025, 0.18])
    np.testing.assert_allclose(shown(view, view.chart.metric_curves["cider"])[1], [0.5, 0.81, 0.72])
    assert len(shown(view, view.chart.metric_curves["meteor"])[1]) == 0  # not configured: no curve
    assert [label.text for _, label in view.chart.metric_legend.items] == ["BLEU-4", "CIDEr"]
    best_x, best_y = shown(view, view.chart.best_marker)
    assert (list(best_x), list(best_y)) == ([200.0], [0.2025])
    assert view.best_label.text() == "0.203 (step 200)" and view.best_caption.text() == "BEST BLEU-4"
    assert view.eval_count() == 3
    assert "eval at step 200: loss 2.0000, BLEU-4 0.203, CIDEr 0.810  (best BLEU-4 so far)" in view.log_text()


def test_x_axes_are_linked_and_curves_are_light_to_draw(view):
    assert view.chart.lr_plot.getViewBox().linkedView(0) is view.chart.loss_plot.getViewBox()
    assert view.chart.metric_plot.getViewBox().linkedView(0) is view.chart.loss_plot.getViewBox()
    for curve, method in ((view.chart.raw_loss_curve, "peak"), (view.chart.lr_curve, "peak"), (view.chart.smooth_loss_curve, "mean")):
        assert curve.opts["clipToView"] is True
        assert curve.opts["autoDownsample"] is True
        assert curve.opts["downsampleMethod"] == method
    names = [label.text for _, label in view.chart.loss_legend.items]
    assert names == ["loss", "loss (smoothed)", "eval loss"]
    assert view.chart.raw_loss_curve.opts["pen"].color().alpha() < 255  # raw: translucent under the smoothed


def test_learning_rate_ticks_are_short_and_distinct(view):
    axis = view.chart.lr_plot.getAxis("left")
    assert axis.tickStrings([0.0, 5e-4, 1e-3], 1.0, 5e-4) == ["0", "5e-4", "1e-3"]
    assert axis.tickStrings([9.9e-4, 1e-3, 1.01e-3], 1.0, 1e-5) == ["9.9e-4", "1e-3", "1.01e-3"]


def test_finished_and_stopped_runs_say_so(view):
    view.on_event(started(max_steps=100))
    view.on_event(logged(40, max_steps=100))
    view.on_event(Finished(step=40, output_dir="/runs/demo", stopped=True, checkpoint="/runs/demo/checkpoint-40"))
    view.redraw_now()
    assert view.status_label.text() == "Stopped at step 40; resumable checkpoint: /runs/demo/checkpoint-40"
    assert view.eta_label.text() == "—"

    view.clear()
    view.on_event(started(max_steps=100))
    view.on_event(logged(100, max_steps=100))
    view.on_event(Finished(step=100, output_dir="/runs/demo", best_score=0.215, best_metric="cider", seconds=754.2,
                           train_samples_per_second=88.0))
    view.redraw_now()
    assert view.status_label.text() == "Finished 100 steps in 12:34: adapter saved in /runs/demo; best CIDEr 0.215"
    assert (view.progress_bar.value(), view.progress_bar.maximum()) == (100, 100)
    assert view.speed_label.text() == "88.0"


def test_a_failure_opens_the_log_with_its_details(view):
    view.on_event(started())
    view.on_event(logged(7))
    assert not view.log_view.isVisible()
    view.on_event(Failed(message="CUDA ran out of memory; lower training.train_batch_size.", step=7,
                         details="RuntimeError: CUDA out of memory"))
    view.redraw_now()
    assert view.status_label.text() == "Failed at step 7: CUDA ran out of memory; lower training.train_batch_size."
    assert view.log_view.isVisible()
    assert "RuntimeError: CUDA out of memory" in view.log_text()
    assert view.status_label.styleSheet()  # painted in the error colour


def test_log_lines_messages_and_the_toggle(view, qtbot):
    view.append_log("Loading model from /models/flan-t5-base\n")
    view.on_event(Message(level="warning", text="3 prompts were truncated to 256 tokens"))
    view.on_event(CheckpointSaved(step=50, path="/runs/demo/checkpoint-50"))
    view.redraw_now()
    assert view.log_text().splitlines() == ["Loading model from /models/flan-t5-base",
                                            "warning: 3 prompts were truncated to 256 tokens",
                                            "checkpoint saved at step 50: /runs/demo/checkpoint-50"]
    assert view.log_toggle.text() == "Log (3 lines)"
    assert not view.log_view.isVisible()
    qtbot.mouseClick(view.log_toggle, Qt.MouseButton.LeftButton)
    assert view.log_view.isVisible()
    qtbot.mouseClick(view.log_toggle, Qt.MouseButton.LeftButton)
    assert not view.log_view.isVisible()


def test_the_log_keeps_only_the_last_lines(view):
    for i in range(LOG_MAX_LINES + 250):
        view.append_log(f"line {i}")
    view.redraw_now()
    lines = view.log_text().splitlines()
    assert len(lines) == LOG_MAX_LINES
    assert lines[-1] == f"line {LOG_MAX_LINES + 249}"


def test_redraws_wait_for_the_timer_and_stop_when_idle(view, qtbot):
    before = view.redraw_count
    view.on_event(logged(1))
    view.on_event(logged(2))
    assert view.redraw_count == before  # an event only marks the view dirty
    assert len(held(view.chart.raw_loss_curve)[0]) == 0
    qtbot.waitUntil(lambda: view.redraw_count == before + 1, timeout=2000)
    assert len(held(view.chart.raw_loss_curve)[0]) == 2
    qtbot.wait(400)
    assert view.redraw_count == before + 1  # nothing new: no more redraws


def test_100k_points_are_held_and_drawn_without_a_redraw_per_point(view, qtbot):
    n = 100_000
    view.on_event(started(max_steps=n))
    events = [Logged(step=s, max_steps=n, epoch=s / 1000, loss=1.0 + 1.0 / s, learning_rate=1e-4)
              for s in range(1, n + 1)]
    before = view.redraw_count
    for i, event in enumerate(events):
        view.on_event(event)
        if i % 25_000 == 0:
            qtbot.wait(1)  # let the timer fire as it would in a live run
    view.redraw_now()
    redraws = view.redraw_count - before
    assert 1 <= redraws <= 5, redraws  # at most one per event-loop turn given to the timer, plus redraw_now

    assert view.point_count() == n
    steps, raw = held(view.chart.raw_loss_curve)
    assert len(steps) == len(raw) == n
    assert (steps[0], steps[-1], raw[-1]) == (1, n, pytest.approx(1.0 + 1.0 / n))
    assert len(held(view.chart.smooth_loss_curve)[1]) == n
    assert view.progress_bar.value() == n
    assert view.progress_bar.text() == "100,000 / 100,000 steps (100%)"
    shown_x, shown_y = shown(view, view.chart.raw_loss_curve)
    assert len(shown_x) < n // 10  # peak-downsampled to the plot's width, not 100,000 segments
    assert (shown_x[0], shown_x[-1]) == (pytest.approx(1, abs=100), pytest.approx(n, abs=100))  # all of it
    assert shown_y.max() == 2.0  # peak downsampling keeps the first, highest loss


def test_load_metrics_shows_a_past_run_and_skips_a_truncated_last_line(view, tmp_path):
    events = [started(max_steps=20)] + [logged(s, max_steps=20) for s in range(1, 21)]
    events.insert(11, Evaluated(step=10, epoch=0.05, eval_loss=1.7, scores={"bleu4": 0.095}, best=True,
                                best_metric="bleu4"))
    events.append(Evaluated(step=20, epoch=0.1, eval_loss=1.6, scores={"bleu4": 0.11}, best=True, best_metric="bleu4"))
    events.append(CheckpointSaved(step=20, path=str(tmp_path / "checkpoint-20")))
    events.append(Finished(step=20, output_dir=str(tmp_path), best_score=0.11, best_metric="bleu4", seconds=61.0))
    path = tmp_path / "metrics.jsonl"
    text = "".join(e.to_json() + "\n" for e in events)
    path.write_text(text + '{"event": "log", "step": 21, "max_st')

    assert view.load_metrics(path) == len(events)
    assert view.point_count() == 20
    assert view.eval_count() == 2
    assert view.status_label.text() == f"Finished 20 steps in 1:01: adapter saved in {tmp_path}; best BLEU-4 0.110"
    assert (view.progress_bar.value(), view.progress_bar.maximum()) == (20, 20)
    assert view.stats_label.text() == "1,769,472 / 249,347,328 (0.71%)"
    assert view.best_label.text() == "0.110 (step 20)"
    np.testing.assert_allclose(shown(view, view.chart.raw_loss_curve)[1], [2.0 + math.sin(s) for s in range(1, 21)])
    assert "skipped 1 unreadable line" in view.log_text()


def test_load_metrics_of_a_resumed_run_keeps_steps_increasing(view, tmp_path):
    first = [started(max_steps=30)] + [logged(s, loss=5.0, max_steps=30) for s in range(1, 16)]
    first.append(Evaluated(step=12, epoch=0.06, eval_loss=4.0, scores={"bleu4": 0.3}, best=True, best_metric="bleu4"))
    resumed = [started(max_steps=30, start_step=10, resumed_from="/runs/demo/checkpoint-10")]
    resumed += [logged(s, loss=1.0, max_steps=30) for s in range(11, 31)]
    path = tmp_path / "metrics.jsonl"
    path.write_text("".join(e.to_json() + "\n" for e in first + resumed))

    view.load_metrics(path)
    steps, raw = shown(view, view.chart.raw_loss_curve)
    np.testing.assert_array_equal(steps, np.arange(1, 31))
    np.testing.assert_allclose(raw, [5.0] * 10 + [1.0] * 20)
    assert view.eval_count() == 0  # the evaluation at step 12 belonged to the abandoned stretch
    assert view.best_label.text() == "—"
    assert "resumed from checkpoint-10 (step 10)" in view.run_label.text()
    assert view.status_label.text().startswith("Recorded up to step 30 of 30")


def test_load_metrics_of_a_missing_file_raises(view, tmp_path):
    with pytest.raises(FileNotFoundError):
        view.load_metrics(tmp_path / "nope" / "metrics.jsonl")


def test_clear_resets_for_a_new_run(view):
    view.on_event(started())
    for s in range(1, 11):
        view.on_event(logged(s))
    view.on_event(Evaluated(step=10, epoch=0.05, eval_loss=1.7, scores={"bleu4": 0.095}, best=True, best_metric="bleu4"))
    view.redraw_now()
    view.clear()
    assert view.point_count() == 0 and view.eval_count() == 0
    assert len(held(view.chart.raw_loss_curve)[0]) == 0
    assert len(held(view.chart.best_marker)[0]) == 0 and not view.chart.metric_legend.items
    assert view.stats_label.text() == "—"
    assert view.progress_bar.value() == 0
    assert view.log_text() == ""
    assert view.status_label.text() == "No training run yet."
    assert not view.chart.loss_legend.isVisible() and not view.chart.metric_legend.isVisible()


def test_colours_follow_the_palette(view):
    def bg() -> QColor:
        return view.plots.backgroundBrush().color()

    assert bg() == view.palette().color(QPalette.ColorRole.Base)
    light_pen = view.chart.smooth_loss_curve.opts["pen"].color()
    dark = QPalette(view.palette())
    dark.setColor(QPalette.ColorRole.Base, QColor("#1e1e1e"))
    dark.setColor(QPalette.ColorRole.Text, QColor("#e6e6e6"))
    view.setPalette(dark)
    assert bg() == QColor("#1e1e1e")
    assert view.chart.smooth_loss_curve.opts["pen"].color() != light_pen
    assert view.chart.loss_plot.getAxis("left").textPen().color() == QColor("#e6e6e6")


def test_the_module_imports_no_torch():
    code = ("import sys, igrag_gui.ui.live\n"
            "bad = [m for m in ('torch', 'transformers', 'peft') if m in sys.modules]\n"
            "assert not bad, bad")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_metrics_lines_round_trip_through_the_view(view, tmp_path):
    """The view reads exactly what Event.to_json writes, and an old run's NaN eval_bleu (no validation
    metric) too."""
    path = tmp_path / "metrics.jsonl"
    lines = [started(max_steps=5).to_json(), logged(5, max_steps=5).to_json(),
             json.dumps({"event": "eval", "step": 5, "epoch": 1.0, "eval_loss": 1.25, "eval_bleu": float("nan"),
                         "best": False, "added_in_a_newer_version": 1})]
    path.write_text("\n".join(lines) + "\n")
    assert view.load_metrics(path) == 3
    assert len(shown(view, view.chart.metric_curves["bleu4"])[1]) == 0  # no BLEU, no point
    assert shown(view, view.chart.eval_loss_curve)[1][0] == 1.25
    assert "eval at step 5: loss 1.2500\n" in view.log_text() + "\n"


def test_an_old_run_with_eval_bleu_opens_and_plots(view, tmp_path):
    """Runs from before the COCO metrics logged ``eval_bleu`` (0-100): it plots as BLEU-4 (0-1)."""
    path = tmp_path / "metrics.jsonl"
    lines = [started(max_steps=10).to_json(), logged(5, max_steps=10).to_json(),
             json.dumps({"event": "eval", "step": 5, "epoch": 0.5, "eval_loss": 1.5, "eval_bleu": 21.5, "best": True}),
             json.dumps({"event": "finished", "step": 10, "output_dir": "/x", "best_bleu": 21.5, "seconds": 5.0})]
    path.write_text("\n".join(lines) + "\n")
    assert view.load_metrics(path) == 4
    np.testing.assert_allclose(shown(view, view.chart.metric_curves["bleu4"])[1], [0.215])
    assert view.best_label.text() == "0.215 (step 5)"
    assert view.status_label.text() == "Finished 10 steps in 0:05: adapter saved in /x; best BLEU-4 0.215"


def test_plots_wait_for_the_first_frame_and_a_hidden_view_for_being_shown(qtbot):
    widget = LiveView()
    qtbot.addWidget(widget)
    widget.on_event(logged(1))
    widget.redraw_now()
    assert widget.plots is None and widget.point_count() == 1  # hidden: data kept, nothing built
    widget.show()
    qtbot.waitUntil(lambda: widget.plots is not None, timeout=10_000)
    widget.redraw_now()
    assert list(held(widget.chart.raw_loss_curve)[0]) == [1.0]
