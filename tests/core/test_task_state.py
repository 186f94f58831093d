"""TaskState: what a core function gets to report progress and notice a cancel (no Qt)."""

from __future__ import annotations

import threading

import pytest

from igrag_gui.core.task_state import Cancelled, TaskState


def test_progress_is_clamped_and_reported_to_the_watcher():
    seen: list[float] = []
    state = TaskState(on_progress=seen.append)
    for value in (-0.5, 0.25, 1.7):
        state.set_progress(value)
    assert seen == [0.0, 0.25, 1.0]
    assert state.progress == 1.0


def test_status_is_kept_and_reported():
    seen: list[str] = []
    state = TaskState(on_status=seen.append)
    state.set_status("reading tensors")
    assert state.status == "reading tensors" and seen == ["reading tensors"]


def test_a_state_without_watchers_still_records():
    state = TaskState()
    state.set_progress(0.5)
    state.set_status("half")
    assert (state.progress, state.status) == (0.5, "half")


def test_cancel_from_another_thread_stops_a_loop_at_its_next_check():
    state = TaskState()
    started = threading.Event()
    done: list[int] = []

    def work() -> None:
        steps = 0
        started.set()
        try:
            while True:
                state.raise_if_cancelled()
                steps += 1
        except Cancelled:
            done.append(steps)

    worker = threading.Thread(target=work)
    worker.start()
    started.wait(5)
    assert not state.cancelled()
    state.cancel()
    worker.join(5)
    assert not worker.is_alive() and done and state.cancelled()


def test_raise_if_cancelled_is_quiet_until_cancelled_and_cancel_is_idempotent():
    state = TaskState()
    state.raise_if_cancelled()
    state.cancel()
    state.cancel()
    with pytest.raises(Cancelled):
        state.raise_if_cancelled()
