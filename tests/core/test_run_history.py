"""The run model and the one wording of events, without Qt: what the CLI, the window's log and
the Train tab's outcome all show."""

from __future__ import annotations

import io
import math
import os
import sys
import threading

import pytest

from igrag_gui.cli.progress import TerminalProgress
from igrag_gui.core.training.events import (CheckpointSaved, Evaluated, Failed, Finished, Logged, Message, Preparing, Progress,
                                   Started)
from igrag_gui.core.training.run_history import MISSING, RunHistory, describe
from igrag_gui.core.training.stop_line import STOP_LINE, send_stop, watch_stdin

NAN = float("nan")


def started(**overrides) -> Started:
    values = dict(trainable=1_769_472, total=249_347_328, percent=0.7096, max_steps=30, num_train_examples=2000,
                  num_val_examples=200, effective_batch_size=16, output_dir="/runs/demo")
    return Started(**{**values, **overrides})


def logged(step: int, loss: float = 2.0, max_steps: int = 30) -> Logged:
    return Logged(step=step, max_steps=max_steps, epoch=step / 10, loss=loss, learning_rate=1e-3, elapsed=float(step))


def terminal_lines(*events) -> list[str]:
    out = io.StringIO()
    sink = TerminalProgress(out, live=False)
    for event in events:
        sink(event)
    return out.getvalue().splitlines()


# ------------------------------------------------------------------------------------ wording
def test_each_event_is_worded_once():
    assert describe(started()) == ("training: 1,769,472 trainable of 249,347,328 parameters (0.71%), 2,000 examples, "
                                   "30 steps of 16 on 1 cpu process, fp32")
    assert describe(started(resumed_from="/r/checkpoint-10", start_step=10)).endswith(", resuming at step 10")
    assert describe(Evaluated(step=20, epoch=2.0, eval_loss=1.25, scores={"bleu4": 0.2025, "cider": 0.81}, best=True,
                              best_metric="bleu4")) == \
        "eval at step 20: loss 1.2500, BLEU-4 0.203, CIDEr 0.810  (best BLEU-4 so far)"
    assert describe(CheckpointSaved(step=50, path="/r/checkpoint-50")) == "checkpoint saved at step 50: /r/checkpoint-50"
    assert describe(Message(level="warning", text="careful")) == "warning: careful"
    assert describe(Finished(step=40, output_dir="/r", stopped=True, checkpoint="/r/checkpoint-40")) == \
        "Stopped at step 40; resumable checkpoint: /r/checkpoint-40"
    assert describe(Finished(step=0, output_dir="/r", stopped=True)) == \
        "Stopped before the first step; nothing was saved"
    assert describe(Finished(step=100, output_dir="/r", best_score=0.215, best_metric="cider", seconds=754.2)) == \
        "Finished 100 steps in 12:34: adapter saved in /r; best CIDEr 0.215"
    assert describe(Failed(message="CUDA ran out of memory.", step=7)) == "Failed at step 7: CUDA ran out of memory."
    assert describe(Preparing(file="t.jsonl", phase="cached", done=3000)) == "t.jsonl: 3,000 rows, tokenized, from the cache"
    assert describe(logged(3)) is None and describe(Progress(step=3, max_steps=30, epoch=0.3, elapsed=3.0)) is None


def test_a_value_not_measured_reads_as_a_dash_everywhere_never_nan():
    """A NaN eval loss and a NaN BLEU: the same dash in the terminal, the window's log and the model."""
    event = Evaluated(step=5, epoch=0.5, eval_loss=NAN, scores={"bleu4": NAN, "cider": 0.5}, best_metric="bleu4")
    line = f"eval at step 5: loss {MISSING}, BLEU-4 {MISSING}, CIDEr 0.500"
    assert describe(event) == line
    assert MISSING == "\u2014"
    history = RunHistory()
    assert history.apply(event) == [line]  # what the window's log shows
    assert line in terminal_lines(event)  # what `igrag train` prints
    assert all("nan" not in text.lower() for text in terminal_lines(logged(1, loss=NAN)))  # the progress line too


def test_the_terminal_prints_describes_lines():
    events = [started(), Evaluated(step=10, epoch=1.0, eval_loss=1.5), CheckpointSaved(step=10, path="/r/c-10"),
              Finished(step=10, output_dir="/r", stopped=True, checkpoint="/r/c-10")]
    lines = terminal_lines(*events)
    for event in events:
        assert describe(event) in lines
    assert lines[-1] == "resume with: igrag train CONFIG --resume"
    assert "igrag: warning: careful" in terminal_lines(Message(level="warning", text="careful"))


# ------------------------------------------------------------------------------------ the model
def test_series_smoothing_and_a_nan_gap():
    history = RunHistory(smoothing=0.5)
    for step, loss in enumerate([2.0, 4.0, NAN, 2.0], start=1):
        history.apply(logged(step, loss))
    data = history.data()
    assert history.steps() == [1, 2, 3, 4]
    assert data["smoothed"][0] == 2.0  # bias-corrected: the first point is not pulled to 0
    assert data["smoothed"][1] == pytest.approx((0.25 * 2 + 0.5 * 4) / 0.75)
    assert math.isnan(data["smoothed"][2])  # a gap, not a poisoned average
    assert history.set_smoothing(0.0) and list(history.data()["smoothed"][[0, 1, 3]]) == [2.0, 4.0, 2.0]
    assert history.loss == 2.0


