"""Start-up: time until igrag-gui's main window is painted, versus a bare PySide6 window.

    .venv/bin/python benchmarks/startup.py [--rounds 5]

Each measurement is a fresh Python process (the two kinds alternate, so load on the machine
hits both alike). The clock starts just before the process is spawned and stops when the first
frame of the window has been painted (the first Paint event's frame, plus the event-loop turn
that finishes it). The child also reports whether torch was already imported at that moment:
the window must paint before any heavy import. Goal: median ratio <= 2.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, os, sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

kind = sys.argv[1]
app = QApplication(sys.argv[:1])  # igrag-gui's open_window takes the running instance

def report():
    print(json.dumps({"painted": time.time(), "torch": "torch" in sys.modules,
                      "transformers": "transformers" in sys.modules, "peft": "peft" in sys.modules}),
          flush=True)
    os._exit(0)  # background readers may still be busy; the measurement is done

class FirstPaint(QObject):
    # watches one window: a filter on the application would tax every event of the start-up
    seen = False
    def eventFilter(self, obj, event):
        if not self.seen and event.type() == QEvent.Type.Paint:
            self.seen = True
            QTimer.singleShot(0, report)
        return False

spy = FirstPaint()
if kind == "bare":
    window = QMainWindow()
    window.setCentralWidget(QLabel("hello"))
    window.resize(1280, 860)
    window.installEventFilter(spy)
    window.show()
    app.exec()
else:  # the real entry point, as `igrag-gui` runs it (arguments parsed, last config opened)
    import igrag_gui.app as entry
    real_open = entry.open_window
    def open_watched(*args, **kwargs):
        app, window = real_open(*args, **kwargs)  # shown; its first frame comes in the event loop
        window.installEventFilter(spy)
        return app, window
    entry.open_window = open_watched
    entry.main([])
"""


def once(kind: str, env: dict[str, str]) -> dict:
    start = time.time()
    out = subprocess.run([sys.executable, "-c", CHILD, kind], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=300)
    if out.returncode != 0:
        raise SystemExit(f"{kind} child failed:\n{out.stderr}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["seconds"] = result["painted"] - start
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-bytecode-cache", action="store_true",
                        help="compile every module from source at each start (as with "
                             "PYTHONDONTWRITEBYTECODE=1 in a source checkout) instead of using .pyc files "
                             "as an installed app or the bundle does")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "XDG_CONFIG_HOME": home, "HF_HUB_OFFLINE": "1"}  # fresh QSettings
        if args.no_bytecode_cache:
            env["PYTHONDONTWRITEBYTECODE"] = "1"
        else:  # the warm-up start writes the caches (outside the source tree); the rounds use them
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(Path(home) / "pycache")
        env.setdefault("QT_QPA_PLATFORM", "offscreen" if not os.environ.get("DISPLAY") else "xcb")
        once("bare", env), once("app", env)  # warm the file cache for both
        bare, app = [], []
        for i in range(args.rounds):
            b, a = once("bare", env), once("app", env)
            bare.append(b["seconds"])
            app.append(a["seconds"])
            heavy = [name for name in ("torch", "transformers", "peft") if a[name]]
            print(f"round {i + 1}: bare {b['seconds']:.3f} s  igrag-gui {a['seconds']:.3f} s  "
                  f"ratio {a['seconds'] / b['seconds']:.2f}  heavy modules at paint: {heavy or 'none'}")
    ratio = statistics.median(app) / statistics.median(bare)
    print(f"median: bare PySide6 window {statistics.median(bare):.3f} s, igrag-gui main window "
          f"{statistics.median(app):.3f} s; ratio {ratio:.2f} (goal <= 2) "
          f"[platform {env['QT_QPA_PLATFORM']}; "
          f"{'no bytecode cache' if args.no_bytecode_cache else 'bytecode cached, as installed'}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
