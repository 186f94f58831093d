"""``igrag-gui --self-test [PATH]``: check an installation through its own window.

First the config the window opened (PATH, or the one a double-click opens: in an installed app
the user's copy of the demo) is checked as it is, unchanged: it validates, Start is enabled and
its output folder is writable. Then that config is trained for a few steps from the Train tab
(the real child process, started the way the window starts it: from a bundle, the frozen
executable itself) into its own output folder, as a scratch run (``output_folders``: the next
self-test, or a new run, replaces it; a run the user trained there is never replaced), the adapter it saved is inspected in the Inspect
tab, and base and adapter generate in the Playground. Prints one line per check and returns 0
when all pass. The bundle's smoke test runs it as a user who cannot write to the installation;
users can too, to tell a broken installation from a broken config.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from . import ops

SAMPLE_PROMPT = ("Write a caption for the image.\nSimilar images: a dog runs on the grass | a brown dog "
                 "playing in a park.\nObjects: dog (left), frisbee (top)\nCaption:")


def preflight(path: Path) -> str:
    """Why ``path`` cannot be self-tested (missing, not a config, errors), or empty: checked before
    any window opens, so a bad config ends the self-test at once instead of in a dialog."""
    from ..core.config import load_config
    from ..core.config.run_config import format_problem
    from ..core.errors import UserError

    if not path.is_file():
        return f"{path}: no such file"
    try:
        cfg, _ = load_config(path)
    except UserError as exc:
        return " ".join(exc.lines)
    errors = [p for p in cfg.validate(check_files=True) if p.severity == "error"]
    return "; ".join(format_problem(cfg, p) for p in errors[:3])


class ModalGuard:
    """No dialog may wait for a person during a self-test: one that opens is recorded as a
    failure (its title and text) and closed at once."""

    def __init__(self, report: Callable[[str], None], interval_ms: int = 50):
        self._report = report
        self._timer = QTimer()
        self._timer.timeout.connect(self._close_dialogs)
        self._timer.start(interval_ms)

    def _close_dialogs(self) -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QDialog) and widget.isVisible():
                text = widget.text() if isinstance(widget, QMessageBox) else ""
                self._report(f"a dialog opened: {widget.windowTitle()}: {' '.join(text.split())}".rstrip(": "))
                widget.reject()

    def stop(self) -> None:
        self._timer.stop()


def _wait(condition: Callable[[], bool], timeout_s: float) -> bool:
    """Run the event loop until ``condition()`` holds (checked every 50 ms) or time runs out."""
    loop = QEventLoop()
    check = QTimer()
    check.timeout.connect(lambda: condition() and loop.quit())
    check.start(50)
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    if not condition():
        loop.exec()
    check.stop()
    return condition()


def output_writable(folder: Path) -> str:
    """Empty when a run can write into ``folder`` (created if missing), else why not."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            return ""
    except OSError as exc:
        return f"cannot write to {folder} ({exc.strerror or exc})"


def run_self_test(window, steps: int = 3) -> int:
    """Drive ``window`` (a shown ``MainWindow``) through its config, training, inspection and generation.

    Each wait ends as soon as its check settles, success or failure (the counts' read failing,
    the model not loading, the inspection failing), so a failure is reported when it happens;
    the timeouts are a last resort against a hang.
    """
    failures = 0
    dialogs: list[str] = []

    def report(name: str, ok: bool, detail: str, started: float) -> None:
        nonlocal failures
        failures += not ok
        print(f"self-test: {'ok' if ok else 'FAILED'} {name} ({time.monotonic() - started:.1f} s): {detail}",
              flush=True)

    def dialog_opened(what: str) -> None:
        dialogs.append(what)
        report("no dialog waits for a person", False, what, time.monotonic())

    guard = ModalGuard(dialog_opened)
    try:
        stopped_early = _run_checks(window, steps, report, lambda: bool(dialogs))
    finally:
        guard.stop()
    ops.wait_idle(60)
    failed = failures or stopped_early
    print(f"self-test: {'all checks passed' if not failed else f'{failures} check(s) failed'}", flush=True)
    return 1 if failed else 0


def _run_checks(window, steps: int, report: Callable[[str, bool, str, float], None],
                dialog_seen: Callable[[], bool]) -> int:
    """The checks in order; returns 1 when one failed and the rest could not run."""
    print(f"self-test: status bar: {window.statusBar().currentMessage()}", flush=True)
    tab = window.train_tab
    started = time.monotonic()
    # Start waits for the model; the counts settle as numbers or as the reason they failed.
    _wait(lambda: "/" in tab.stats_label.text() or bool(tab.model_problem or tab.stats_problem) or dialog_seen(),
          300)
    cfg = tab.config()
    errors = [p for p in tab.problems(cfg) if p.severity == "error"]
    output = Path(os.path.abspath(cfg.output_path))
    unwritable = output_writable(output)
    checks = [f"{cfg.source} validates" if not errors else f"{cfg.source}: {errors[0].field}: {errors[0].message}",
              "Start is enabled" if tab.start_button.isEnabled() else tab.reason_label.text(),
              unwritable or f"output folder {output} is writable"]
    config_ok = not errors and tab.start_button.isEnabled() and not unwritable and not tab.modified
    report("the config as opened", config_ok, "; ".join(checks) + ("; but the form was edited" if tab.modified else ""),
           started)
    counted = "/" in tab.stats_label.text()
    report("parameter counts", counted,
           tab.stats_label.text() if counted else (tab.model_problem or tab.stats_problem or "no counts came"),
           started)
    if not (config_ok and counted) or dialog_seen():
        return 1

    started = time.monotonic()
    began = tab.start(max_steps=steps, scratch=True)  # a scratch run: the next self-test replaces it
    finished = began and _wait(lambda: not tab.is_running(), 900)
    closing = tab.live.history.closing
    run = Path(getattr(closing, "output_dir", None) or cfg.output_path).resolve()
    adapter = run / "adapter_model.safetensors"
    report("training from the Train tab", bool(finished and adapter.is_file()),
           f"trained into {run} ({tab.outcome_label.text()})" if began
           else "did not start: " + tab.reason_label.text(), started)
    if not adapter.is_file():
        return 1

    started = time.monotonic()
    inspect = window.inspect_tab
    inspect.failure = None
    window.inspect([run])
    _wait(lambda: not inspect.busy() and (inspect.current is not None or inspect.failure is not None), 120)
    verdict = inspect.card.verdict_label.text() if inspect.current is not None else ""
    report("inspect the adapter", verdict == "LoRA", verdict or inspect.failure or inspect.message_label.text(),
           started)

    started = time.monotonic()
    window.try_in_playground(str(run))
    play = window.playground_tab
    _wait(lambda: play.task is None and not play.pending_adapters, 300)  # loaded and attached, or failed
    loaded = play.session is not None and play.adapter_list.count() == 1
    generated = False
    if loaded:
        play.prompt_edit.setPlainText(SAMPLE_PROMPT)
        play.max_new_tokens.setValue(12)
        generated = play.generate() and _wait(lambda: play.task is None, 300)
    outputs = {label: view.toPlainText() for label, view in play.columns.items()} if generated else {}
    report("generate with base and adapter", bool(generated and len(outputs) == 2 and all(outputs.values())),
           " | ".join(f"{k}: {v!r}" for k, v in outputs.items()) or play.failure or play.model_panel.status.text(),
           started)
    return 0
