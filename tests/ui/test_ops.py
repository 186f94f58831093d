"""ops: coroutines on qasync's loop await work run on executors; cancel and failures come back."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from PySide6.QtWidgets import QWidget

from igrag_gui.core.errors import UserError
from igrag_gui.core.task_state import TaskState
from igrag_gui.ui import ops


def test_a_coroutine_awaits_work_done_on_another_thread(qtbot):
    gui_thread = threading.get_ident()
    seen: dict[str, object] = {}

    def add(a: int, b: int) -> tuple[int, int]:
        return a + b, threading.get_ident()

    async def flow() -> None:
        total, worker = await ops.run(add, 2, 3)
        seen["total"], seen["worker"] = total, worker
        seen["resumed_on"] = threading.get_ident()

    ops.start(flow())
    qtbot.waitUntil(lambda: "total" in seen, timeout=5000)
    assert seen["total"] == 5
    assert seen["worker"] != gui_thread and seen["resumed_on"] == gui_thread


def test_ml_work_runs_one_call_at_a_time_and_light_work_alongside(qtbot):
    active, peak, lock = [0], [0], threading.Lock()

    def busy() -> None:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.05)
        with lock:
            active[0] -= 1

    results: list[str] = []

    async def flow(ml: bool) -> None:
        await asyncio.gather(*(ops.run(busy, ml=ml) for _ in range(3)))
        results.append("ml" if ml else "light")

    ops.start(flow(True))
    qtbot.waitUntil(lambda: results == ["ml"], timeout=5000)
    assert peak[0] == 1
    peak[0] = 0
    ops.start(flow(False))
    qtbot.waitUntil(lambda: results == ["ml", "light"], timeout=5000)
    assert peak[0] > 1


def test_cancelling_the_task_reaches_the_function_through_its_state(qtbot):
    entered, stopped = threading.Event(), threading.Event()
    steps: list[int] = []

    def long_work(state: TaskState) -> None:
        entered.set()
        for step in range(10_000):
            state.raise_if_cancelled()
            steps.append(step)
            time.sleep(0.005)
        stopped.set()  # only reached when the cancel never arrives

    state = TaskState()
    outcome: list[str] = []

    async def flow() -> None:
        try:
            await ops.run(long_work, state=state)
        except asyncio.CancelledError:
            outcome.append("cancelled")
            raise

    task = ops.start(flow())
    qtbot.waitUntil(entered.is_set, timeout=5000)
    task.cancel()
    qtbot.waitUntil(lambda: outcome == ["cancelled"], timeout=5000)
    assert state.cancelled()
    assert ops.wait_idle(5)
    assert not stopped.is_set() and len(steps) < 10_000


@pytest.mark.parametrize("error, expected", [
    (UserError("model folder /x has no config.json: choose a model folder"),
     "model folder /x has no config.json: choose a model folder"),
    (ZeroDivisionError("division by zero"), "internal error: ZeroDivisionError: division by zero (details in "),
])
def test_an_exception_comes_back_to_the_coroutine(qtbot, tmp_path, monkeypatch, error, expected):
    monkeypatch.setenv("IGRAG_LOG_DIR", str(tmp_path))

    def fail() -> None:
        raise error

    caught: list[ops.TaskFailed] = []

    async def flow() -> None:
        try:
            await ops.run(fail)
        except ops.TaskFailed as exc:
            caught.append(exc)

    ops.start(flow())
    qtbot.waitUntil(lambda: bool(caught), timeout=5000)
    assert caught[0].message.startswith(expected)
    assert caught[0].__cause__ is error
    if not isinstance(error, UserError):
        assert "ZeroDivisionError" in (tmp_path / "igrag.log").read_text()


def test_progress_reaches_the_gui_thread_newest_value_first(qtbot):
    gui_thread = threading.get_ident()
    seen: list[tuple[float, int]] = []
    statuses: list[str] = []

    def work(state: TaskState) -> str:
        for step in range(1, 101):
            state.set_progress(step / 100)
        state.set_status("done counting")
        return "ok"

    state = ops.gui_state(on_progress=lambda f: seen.append((f, threading.get_ident())),
                          on_status=statuses.append)
    result: list[str] = []

    async def flow() -> None:
        result.append(await ops.run(work, state=state))

    ops.start(flow())
    qtbot.waitUntil(lambda: bool(result) and statuses == ["done counting"] and seen and seen[-1][0] == 1.0,
                    timeout=5000)
    assert all(thread == gui_thread for _, thread in seen)
    assert [f for f, _ in seen] == sorted(f for f, _ in seen)  # newest wins, never goes back


def test_latest_cancels_the_previous_request_and_delivers_only_the_newest(qtbot):
    latest = ops.Latest()
    shown: list[str] = []
    states: list[TaskState] = []
    release = threading.Event()

    def slow(name: str, state: TaskState) -> str:
        while not release.wait(0.01):
            state.raise_if_cancelled()
        return name

    async def request(name: str) -> None:
        state = TaskState()
        states.append(state)
        shown.append(await ops.run(slow, name, state=state))

    first = latest.start(request("first"))
    qtbot.wait(50)
    second = latest.start(request("second"))
    qtbot.waitUntil(first.done, timeout=5000)
    assert first.cancelled() and states[0].cancelled()
    release.set()
    qtbot.waitUntil(second.done, timeout=5000)
    assert shown == ["second"] and not latest.running()


def test_a_flow_is_cancelled_when_its_owner_is_destroyed(qtbot):
    owner = QWidget()
    release = threading.Event()
    reached: list[str] = []

    async def flow() -> None:
        await ops.run(release.wait, 5)
        reached.append("after")  # would touch a deleted widget

    task = ops.start(flow(), owner=owner)
    qtbot.wait(20)
    owner.deleteLater()
    qtbot.waitUntil(task.done, timeout=5000)
    release.set()
    assert task.cancelled() and reached == []


def test_nothing_starts_before_the_window_has_painted(qtbot):
    from igrag_gui.ui import workers

    window = QWidget()
    workers.hold_until_painted(window, fallback_ms=60_000)
    ran: list[str] = []

    async def flow() -> None:
        await ops.run(ran.append, "ran")

    task = ops.start(flow())
    qtbot.wait(100)
    assert ran == [] and not task.done()
    window.show()
    qtbot.waitUntil(task.done, timeout=5000)
    assert ran == ["ran"]
    window.close()


def test_qasync_still_has_the_private_flag_we_fence(qapp):
    """ui/qasync_private.py sets qasync's running flag; a qasync without it fails here, loudly."""
    import qasync

    from igrag_gui.ui.qasync_private import RUNNING_FLAG

    loop = qasync.QEventLoop(qapp, already_running=True)
    try:
        assert getattr(loop, RUNNING_FLAG) is True
    finally:
        from igrag_gui.ui.qasync_private import mark_stopped

        mark_stopped(loop)
        assert getattr(loop, RUNNING_FLAG) is False
        loop.close()
        from igrag_gui.ui import ops

        ops.install_event_loop(qapp)  # the fixture's loop for the rest of the test


def test_no_other_module_names_qasync_private_state():
    from pathlib import Path

    package = Path(__file__).resolve().parents[2] / "igrag_gui"
    users = sorted(str(p.relative_to(package)) for p in package.rglob("*.py") if "_QEventLoop__" in p.read_text())
    assert users == ["ui/qasync_private.py"]
