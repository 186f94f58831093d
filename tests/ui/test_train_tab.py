"""The Train tab, clicked for real: form, validation, live stats, training in a child process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from PySide6.QtCore import QMimeData, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDropEvent, QGuiApplication
from PySide6.QtWidgets import QMessageBox

from igrag_gui.core.training.events import Finished
from igrag_gui.core.training.run_history import describe
from igrag_gui.resources import demo_config_path

ROOT = Path(__file__).resolve().parents[2]
LONG = 240_000  # ms: a child process imports torch, loads the model and trains


def set_output(tab, folder: Path, **fields) -> None:
    """Point the run at ``folder`` and set other fields through their real widgets."""
    tab.form.editor("training.output_dir").setText(str(folder))
    for key, value in fields.items():
        editor = tab.form.editor(key.replace("__", "."))
        if hasattr(editor, "setCurrentText"):
            editor.setCurrentText(value)
        else:
            editor.setValue(value)


def test_demo_config_ready_to_train_with_live_parameter_counts(window, qtbot):
    tab = window.train_tab
    qtbot.waitUntil(lambda: "/" in tab.stats_label.text(), timeout=60_000)
    from igrag_gui.core.methods.params import count_parameters
    stats = count_parameters(tab.config())
    assert tab.stats_label.text() == f"{stats.trainable:,} / {stats.total:,} ({stats.percent:.2f}%)"
    assert "q: " in tab.stats_detail.text() and "v: " in tab.stats_detail.text()
    assert tab.start_button.isEnabled()
    assert tab.reason_label.text() == "Ready to train."
    qtbot.waitUntil(lambda: "examples" in tab.preview_label.text(), timeout=60_000)
    assert tab.preview_label.text().startswith("train.jsonl: 1,000 examples; 0 prompt(s) longer than")
    assert tab.preview_table.rowCount() == 50
    picker = tab.form.editor("lora.target_modules")
    qtbot.waitUntil(lambda: "wi_0" in picker.modules(), timeout=60_000)
    assert picker.value() == ["q", "k", "v", "o", "wi_0", "wi_1", "wo"]


def test_data_and_runs_pages_are_built_when_first_shown_and_show_what_came_before(window, qtbot, tmp_path):
    """The hidden pages are not in the first frame; what arrived meanwhile is there when shown."""
    tab = window.train_tab
    run = tmp_path / "runs" / "old-run"
    run.mkdir(parents=True)
    (run / "metrics.jsonl").write_text("")
    tab.form.editor("training.output_dir").setText(str(tmp_path / "runs" / "new-run"))
    qtbot.waitUntil(lambda: tab._last_preview is not None and not tab.background_busy(), timeout=60_000)
    assert not tab._data_page.is_built and not tab._runs_page.is_built
    tab.set_config(tab.config(), saved=False)  # what a save or an opened file does: runs are listed again
    assert tab.background_busy()
    qtbot.waitUntil(lambda: not tab.background_busy(), timeout=60_000)  # the new preview reached the tab
    assert not tab._data_page.is_built and not tab._runs_page.is_built
    tab.pages.setCurrentIndex(1)  # Data
    assert tab._data_page.is_built
    assert tab.preview_label.text().startswith("train.jsonl: 1,000 examples")  # at once: it came before
    assert tab.preview_table.rowCount() == 50
    tab.pages.setCurrentIndex(2)  # Runs
    assert tab._runs_page.is_built
    assert [tab.runs_list.item(i).text() for i in range(tab.runs_list.count())] == ["old-run"]


def test_stats_follow_an_edit_of_r(window, qtbot):
    tab = window.train_tab
    qtbot.waitUntil(lambda: "/" in tab.stats_label.text(), timeout=60_000)
    before = tab.stats_label.text()
    tab.form.editor("lora.r").setValue(4)
    qtbot.waitUntil(lambda: tab.stats_label.text() not in (before, "—"), timeout=30_000)
    from igrag_gui.core.methods.params import count_parameters
    assert tab.stats_label.text().startswith(f"{count_parameters(tab.config()).trainable:,} / ")
    assert window.windowTitle().startswith("demo.yaml[*]") and window.isWindowModified()


def test_invalid_values_disable_start_with_the_reason(window, qtbot, tmp_path):
    tab = window.train_tab
    fp16 = tab.form.editor("training.fp16")
    bf16 = tab.form.editor("training.bf16")
    qtbot.mouseClick(fp16, Qt.LeftButton)
    qtbot.mouseClick(bf16, Qt.LeftButton)
    assert not tab.start_button.isEnabled()
    assert tab.reason_label.text() == ("Start is disabled: training.bf16: fp16 and bf16 are both true; choose one "
                                       "precision (set the other to false)")
    assert tab.form.message_label("training.bf16").text().startswith("fp16 and bf16 are both true")
    qtbot.mouseClick(bf16, Qt.LeftButton)
    assert tab.start_button.isEnabled()
    train_path = tab.form.editor("data.train_path")
    train_path.setText(str(tmp_path / "missing.jsonl"))
    qtbot.waitUntil(lambda: not tab.start_button.isEnabled(), timeout=5000)  # the disk: once typing pauses
    assert "data.train_path: file" in tab.reason_label.text()


def test_train_from_the_tab_for_real(window, qtbot, tmp_path):
    tab = window.train_tab
    set_output(tab, tmp_path / "run", training__max_steps=6, training__eval_strategy="steps", training__eval_steps=3,
               training__logging_steps=1)
    with qtbot.waitSignal(tab.running_changed, timeout=5000):
        qtbot.mouseClick(tab.start_button, Qt.LeftButton)
    assert not tab.start_button.isEnabled() and tab.stop_button.isEnabled()
    with qtbot.waitSignal(tab.running_changed, timeout=LONG):
        pass
    closing = tab.live.history.closing
    assert isinstance(closing, Finished) and not closing.stopped and closing.step == 6
    assert tab.outcome.kind == "finished" and tab.outcome.adapter == str(tmp_path / "run")
    assert tab.outcome_label.text() == describe(closing)  # the CLI's and the log's wording
    assert tab.outcome_label.text().startswith("Finished 6 steps in ")
    tab.live.redraw_now()
    assert tab.live.history.steps() == [1, 2, 3, 4, 5, 6] and tab.live.eval_count() == 2
    log = tab.live.log_text().splitlines()  # each event once: from its event, not again from stderr
    assert sum(line.startswith("training: ") for line in log) == 1 and log.count(describe(closing)) == 1
    assert [line.split(" [")[0] for line in log if line.startswith("step ")] == [f"step {i}/6" for i in range(1, 7)]
    assert (tmp_path / "run" / "adapter_model.safetensors").is_file()
    assert tab.runs_list.count() >= 1
    # what comes next: Inspect it (its Recent list has it already) or try it
    assert tab.inspect_button.isVisibleTo(tab) and tab.try_button.isVisibleTo(tab)
    assert window.inspect_tab.recent()[0] == str(tmp_path / "run")
    with qtbot.waitSignal(tab.inspect_adapter, timeout=5000) as inspected:
        qtbot.mouseClick(tab.inspect_button, Qt.LeftButton)
    assert inspected.args == [str(tmp_path / "run")]
    assert window.tabs.currentWidget() is window._inspect_page


def test_stop_then_resume_from_the_tab(window, qtbot, tmp_path):
    tab = window.train_tab
    set_output(tab, tmp_path / "run", training__max_steps=12, training__eval_strategy="no", training__logging_steps=1)
    qtbot.mouseClick(tab.start_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: tab.live.redraw_now() or tab.live.point_count() >= 2, timeout=LONG)
    with qtbot.waitSignal(tab.running_changed, timeout=LONG):
        qtbot.mouseClick(tab.stop_button, Qt.LeftButton)
    stop = tab.live.history.closing  # the value from the run model, not parsed out of the text
    assert isinstance(stop, Finished) and stop.stopped and tab.outcome.kind == "stopped"
    stopped_at = stop.step
    assert 2 <= stopped_at < 12 and stop.checkpoint == str(tmp_path / "run" / f"checkpoint-{stopped_at}")
    assert tab.outcome_label.text() == describe(stop)
    assert not tab.inspect_button.isVisibleTo(tab)  # a stopped run has no adapter to inspect yet
    assert tab.live.history.steps() == list(range(1, stopped_at + 1))
    assert tab.resume_button.isEnabled()
    with qtbot.waitSignal(tab.running_changed, timeout=5000):
        qtbot.mouseClick(tab.resume_button, Qt.LeftButton)
    with qtbot.waitSignal(tab.running_changed, timeout=LONG):
        pass
    closing = tab.live.history.closing
    assert isinstance(closing, Finished) and not closing.stopped and closing.step == 12
    # the run's own record: the resumed stretch starts at the checkpoint and trains stopped_at + 1 first
    events = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    starts = [i for i, e in enumerate(events) if e["event"] == "started"]
    assert len(starts) == 2 and events[starts[1]]["start_step"] == stopped_at
    first_after_resume = next(e["step"] for e in events[starts[1]:] if e["event"] == "log")
    assert first_after_resume == stopped_at + 1
    # the window's curve continues from the stop: every step once, in order, no restart at 1
    tab.live.redraw_now()
    assert tab.live.history.steps() == list(range(1, 13))


def test_a_killed_child_is_reported_and_the_window_stays(window, qtbot, tmp_path):
    tab = window.train_tab
    set_output(tab, tmp_path / "run", training__max_steps=400, training__eval_strategy="no",
               training__save_strategy="steps", training__save_steps=2, training__logging_steps=1)
    qtbot.mouseClick(tab.start_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: (tmp_path / "run" / "checkpoint-2").is_dir(), timeout=LONG)
    with qtbot.waitSignal(tab.running_changed, timeout=60_000):
        os.kill(tab.runner.child_pid(), signal.SIGKILL)
    text = tab.outcome_label.text()
    assert tab.outcome.kind == "failed" and tab.live.history.status == "failed"
    assert text.startswith("The training process was killed by signal 9 before finishing. The last good "
                           "checkpoint is ")
    assert text.endswith("; Resume continues from it.")
    assert tab.resume_button.isEnabled() and window.isVisible()


def test_the_runs_page_says_when_there_is_no_run(window, qtbot, tmp_path):
    tab = window.train_tab
    tab.form.editor("training.output_dir").setText(str(tmp_path / "runs" / "first"))
    tab.pages.setCurrentWidget(tab._runs_page)
    page = tab.runs_page
    assert page.runs_list.count() == 0 and not page.runs_list.isVisibleTo(page)
    assert page.empty_label.isVisibleTo(page)
    assert page.empty_label.text() == (f"No runs yet. A run appears here once it has trained (its metrics.jsonl) in "
                                       f"{tmp_path / 'runs' / 'first'} or beside it.")
    run = tmp_path / "runs" / "old-run"
    run.mkdir(parents=True)
    (run / "metrics.jsonl").write_text("")
    page.refresh()
    assert [page.runs_list.item(i).text() for i in range(page.runs_list.count())] == ["old-run"]
    assert not page.empty_label.isVisibleTo(page) and page.runs_list.isVisibleTo(page)


def test_yaml_round_trip_through_the_ui(window, qtbot, tmp_path):
    source = tmp_path / "mine.yaml"
    doc = yaml.safe_load(demo_config_path().read_text())
    doc["lora"]["alpha"] = doc["lora"].pop("lora_alpha")
    doc["lora"]["my_note"] = "keep"
    for key in ("train_path", "val_path"):
        doc["data"][key] = str((demo_config_path().parent / doc["data"][key]).resolve())
    doc["model"]["base_model_path"] = str((demo_config_path().parent / doc["model"]["base_model_path"]).resolve())
    source.write_text(yaml.safe_dump(doc, sort_keys=False))
    assert window.open_config(source)
    window.train_tab.form.editor("lora.r").setValue(8)
    assert window.windowTitle().startswith("mine.yaml[*]") and window.isWindowModified()
    assert window.save()
    saved = yaml.safe_load(source.read_text())
    assert saved["lora"]["r"] == 8 and saved["lora"]["alpha"] == doc["lora"]["alpha"]
    assert saved["lora"]["my_note"] == "keep" and "lora_alpha" not in saved["lora"]
    assert window.windowTitle().startswith("mine.yaml[*] —") and not window.isWindowModified()
    assert str(source) == window.recent_files()[0]


def test_copy_command_carries_unsaved_edits(window, qtbot):
    window.train_tab.form.editor("lora.r").setValue(8)
    text = window.train_tab.copy_command("igrag")
    assert text == f"igrag train {demo_config_path()} --set 'lora.r=8'"
    assert QGuiApplication.clipboard().text() == text
    accel = window.train_tab.copy_command("accelerate")
    assert accel.startswith("accelerate launch --num_processes 2 -m igrag_gui train ")


def test_dropping_a_yaml_opens_it(window, qtbot, tmp_path):
    other = tmp_path / "dropped.yaml"
    other.write_text(demo_config_path().read_text().replace("../", str(demo_config_path().parent.parent) + "/"))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(other))])
    event = QDropEvent(QPointF(10, 10), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    window.dropEvent(event)
    assert window.windowTitle().startswith("dropped.yaml[*]")


def test_quitting_during_a_run_stops_it_and_leaves_no_child(window, qtbot, tmp_path, monkeypatch):
    tab = window.train_tab
    set_output(tab, tmp_path / "run", training__max_steps=400, training__eval_strategy="no", training__logging_steps=1)
    qtbot.mouseClick(tab.start_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: tab.live.redraw_now() or tab.live.point_count() >= 1, timeout=LONG)
    pid = tab.runner.child_pid()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Yes)
    assert window.close() is False  # the close returns at once: the GUI thread never waits for the child
    assert window.isVisible() and window.quitting and tab.is_running()
    assert window.statusBar().currentMessage() == "Stopping… saving a resumable checkpoint, then quitting"
    assert window.windowTitle().startswith("Stopping… — ")
    turns, times = [], {}
    alive = QTimer(window)  # the GUI thread keeps turning its loop (painting) while the child stops
    alive.timeout.connect(lambda: turns.append(window.isVisible()))
    alive.start(20)
    tab.runner.ended.connect(lambda *_: times.setdefault("child_ended", time.monotonic()), Qt.DirectConnection)
    tab.running_changed.connect(lambda running: times.setdefault("closed", (time.monotonic(), window.isVisible())))
    with qtbot.waitSignal(tab.running_changed, timeout=120_000):
        pass  # the step in flight ends, the child saves and exits
    alive.stop()
    assert not window.isVisible()  # closed by the run's end, in the same turn of the event loop
    assert turns and all(turns)  # the loop ran while stopping, with the window up
    closed_at, visible = times["closed"]
    assert not visible and closed_at - times["child_ended"] < 2.0  # the bound: within 2 s of the end
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert any(p.name.startswith("checkpoint-") for p in (tmp_path / "run").iterdir())


def test_screenshot_option_renders_every_tab(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "IGRAG_SCREENSHOT_DELAY_MS": "1500",
           "XDG_CONFIG_HOME": str(tmp_path / "config")}
    result = subprocess.run([sys.executable, "-m", "igrag_gui.app", "--screenshot", str(tmp_path / "shots")],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "shots").iterdir()) == ["inspect.png", "playground.png", "train.png"]
