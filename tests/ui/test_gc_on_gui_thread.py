"""Garbage collection happens on the GUI thread, never on a worker that happens to allocate."""

from __future__ import annotations

import gc
import threading

from igrag_gui.ui.gc_on_gui_thread import GuiThreadCollector


class Cycle:
    freed_on: list[str] = []

    def __init__(self):
        self.me = self

    def __del__(self):
        Cycle.freed_on.append(threading.current_thread().name)


def test_cycles_made_anywhere_are_freed_on_the_gui_thread(qtbot, qapp):
    collector = GuiThreadCollector()
    try:
        assert not gc.isenabled()

        def worker():  # allocates far past generation 0's threshold: no collection may run here
            for _ in range(20 * collector.thresholds[0]):
                Cycle()

        thread = threading.Thread(target=worker, name="worker")
        thread.start()
        thread.join()
        assert "worker" not in Cycle.freed_on
        qtbot.waitUntil(lambda: len(Cycle.freed_on) > 0, timeout=5000)
        assert set(Cycle.freed_on) == {threading.main_thread().name}
    finally:
        collector.stop()
        Cycle.freed_on.clear()
    assert gc.isenabled()
