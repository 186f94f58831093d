"""Streaming one generation: text as it comes, a stop that ends it at once, and its figures.

``TextStream`` (the CLI's, headless) runs ``model.generate`` on the torch thread (``torch_thread``:
one long-lived thread keeps PyTorch's OpenMP helpers spinning) with a transformers
``TextIteratorStreamer`` (subclassed to count tokens and time the first one) and a
``StoppingCriteria`` that reads a ``TaskState``'s cancel request. Iterating yields text pieces;
``stop()`` (or cancelling the state) ends the iteration at once and the generation thread after its
current step; ``stats`` holds the figures.

``AsyncTextStream`` (the GUI's) is its asyncio twin: transformers' ``AsyncTextIteratorStreamer``
read with ``async for`` on the event loop's thread, while ``run(state)`` generates on a worker
(``await ops.run(stream.run, state=state)``); ``state.cancel()`` stops it after the current token.
Both time and count through one ``StreamClock``.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from .. import torch_thread
from ..task_state import TaskState

POLL_SECONDS = 0.02  # how often a waiting iterator looks at the stop event
FLUSH_SECONDS = 0.03  # text reaches the reader at most ~33 times a second (a screen shows 60)


@dataclass(frozen=True)
class StreamStats:
    """Figures of one streamed generation.

    ``first_token_s``: from the ``stream`` call to the first generated token (None if none came);
    ``new_tokens``: tokens generated (the end token included); ``seconds``: the whole call;
    ``tokens_per_s``: ``new_tokens / seconds`` (prompt processing included, as a user waits for it);
    ``truncated_prompt``: the prompt was longer than the model's limit and was cut;
    ``stopped``: ended by a stop request.
    """

    first_token_s: float | None
    new_tokens: int
    tokens_per_s: float
    truncated_prompt: bool
    prompt_tokens: int = 0
    seconds: float = 0.0
    stopped: bool = False
    adapter: str | None = None


class StreamClock:
    """Times one generation from its request (the first token's wait and the whole call) and
    counts the tokens generated (``on_token`` runs on the generating thread)."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.first: float | None = None
        self.end: float | None = None
        self.tokens = 0

    def on_token(self, n: int) -> None:
        if self.first is None:
            self.first = time.perf_counter()
        self.tokens += n

    def finish(self) -> None:
        self.end = time.perf_counter()

    def stats(self, *, truncated: bool, prompt_tokens: int, stopped: bool, adapter: str | None) -> StreamStats:
        end = self.end if self.end is not None else time.perf_counter()
        seconds = max(end - self.start, 1e-9)
        return StreamStats(first_token_s=None if self.first is None else self.first - self.start,
                           new_tokens=self.tokens, tokens_per_s=self.tokens / seconds, truncated_prompt=truncated,
                           prompt_tokens=prompt_tokens, seconds=seconds, stopped=stopped, adapter=adapter)


def _make_streamer(tokenizer: Any, tokenizer_lock: Any, on_token: Callable[[int], None],
                   asynchronous: bool = False) -> Any:
    # the submodule itself, not transformers' lazy top level: the GUI makes async streamers on its
    # own thread, and the lazy names are not thread-safe (see ui/ops.py)
    from transformers.generation.streamers import AsyncTextIteratorStreamer, TextIteratorStreamer

    class CountingStreamer(AsyncTextIteratorStreamer if asynchronous else TextIteratorStreamer):  # type: ignore[misc]
        """transformers' streamer, counting generated tokens, guarding the tokenizer, and decoding
        at most every ``FLUSH_SECONDS`` (the first token at once): the parent decodes the whole
        text and wakes the reader for every token, which cost a tiny model a quarter of its speed.
        The pieces are longer; their concatenation is the same text."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pending: list[Any] = []  # token tensors not decoded yet
            self._next_flush = 0.0

        def put(self, value: Any) -> None:
            if self.skip_prompt and self.next_tokens_are_prompt:
                self.next_tokens_are_prompt = False  # the prompt (or the decoder start token)
                return
            on_token(int(value.numel()))
            self._pending.append(value.reshape(-1))
            now = time.perf_counter()
            if now >= self._next_flush:
                self._next_flush = now + FLUSH_SECONDS
                self._flush()

        def _flush(self) -> None:
            if not self._pending:
                return
            import torch

            tokens, self._pending = self._pending, []
            with tokenizer_lock:
                super().put(tokens[0] if len(tokens) == 1 else torch.cat(tokens))

        def end(self) -> None:
            self._flush()
            with tokenizer_lock:
                super().end()

        def __deepcopy__(self, memo: dict) -> "CountingStreamer":
            # PEFT deep-copies generate()'s arguments for prompt tuning; the copy must be the
            # streamer the reader listens to (and its queue's lock cannot be copied anyway).
            return self

    return CountingStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)


def make_stop_criteria(is_set: Callable[[], bool]) -> Any:
    """Criteria that end generation once ``is_set`` (``TaskState.cancelled``) returns True."""
    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList

    class EventStop(StoppingCriteria):
        """Stops every sequence once ``stop`` says so (checked after each generated token; the
        answer tensors are made once per batch shape, as this runs for every token)."""

        def __init__(self) -> None:
            self.answers: dict[tuple[int, Any, bool], Any] = {}

        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            key = (input_ids.shape[0], input_ids.device, is_set())
            answer = self.answers.get(key)
            if answer is None:
                answer = self.answers[key] = torch.full(key[:1], key[2], dtype=torch.bool, device=key[1])
            return answer

    return StoppingCriteriaList([EventStop()])


class TextStream:
    """An iterator of text pieces from one generation running in its own thread.

    Made by ``Session.stream``; the session's model lock is already held and is released by the
    generation thread when it ends. Iterate it from one thread. To stop it from another thread
    (a GUI's Stop button), cancel the ``state`` given to ``Session.stream``: that never blocks,
    and the iterating thread ends within ``POLL_SECONDS``; ``stop()`` also waits for the
    generation thread to finish its current step (milliseconds to a forward pass), after which
    the model is free. ``stats`` is live while it runs and final once iteration has ended;
    ``text`` is everything yielded so far. A state already cancelled ends it at once.
    """

    def __init__(self, run: Callable[[Any, Any], None], tokenizer: Any, tokenizer_lock: Any,
                 release: Callable[[], None], state: TaskState | None, truncated: bool,
                 prompt_tokens: int, adapter: str | None, streaming: bool):
        self._state = state if state is not None else TaskState()
        self._clock = StreamClock()
        self._truncated, self._prompt_tokens, self._adapter = truncated, prompt_tokens, adapter
        self._error: BaseException | None = None
        self._finished = False
        self._stopped = False
        self._release = release
        self.text = ""
        self._streamer = _make_streamer(tokenizer, tokenizer_lock, self._clock.on_token) if streaming else None
        self._queue: queue.Queue = self._streamer.text_queue if streaming else queue.Queue()
        self._stop_signal = self._streamer.stop_signal if streaming else None
        if torch_thread.on_torch_thread():  # consumed on the torch thread itself: generate beside it
            thread = threading.Thread(target=self._work, args=(run,), name="igrag-generate", daemon=True)
            thread.start()
            self._join, self._alive = thread.join, thread.is_alive
        else:
            job = torch_thread.submit(self._work, run)  # _work never raises
            self._join, self._alive = job.result, lambda: not job.done()

    # ----------------------------------------------------------------------- generation thread
    def _work(self, run: Callable[[Any, Any], None]) -> None:
        try:
            whole = run(self._streamer, make_stop_criteria(self._state.cancelled))
            if self._streamer is None:  # beam search: no streaming, the text arrives whole
                text, n = whole
                self._clock.on_token(n)
                self._queue.put(text)
        except BaseException as exc:  # noqa: BLE001 - handed to the consuming thread
            self._error = exc
        finally:
            self._clock.finish()
            self._stopped = self._state.cancelled()
            self._release()
            self._queue.put(self._stop_signal)

    # ----------------------------------------------------------------------- consuming thread
    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        while True:
            if self._finished:
                raise StopIteration
            if self._state.cancelled():
                self._finish()
                raise StopIteration
            try:
                piece = self._queue.get(timeout=POLL_SECONDS)
            except queue.Empty:
                continue
            if piece is self._stop_signal:
                self._finish()
                raise StopIteration
            if piece:
                self.text += piece
                return piece

    def _finish(self) -> None:
        self._join()
        self._finished = True
        if self._error is not None:
            error, self._error = self._error, None
            raise _as_user_error(error)

    def stop(self) -> None:
        """End the generation now: iteration stops at once, the thread after its current step.
        Returns when the thread has ended (the session's lock is then free)."""
        self._state.cancel()
        if not self._finished:
            self._join()
            self._finished = True

    close = stop

    def wait(self) -> str:
        """Consume the rest; returns the whole text."""
        for _ in self:
            pass
        return self.text

    @property
    def running(self) -> bool:
        return self._alive()

    @property
    def stats(self) -> StreamStats:
        return self._clock.stats(truncated=self._truncated, prompt_tokens=self._prompt_tokens,
                                 stopped=self._stopped or (self._clock.end is None and self._state.cancelled()),
                                 adapter=self._adapter)


def _as_user_error(error: BaseException) -> BaseException:
    """Out of memory as the sentence a user can act on; other errors as they are."""
    from ..errors import UserError

    if not isinstance(error, UserError) and "out of memory" in str(error).lower():
        return UserError("out of memory while generating; lower max new tokens or the number of beams, or use "
                         "a smaller model")
    return error


class AsyncTextStream:
    """One generation read with ``async for piece in stream`` on an asyncio loop's thread.

    Made by ``Session.async_stream`` on that thread (the streamer binds to its running loop);
    ``run(state)`` is the blocking part for a worker thread: it takes the model (``UserError`` if
    busy), generates, and returns the ``StreamStats``. Whatever happens in ``run`` (a failure, a
    cancel before it began), it ends the iteration, so ``async for`` never waits forever; the
    failure itself is ``run``'s to raise. ``text`` is everything yielded so far.
    """

    def __init__(self, job: Callable[[Any, Any], Any], tokenizer: Any, tokenizer_lock: Any, truncated: bool,
                 prompt_tokens: int, adapter: str | None, streaming: bool):
        self._job = job
        self._clock = StreamClock()
        self._streamer = _make_streamer(tokenizer, tokenizer_lock, self._clock.on_token, asynchronous=True)
        self._streaming = streaming
        self._truncated, self._prompt_tokens, self.adapter = truncated, prompt_tokens, adapter
        self.text = ""

    def run(self, state: Any = None) -> StreamStats:
        """Generate (on a worker thread); ``state.cancelled()`` is read after every token."""
        cancelled: Callable[[], bool] = state.cancelled if state is not None else (lambda: False)
        ended = False
        try:
            if not cancelled():
                whole = self._job(self._streamer if self._streaming else None, make_stop_criteria(cancelled))
                if whole is not None:  # beam search: the text arrives whole
                    text, n = whole
                    self._clock.on_token(n)
                    self._streamer.on_finalized_text(text, stream_end=True)
                ended = True  # generate() ended the streamer itself
        except BaseException as exc:
            raise _as_user_error(exc) from None
        finally:
            self._clock.finish()
            if not ended:
                self._streamer.on_finalized_text("", stream_end=True)
        return self._clock.stats(truncated=self._truncated, prompt_tokens=self._prompt_tokens,
                                 stopped=cancelled(), adapter=self.adapter)

    def __aiter__(self) -> "AsyncTextStream":
        return self

    async def __anext__(self) -> str:
        while True:
            piece = await self._streamer.__anext__()  # StopAsyncIteration at the end
            if piece:
                self.text += piece
                return piece
