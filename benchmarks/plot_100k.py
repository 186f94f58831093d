"""Live view at scale: time to take N training-log events, and the time of one redraw, for
N = 1,000 / 10,000 / 100,000. Plain script; prints a table and the ratio redraw(100k)/redraw(1k).

    .venv/bin/python benchmarks/plot_100k.py [--repeats 5]

Columns (medians over the repeats, one process):
- append: feeding N ``Logged`` events (plus an ``Evaluated`` every N/50) to ``LiveView.on_event``
  with no redraw in between (the events are built beforehand, so this times the view alone);
- redraw: ``redraw_now()`` after those N points, i.e. pushing all series into the curves;
- redraw+paint: the same, then painting the plots (``grab()`` of the plot area, offscreen);
- +10 & paint: the steady state of a live run: 10 more points, ``redraw_now()`` and a paint.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtWidgets import QApplication  # noqa: E402

from igrag_gui.core.training.events import Evaluated, Logged, Started  # noqa: E402
from igrag_gui.ui.live import LiveView  # noqa: E402

SIZES = (1_000, 10_000, 100_000)


def make_events(n: int, total: int) -> list:
    events = [Started(trainable=1_769_472, total=249_347_328, percent=0.7096, max_steps=total,
                      num_train_examples=2000, num_val_examples=200, effective_batch_size=16)]
    every = max(1, n // 50)
    for s in range(1, n + 1):
        loss = 0.6 + 3.5 * math.exp(-s / (n / 8)) + 0.1 * math.sin(s * 0.37)
        events.append(Logged(step=s, max_steps=total, epoch=s / 1000, loss=loss, learning_rate=1e-3 * (1 - s / total),
                             samples_per_second=200.0, elapsed=s * 0.1, eta=(total - s) * 0.1))
        if s % every == 0:
            events.append(Evaluated(step=s, epoch=s / 1000, eval_loss=loss, scores={"bleu4": 0.3 * (1 - math.exp(-s / n))},
                                    best=True))
    return events


def extra_events(start: int, total: int) -> list:
    return [Logged(step=s, max_steps=total, epoch=s / 1000, loss=0.5, learning_rate=1e-4)
            for s in range(start, start + 10)]


def measure(app: QApplication, view: LiveView, n: int, repeats: int) -> dict[str, float]:
    total = n + 1000
    events, extra = make_events(n, total), extra_events(n + 1, total)
    times: dict[str, list[float]] = {"append": [], "redraw": [], "redraw+paint": [], "+10 & paint": []}
    for _ in range(repeats):
        view.clear()
        app.processEvents()
        t0 = time.perf_counter()
        for event in events:
            view.on_event(event)
        t1 = time.perf_counter()
        view.redraw_now()
        t2 = time.perf_counter()
        view.plots.grab()
        t3 = time.perf_counter()
        assert view.point_count() == n, (view.point_count(), n)
        for event in extra:
            view.on_event(event)
        t4 = time.perf_counter()
        view.redraw_now()
        view.plots.grab()
        t5 = time.perf_counter()
        times["append"].append(t1 - t0)
        times["redraw"].append(t2 - t1)
        times["redraw+paint"].append(t3 - t1)
        times["+10 & paint"].append(t5 - t4)
    return {k: statistics.median(v) for k, v in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    view = LiveView()
    view.resize(1000, 760)
    view.show()
    app.processEvents()
    measure(app, view, 1_000, 1)  # warm-up: first paint, font and glyph caches
    rows = {n: measure(app, view, n, args.repeats) for n in SIZES}
    print(f"LiveView, median of {args.repeats} (QT_QPA_PLATFORM={os.environ['QT_QPA_PLATFORM']})")
    print(f"{'points':>9} | {'append':>9} | {'per point':>9} | {'redraw':>9} | {'redraw+paint':>12} | {'+10 & paint':>11}")
    for n, r in rows.items():
        print(f"{n:>9,} | {r['append'] * 1e3:7.1f}ms | {r['append'] / n * 1e6:7.2f}us | {r['redraw'] * 1e3:7.2f}ms"
              f" | {r['redraw+paint'] * 1e3:10.2f}ms | {r['+10 & paint'] * 1e3:9.2f}ms")
    lo, hi = rows[SIZES[0]], rows[SIZES[-1]]
    print(f"ratio redraw(100k)/redraw(1k): {hi['redraw'] / lo['redraw']:.1f}x redraw, "
          f"{hi['redraw+paint'] / lo['redraw+paint']:.1f}x redraw+paint, "
          f"{hi['+10 & paint'] / lo['+10 & paint']:.1f}x +10 & paint "
          f"(points: {SIZES[-1] // SIZES[0]}x)")


if __name__ == "__main__":
    main()
