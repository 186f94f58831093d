"""Exclusive use of a session's model: one operation at a time, and what that operation may do.

``Session.exclusive(busy_message)`` is the one way to run or change the model: it takes the
session's ``ModelLock`` **without waiting** (a second caller gets ``UserError(busy_message of the
holder)`` at once, so the GUI never freezes behind a long batch) and yields a ``ModelUse``, the
handle through which the holder reaches the model: ``active(adapter)`` (the model with that
adapter, or the base model through PEFT's ``disable_adapter()``), ``generate`` (batched, as
training's evaluation) and ``stream`` (one prompt into a transformers streamer). A handle is dead
once its block ends, so a model reference cannot leak out of the lock by accident.
"""

from __future__ import annotations

import contextlib
import threading
from typing import TYPE_CHECKING, Any, Iterator, Sequence

from ..errors import UserError
from ..torch_thread import call as call_on_torch_thread

if TYPE_CHECKING:  # pragma: no cover
    from .session import PreparedPrompt, Session
    from .settings import GenerationSettings

BUSY_GENERATING = "a generation is already running; stop it first"


class ModelLock:
    """A non-blocking lock that remembers what holds it, for the message a second caller gets.
    Released by whichever thread ends the operation (a stream's generation thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._what = BUSY_GENERATING

    def acquire(self, busy_message: str) -> None:
        if not self._lock.acquire(blocking=False):
            raise UserError(self._what)
        self._what = busy_message

    def release(self) -> None:
        self._lock.release()

    def describe(self, busy_message: str) -> None:
        """Change what a second caller is told (the holder learns more about its own work)."""
        self._what = busy_message

    @property
    def busy(self) -> bool:
        return self._lock.locked()


class ModelUse:
    """What the holder of a session's model may do with it; made by ``Session.exclusive``."""

    def __init__(self, session: "Session", lock: ModelLock):
        self._session = session
        self._lock = lock
        self._open = True

    def _live(self) -> "Session":
        if not self._open:
            raise RuntimeError("this ModelUse has ended: use the model only inside session.exclusive()")
        return self._session

    def end(self) -> None:
        """Release the model (``exclusive`` does this when its block ends)."""
        if self._open:
            self._open = False
            self._lock.release()

    def describe(self, busy_message: str) -> None:
        """Tell later callers more precisely what is running (e.g. which adapter is loading)."""
        self._live()
        self._lock.describe(busy_message)

    @property
    def model(self) -> Any:
        """The model as it is now (a ``PeftModel`` when adapters are attached)."""
        return self._live().model

    @contextlib.contextmanager
    def active(self, adapter: str | None) -> Iterator[Any]:
        """The model with ``adapter`` active, or, for ``None``, the base model's own outputs through
        PEFT's public ``disable_adapter()`` (LoRA-style layers bypassed, prompt-learning virtual
        tokens left out). Switching is PEFT's ``set_adapter``: never a reload."""
        session = self._live()
        session.check_adapter(adapter)  # again: it may have been removed since the caller checked
        model = session.model
        bottleneck = getattr(model, "igrag_bottleneck", None)  # ours: switched on and off in place
        if bottleneck is not None:
            bottleneck.enabled = adapter is not None
            try:
                yield model
            finally:
                bottleneck.enabled = True
        elif not session.adapters:
            yield model
        elif adapter is None:
            with model.disable_adapter():
                yield model
        else:
            if model.active_adapter != adapter:
                model.set_adapter(adapter, inference_mode=True)
            yield model

    def generate(self, prompts: Sequence[str], settings: "GenerationSettings", adapter: str | None,
                 batch_size: int = 16, seed_offset: int = 0) -> list[str]:
        """Texts for ``prompts`` with ``adapter``: training evaluation's tokenisation and
        ``generate`` call (``core.models.generation.generate_batched``), reseeded before each batch; run
        on the torch thread, whichever thread holds the model."""
        session = self._live()
        return call_on_torch_thread(self._generate, session, prompts, settings, adapter, batch_size, seed_offset)

    def _generate(self, session: "Session", prompts: Sequence[str], settings: "GenerationSettings",
                  adapter: str | None, batch_size: int, seed_offset: int) -> list[str]:
        from ..models.generation import generate_batched

        with self.active(adapter) as model:
            return generate_batched(model, session.tokenizer, prompts, session.kind, session.max_source_length,
                                    settings.generate_kwargs(), batch_size, tokenizer_lock=session.tokenizer_lock,
                                    before_batch=lambda start: seed(settings.seed + seed_offset + start))

    def stream(self, prepared: "PreparedPrompt", settings: "GenerationSettings", adapter: str | None,
               streamer: Any, criteria: Any) -> tuple[str, int] | None:
        """Generate from ``prepared`` into ``streamer`` (a transformers streamer; None for beam
        search, which cannot stream: then the whole text and its token count are returned),
        ending early when ``criteria`` (a ``StoppingCriteriaList``) says so."""
        import torch

        session = self._live()
        with self.active(adapter) as model, torch.no_grad():
            model.eval()
            ids = torch.tensor([prepared.input_ids], device=session.device)
            seed(settings.seed)
            extra = {"streamer": streamer} if streamer is not None else {}
            out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids),
                                 pad_token_id=session.tokenizer.pad_token_id, stopping_criteria=criteria,
                                 **settings.generate_kwargs(), **extra)
        if streamer is not None:
            return None
        new = out[0, ids.shape[1]:] if session.kind == "causal" else out[0, 1:]
        with session.tokenizer_lock:
            text = session.tokenizer.decode(new, skip_special_tokens=True).strip()
        return text, int(new.numel())


def seed(value: int) -> None:
    import torch

    torch.manual_seed(value)

