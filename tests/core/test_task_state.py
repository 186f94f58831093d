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


def test_run_keeps_the_lifecycle_and_the_outcome():
    seen = []
    state = TaskState()
    assert state.state == "pending" and not state.finished

    def work(x: int, state: TaskState) -> int:
        seen.append(state.state)
        return x * 2

    assert state.run(work, 21) == 42
    assert seen == ["running"] and state.state == "done" and state.outcome == 42 and state.finished


def test_a_cancel_while_running_is_cancelling_then_cancelled():
    state = TaskState()

    def work(state: TaskState) -> None:
        state.cancel()
        assert state.state == "cancelling"
        state.raise_if_cancelled()

    with pytest.raises(Cancelled):
        state.run(work)
    assert state.state == "cancelled"


def test_a_failure_keeps_its_first_line_as_the_reason():
    state = TaskState()

    def work(state: TaskState) -> None:
        raise ValueError("the file is damaged\n(details)")

    with pytest.raises(ValueError):
        state.run(work)
    assert state.state == "failed" and state.error == "the file is damaged"


def test_a_part_has_its_own_watchers_and_shares_the_cancel_request():
    details: list[object] = []
    whole = TaskState()
    part = whole.part(on_detail=details.append)
    assert part.watched and not whole.watched
    part.report({"phase": "reading"})
    whole.report({"phase": "nobody hears this"})
    assert details == [{"phase": "reading"}]
    whole.cancel()
    assert part.cancelled()
    with pytest.raises(Cancelled):
        part.raise_if_cancelled()