def test_best_status_and_a_resume_that_continues_the_curve():
    history = RunHistory()
    history.apply(started())
    for step in range(1, 16):
        history.apply(logged(step, loss=5.0))
        if step in (5, 12):
            history.apply(Evaluated(step=step, epoch=step / 10, eval_loss=1.0, scores={"bleu4": step / 100},
                                    best=True, best_metric="bleu4"))
    assert history.best == (12.0, 0.12) and history.status_line == "Training · step 15 of 30"
    history.apply(Finished(step=15, output_dir="/runs/demo", stopped=True, checkpoint="/runs/demo/checkpoint-10"))
    assert history.status == "stopped"
    history.apply(started(resumed_from="/runs/demo/checkpoint-10", start_step=10))
    assert history.steps() == list(range(1, 11))  # what came after the checkpoint is trained again
    assert history.best == (5.0, 0.05) and history.closing is None and history.status == "running"
    for step in range(11, 31):
        history.apply(logged(step, loss=1.0))
    assert history.steps() == list(range(1, 31))
    assert "resumed from checkpoint-10 (step 10)" in history.run_text


def test_how_a_run_ended_is_a_value():
    finished = RunHistory()
    finished.apply(Finished(step=6, output_dir="/r", best_score=0.2, best_metric="bleu4", seconds=5.0))
    outcome = finished.end(0, "tail", None)
    assert (outcome.kind, outcome.adapter) == ("finished", "/r")
    assert outcome.text == "Finished 6 steps in 0:05: adapter saved in /r; best BLEU-4 0.200"

    stopped = RunHistory()
    stopped.apply(Finished(step=4, output_dir="/r", stopped=True, checkpoint="/r/checkpoint-4"))
    assert stopped.end(0, "", "/r/checkpoint-4").kind == "stopped" and stopped.end(0, "", None).adapter is None

    failed = RunHistory()
    failed.apply(Failed(message="NaN loss at step 3; lower the learning rate.", step=3, details="trace"))
    outcome = failed.end(2, "igrag: error: NaN loss", None)
    assert (outcome.kind, outcome.text) == ("failed", "Failed at step 3: NaN loss at step 3; lower the learning rate.")
    assert outcome.text == describe(failed.closing) == failed.status_line  # the tab, the log and the status agree
    assert outcome.details == "trace\n\nigrag: error: NaN loss"

    killed = RunHistory()
    killed.apply(started())
    outcome = killed.end(-9, "", "/r/checkpoint-2")
    assert outcome.text == ("The training process was killed by signal 9 before finishing. The last good checkpoint "
                            "is /r/checkpoint-2; Resume continues from it.")
    assert killed.status == "failed" and killed.status_line == f"Failed: {outcome.text}"  # the view says it too

    refused = RunHistory().end(2, "igrag: error: data.train_path: no such file", None)
    assert refused.text == "Training could not start: data.train_path: no such file"


def test_load_skips_a_truncated_last_line(tmp_path):
    events = [started(max_steps=3), logged(1), logged(2), logged(3),
              Finished(step=3, output_dir=str(tmp_path), seconds=3.0)]
    path = tmp_path / "metrics.jsonl"
    path.write_text("".join(e.to_json() + "\n" for e in events) + '{"event": "log", "st')
    history, log = RunHistory.load(path)
    assert history.events_read == 5 and history.steps() == [1, 2, 3] and history.status == "finished"
    assert log[-1] == f"{path}: skipped 1 unreadable line"
    with pytest.raises(FileNotFoundError):
        RunHistory.load(tmp_path / "missing.jsonl")


def test_an_unfinished_run_says_so(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_text(started().to_json() + "\n" + logged(4).to_json() + "\n")
    history, _ = RunHistory.load(path)
    assert history.status_line == "Recorded up to step 4 of 30: the run is still going or was interrupted"


# ------------------------------------------------------------------------------------ stop line
def test_the_stop_line_calls_back_and_an_end_of_input_does_not():
    read_fd, write_fd = os.pipe()
    reader, writer = os.fdopen(read_fd, "r"), os.fdopen(write_fd, "w")
    stops = threading.Semaphore(0)
    calls = []
    thread = watch_stdin(lambda: (calls.append(1), stops.release()), reader)
    assert thread is not None
    writer.write("hello\n")
    assert send_stop(writer)
    assert stops.acquire(timeout=5) and calls == [1]
    writer.close()  # the parent went away: not a stop
    thread.join(timeout=5)
    assert not thread.is_alive() and calls == [1]
    assert send_stop(writer) is False  # a closed pipe: nothing to send, no exception
    assert STOP_LINE == "stop"
    reader.close()


@pytest.mark.skipif(sys.platform == "win32", reason="a pseudo-terminal")
def test_a_terminal_on_stdin_is_not_read():
    import pty

    master, slave = pty.openpty()
    with os.fdopen(slave, "r") as tty:
        assert watch_stdin(lambda: None, tty) is None
    os.close(master)
