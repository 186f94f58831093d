"""``igrag-gui --self-test [PATH]``: check an installation through its own window.

First the config the window opened (PATH, or the one a double-click opens: in an installed app
the user's copy of the demo) is checked as it is, unchanged: it validates, Start is enabled and
its output folder is writable. Then that config is trained for a few steps from the Train tab
(the real child process, started the way the window starts it: from a bundle, the frozen
executable itself) into its own output folder, the adapter it saved is inspected in the Inspect
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

from PySide6.QtCore import QEventLoop, QThreadPool, QTimer

from . import ops

SAMPLE_PROMPT = ("Write a caption for the image.\nSimilar images: a dog runs on the grass | a brown dog "
                 "playing in a park.\nObjects: dog (left), frisbee (top)\nCaption:")


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
    """Drive ``window`` (a shown ``MainWindow``) through its config, training, inspection and generation."""
    failures = 0

    def report(name: str, ok: bool, detail: str, started: float) -> None:
        nonlocal failures
        failures += not ok
        print(f"self-test: {'ok' if ok else 'FAILED'} {name} ({time.monotonic() - started:.1f} s): {detail}",
              flush=True)

    print(f"self-test: status bar: {window.statusBar().currentMessage()}", flush=True)
    tab = window.train_tab
    started = time.monotonic()
    _wait(lambda: "/" in tab.stats_label.text() or bool(tab.model_problem), 300)  # Start waits for the model
    cfg = tab.config()
    errors = [p for p in tab.problems(cfg) if p.severity == "error"]
    output = Path(os.path.abspath(cfg.output_path))
    unwritable = output_writable(output)
    checks = [f"{cfg.source} validates" if not errors else f"{cfg.source}: {errors[0].field}: {errors[0].message}",
              "Start is enabled" if tab.start_button.isEnabled() else tab.reason_label.text(),
              unwritable or f"output folder {output} is writable"]
    report("the config as opened", not errors and tab.start_button.isEnabled() and not unwritable and not tab.modified,
           "; ".join(checks) + ("; but the form was edited" if tab.modified else ""), started)
    report("parameter counts", "/" in tab.stats_label.text(), tab.model_problem or tab.stats_label.text(), started)
    if failures:
        print(f"self-test: {failures} check(s) failed", flush=True)
        return 1

    started = time.monotonic()
    began = tab.start(max_steps=steps)
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
    window.inspect([run])
    inspect = window.inspect_tab
    _wait(lambda: not inspect.busy() and inspect.current is not None, 120)
    verdict = inspect.card.verdict_label.text()
    report("inspect the adapter", verdict == "LoRA", verdict or inspect.message_label.text(), started)

    started = time.monotonic()
    window.try_in_playground(str(run))
    play = window.playground_tab
    _wait(lambda: play.session is not None and not play.loading and play.adapter_list.count() == 1, 300)
    play.prompt_edit.setPlainText(SAMPLE_PROMPT)
    play.max_new_tokens.setValue(12)
    generated = play.generate() and _wait(lambda: not play.generating and bool(play.last_stats), 300)
    outputs = {label: view.toPlainText() for label, view in play.columns.items()}
    report("generate with base and adapter", bool(generated and len(outputs) == 2 and all(outputs.values())),
           " | ".join(f"{k}: {v!r}" for k, v in outputs.items()) or play.model_panel.status.text(), started)

    QThreadPool.globalInstance().waitForDone(60_000)
    ops.wait_idle(60)
    print(f"self-test: {'all checks passed' if not failures else f'{failures} check(s) failed'}", flush=True)
    return 1 if failures else 0
