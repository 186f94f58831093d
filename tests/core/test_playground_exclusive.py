"""``Session.exclusive``: the one public way an operation takes the model (batch, merge and the
session's own methods use it), and the base model's outputs through PEFT's ``disable_adapter()``."""

from __future__ import annotations

import threading
import time

import pytest

from igrag_gui.core.errors import UserError
from igrag_gui.core.playground import GenerationSettings, Session, merge_and_save, run_batch
from igrag_gui.core.playground.batch import BUSY_BATCH
from tests.core.test_playground import demo_run_dir
from igrag_gui.resources import demo_model_path

pytestmark = pytest.mark.slow

SHORT = GenerationSettings(max_new_tokens=8)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return demo_run_dir(tmp_path_factory)


@pytest.fixture(scope="module")
def session(run):
    s = Session.load("demo", demo_folder=demo_model_path(), max_source_length=256)
    s.add_adapter(run[0], name="demo")
    return s


@pytest.fixture(scope="module")
def prompt(run):
    import json

    return json.loads(run[1].read_text().splitlines()[0])["prompt"]


def test_a_second_exclusive_operation_is_refused_with_the_holders_words(session, run, prompt, tmp_path):
    holder = "a batch run is using the model; cancel it or wait for it to finish"
    with session.exclusive(holder) as use:
        assert session.busy
        for second in (lambda: session.generate([prompt]), lambda: session.side_by_side(prompt),
                       lambda: session.stream(prompt), lambda: session.remove_adapter("demo"),
                       lambda: run_batch(session, run[1], [None], SHORT, limit=1),
                       lambda: merge_and_save(session, "demo", tmp_path / "merged")):
            with pytest.raises(UserError) as caught:
                second()
            assert str(caught.value) == holder
        # the holder itself works through its handle
        assert use.generate([prompt], SHORT, "demo")[0].strip()
        use.describe("the adapter 'x' is still loading; wait until it has loaded")
        with pytest.raises(UserError) as caught:
            with session.exclusive("another"):
                pass
        assert str(caught.value) == "the adapter 'x' is still loading; wait until it has loaded"
    assert not session.busy and session.adapters == ["demo"]
    with pytest.raises(RuntimeError) as caught:  # the handle died with its block
        use.generate([prompt], SHORT, "demo")
    assert str(caught.value) == "this ModelUse has ended: use the model only inside session.exclusive()"


def test_another_thread_is_refused_at_once_not_kept_waiting(session, prompt):
    answers: list[tuple[str, float]] = []

    def second() -> None:
        started = time.perf_counter()
        try:
            session.generate([prompt])
        except UserError as exc:
            answers.append((str(exc), time.perf_counter() - started))

    with session.exclusive(BUSY_BATCH):
        worker = threading.Thread(target=second)
        worker.start()
        worker.join(10)
    assert len(answers) == 1 and answers[0][0] == BUSY_BATCH and answers[0][1] < 1.0


def test_a_failure_inside_releases_the_model(session, prompt):
    with pytest.raises(ValueError):
        with session.exclusive("a test holds the model"):
            raise ValueError("boom")
    assert not session.busy and session.generate([prompt], SHORT)
    with pytest.raises(UserError) as caught:  # an unknown adapter inside: the model is free after
        with session.exclusive("a test holds the model") as use:
            use.generate([prompt], SHORT, "nobody")
    assert str(caught.value) == "no adapter named 'nobody' is attached (attached: demo); add it first"
    assert not session.busy


def test_the_base_model_is_peft_disable_adapter_and_leaves_the_adapters_on(session, prompt):
    with session.exclusive("a test holds the model") as use:
        assert use.model.get_model_status().enabled is True
        with use.active(None) as model:
            assert model.get_model_status().enabled is False  # every LoRA layer bypassed, by PEFT
            base = use.generate([prompt], SHORT, None)
        assert use.model.get_model_status().enabled is True  # nothing left switched off afterwards
        with use.active("demo") as model:
            assert model.active_adapter == "demo" and model.get_model_status().enabled is True
        tuned = use.generate([prompt], SHORT, "demo")
    assert base != tuned
    assert session.side_by_side(prompt, SHORT) == {"base": base[0], "demo": tuned[0]}


# ------------------------------------------------------------------------------------ asyncio streaming
def consume(session, prompt, settings, adapter, cancel_after: int | None = None):
    """What a GUI coroutine does: ``async for`` on the loop while ``run`` generates on a worker."""
    import asyncio

    from igrag_gui.core.task_state import TaskState

    async def flow():
        stream = session.async_stream(prompt, settings, adapter)
        state = TaskState()
        work = asyncio.get_running_loop().run_in_executor(None, stream.run, state)
        pieces = []
        async for piece in stream:
            pieces.append(piece)
            if len(pieces) == cancel_after:
                state.cancel()
        try:
            return pieces, await work, stream.text
        except UserError as exc:
            return pieces, exc, stream.text

    return asyncio.run(flow())


def test_async_stream_yields_what_generate_gives(session, prompt):
    for adapter in (None, "demo"):
        pieces, stats, text = consume(session, prompt, GenerationSettings(), adapter)
        assert pieces and text == "".join(pieces)
        assert text.strip() == session.generate([prompt], adapter=adapter)[0]
        assert 0 < stats.first_token_s <= stats.seconds and stats.new_tokens >= len(pieces)
        assert not stats.stopped and stats.adapter == adapter
    assert len(pieces) > 1  # the adapter's caption came in pieces, not whole at the end
    pieces, stats, _ = consume(session, prompt, GenerationSettings(num_beams=4), "demo")  # beams arrive whole
    assert len(pieces) == 1 and stats.new_tokens >= 1


def test_async_stream_cancel_stops_it_and_a_busy_model_ends_the_iteration(session, prompt):
    started = time.perf_counter()
    pieces, stats, text = consume(session, prompt, GenerationSettings(max_new_tokens=400, min_new_tokens=400),
                                  "demo", cancel_after=2)
    # Pieces already decoded when the cancel lands still arrive (the streamer flushes every ~30 ms
    # and once at the end), so how many follow the cancel depends on timing; what must hold is that
    # generation stopped early and nothing decoded was lost.
    assert stats.stopped and stats.new_tokens < 400 and text == "".join(pieces)
    assert time.perf_counter() - started < 5.0 and not session.busy
    with session.exclusive(BUSY_BATCH):  # the worker is refused; ``async for`` ends instead of waiting
        pieces, error, _ = consume(session, prompt, SHORT, "demo")
    assert pieces == [] and isinstance(error, UserError) and str(error) == BUSY_BATCH
    with pytest.raises(UserError) as caught:  # bad input is refused at once, before any work
        session.async_stream("  ", SHORT, "demo")
    assert str(caught.value).startswith("the prompt is empty")
