"""Python's garbage collection on the GUI thread only.

Automatic collection runs on whichever thread happens to allocate when a threshold is crossed.
When that is a worker (``ops.run`` building a model), it destroys the Qt objects of dead widgets
(pyqtgraph's are full of reference cycles) off the GUI thread while the GUI thread paints, and
the two can deadlock (seen in the UI tests: a ViewBox menu freed on ``igrag-ml_0``). So automatic
collection is turned off and a timer on the GUI thread collects, as often as the thresholds ask.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 500


class GuiThreadCollector(QObject):
    """Collects on the GUI thread at the generation thresholds Python would have used."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.check)
        self.timer.start(INTERVAL_MS)

    def check(self) -> int:
        """Collect the oldest generation whose count crossed its threshold; the number collected."""
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] > self.thresholds[generation]:
                return gc.collect(generation)
        return 0

    def stop(self) -> None:
        self.timer.stop()
        gc.enable()


_collector: GuiThreadCollector | None = None


def collect_on_gui_thread(app: QObject) -> GuiThreadCollector:
    """Turn automatic collection off and collect from ``app``'s thread from now on (once per process)."""
    global _collector
    if _collector is None:
        _collector = GuiThreadCollector(app)
    return _collector
