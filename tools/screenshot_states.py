"""Render the Train tab in each state a user meets: idle, invalid, training, finished, failed.

    python tools/screenshot_states.py --out shots [--color-scheme dark] [--steps 40]

It drives a real window (real child-process training of the demo, a few steps) and saves
``<state>.png`` in the folder; use it to look at the app after a UI change, in light and dark,
and at ``QT_SCALE_FACTOR=2`` for high DPI. Needs a display or ``QT_QPA_PLATFORM=offscreen``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--color-scheme", choices=("system", "light", "dark"), default="system")
    parser.add_argument("--steps", type=int, default=40, help="steps of the demo run to train")
    parser.add_argument("--inspect", type=Path, action="append", default=[], metavar="PATH",
                        help="also render the Inspect tab with PATH (repeatable; a broken file shows its error)")
    parser.add_argument("--playground", type=Path, metavar="ADAPTER",
                        help="also render the Playground: demo base + ADAPTER, side by side and a batch")
    parser.add_argument("--compare", type=Path, metavar="FOLDER",
                        help="also render Train > Compare with every run under FOLDER ticked (a sweep's folder)")
    parser.add_argument("--compare-curve", default="train_loss", help="the curve to show (train_loss, bleu4, ...)")
    parser.add_argument("--skip-train", action="store_true", help="only the Inspect/Playground renders")
    args = parser.parse_args(argv)

    from PySide6.QtCore import QSettings, QThreadPool
    from PySide6.QtWidgets import QApplication

    from igrag_gui.resources import demo_config_path
    from igrag_gui.ui.main_window import MainWindow
    from igrag_gui.ui.theme import apply_color_scheme

    app = QApplication(sys.argv[:1])
    apply_color_scheme(app, args.color_scheme)
    work = Path(tempfile.mkdtemp(prefix="igrag-shots-"))
    window = MainWindow(demo_config_path(), settings=QSettings(str(work / "s.ini"), QSettings.IniFormat),
                        confirm_close=False)
    window.resize(1400, 900)
    window.show()
    tab = window.train_tab
    args.out.mkdir(parents=True, exist_ok=True)

    def wait(condition, timeout: float = 300.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError(f"the window did not reach the expected state: {tab.stats_label.text()!r} "
                                   f"{tab.preview_label.text()!r} {tab.outcome_label.text()!r}")
            app.processEvents()
            time.sleep(0.02)

    def shot(name: str) -> None:
        QThreadPool.globalInstance().waitForDone(60_000)
        for _ in range(10):
            app.processEvents()
        path = args.out / f"{name}.png"
        window.grab().save(str(path))
        print(path)

    wait(lambda: "/" in tab.stats_label.text() and "examples" in tab.preview_label.text())
    if args.compare:
        tab.pages.setCurrentWidget(tab._compare_page)
        page = tab.compare_page
        page.add_folder(args.compare.resolve())
        page.tick(list(page.runs))
        page.curve_box.setCurrentText(args.compare_curve)
        page.x_box.setCurrentText("examples seen")
        shot(f"compare-{args.compare_curve}")
    inspect = window.inspect_tab
    for number, path in enumerate(args.inspect, 1):
        known = len(inspect.reports)
        window.inspect([path])
        wait(lambda: not inspect.busy())
        inspect.pages.setCurrentIndex(1 if len(inspect.reports) > known else 0)
        shot(f"inspect-{number}-{path.name}")
    if args.playground:
        import json

        play = window.playground_tab
        window.try_in_playground(str(args.playground))
        wait(lambda: play.session is not None and not play.loading and play.adapter_list.count() == 1)
        row = json.loads((ROOT / "resources/demo/data/val.jsonl").read_text().splitlines()[0])
        play.prompt_edit.setPlainText(row["prompt"])
        play.generate()
        wait(lambda: not play.generating)
        shot("playground-side-by-side")
        play.pages.setCurrentIndex(1)
        play.batch.limit.setValue(12)
        play.run_batch()
        wait(lambda: play.batch_result is not None)
        shot("playground-batch")
    if args.skip_train:
        window.close()
        return 0
    window.tabs.setCurrentIndex(0)
    shot("idle")

    form = tab.form
    form.editor("training.fp16").setChecked(True)
    form.editor("training.bf16").setChecked(True)
    form.editor("data.val_path").setText(str(work / "missing.jsonl"))
    app.processEvents()
    shot("invalid")
    tab.revert()

    form.editor("training.output_dir").setText(str(work / "run"))
    form.editor("training.max_steps").setValue(args.steps)
    form.editor("training.logging_steps").setValue(1)
    form.editor("training.eval_strategy").setCurrentText("steps")
    form.editor("training.eval_steps").setValue(max(1, args.steps // 2))
    tab.start()
    wait(lambda: tab.live.point_count() >= max(3, args.steps // 4) or not tab.is_running())
    tab.live.redraw_now()
    shot("training")
    wait(lambda: not tab.is_running(), timeout=1800)
    tab.live.redraw_now()
    shot("finished")

    bad = work / "bad.jsonl"
    good = (ROOT / "resources/demo/data/train.jsonl").read_text().splitlines()[:20]
    bad.write_text("\n".join(good[:7] + ['{"prompt": "a prompt", "caption": '] + good[7:]) + "\n")
    form.editor("data.train_path").setText(str(bad))
    form.editor("training.output_dir").setText(str(work / "run-bad"))
    tab.start()
    wait(lambda: not tab.is_running(), timeout=600)
    shot("failed")

    window.close()
    QThreadPool.globalInstance().waitForDone(60_000)
    return 0


if __name__ == "__main__":
    sys.exit(main())
