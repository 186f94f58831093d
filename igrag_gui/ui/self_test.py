"""``igrag-gui --self-test DIR``: check an installation through its own window.

Trains the demo for a few steps from the Train tab (the real child process, started the way the
window starts it: from a bundle, the frozen executable itself), inspects the adapter it saved in
the Inspect tab, and generates with base and adapter in the Playground. Prints one line per
check and returns 0 when all pass. The bundle's smoke test runs it; users can too, to tell a
broken installation from a broken config.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QEventLoop, QThreadPool, QTimer

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


def run_self_test(window, folder: Path, steps: int = 3) -> int:
    """Drive ``window`` (a shown ``MainWindow``) through training, inspection and generation."""
    folder = Path(folder).resolve()
    run = folder / "self-test-run"
    failures = 0

    def report(name: str, ok: bool, detail: str, started: float) -> None:
        nonlocal failures
        failures += not ok
        print(f"self-test: {'ok' if ok else 'FAILED'} {name} ({time.monotonic() - started:.1f} s): {detail}",
              flush=True)

    tab = window.train_tab
    started = time.monotonic()
    form = tab.form
    form.editor("training.output_dir").setText(str(run))
    form.editor("training.eval_strategy").setCurrentText("no")
    form.editor("training.logging_steps").setValue(1)
    ready = _wait(lambda: "/" in tab.stats_label.text(), 300)
    report("parameter counts", ready, tab.stats_label.text(), started)

    started = time.monotonic()
    began = tab.start(max_steps=steps)
    finished = began and _wait(lambda: not tab.is_running(), 900)
    adapter = run / "adapter_model.safetensors"
    report("training from the Train tab", bool(finished and adapter.is_file()),
           tab.outcome_label.text() or "did not start: " + tab.reason_label.text(), started)
    if not adapter.is_file():
        return 1

    started = time.monotonic()
    window.inspect([run])
    inspect = window.inspect_tab
    _wait(lambda: inspect._pending == 0 and inspect.current is not None, 120)
    verdict = inspect.verdict_label.text()
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
           " | ".join(f"{k}: {v!r}" for k, v in outputs.items()) or play.model_status.text(), started)

    QThreadPool.globalInstance().waitForDone(60_000)
    print(f"self-test: {'all checks passed' if not failures else f'{failures} check(s) failed'}", flush=True)
    return 1 if failures else 0
