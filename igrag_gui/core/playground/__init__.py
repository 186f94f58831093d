"""The playground's core (no Qt): try a base model and its adapters on prompts.

- ``settings``: ``GenerationSettings`` (``.validate() -> list[str]``) and ``PRESETS``;
- ``session``: ``Session.load(base, progress=None)``, one base model in memory with adapters
  attached by name (``add_adapter``, ``remove_adapter``, ``adapters``), ``prepare_prompt``,
  ``stream`` (a ``TextStream`` of text pieces with ``.stop()`` and ``.stats``), ``generate``
  (batched), ``side_by_side``, ``memory_bytes``, ``switch_seconds``;
- ``attach``: the checks an adapter passes before it touches the model (task, shapes, base name);
- ``stream``: ``TextStream`` (threads, for the CLI), ``AsyncTextStream`` (``async for``, for the GUI's
  asyncio loop; ``Session.async_stream``) and ``StreamStats``;
- ``exclusive``: ``Session.exclusive(busy_message)`` and the ``ModelUse`` handle it yields;
- ``batch``: ``run_batch(session, path, adapters, settings, ...) -> BatchResult`` (images, COCO metrics per
  label, ``to_csv``) and ``training_eval_settings(cfg)``;
- ``merge``: ``merge_and_save(session, adapter, out_dir) -> MergeReport``;
- ``engines`` (with ``ct2_cache``): what writes a batch's captions, ``run_batch(..., engine="auto" |
  "transformers" | "ct2", quantization=...)``: CTranslate2 on the adapter merged into the base,
  converted once and cached, where it gives transformers' greedy captions; else transformers, with
  the reason in ``BatchResult.engines``.

Thread-safety: see ``session``'s docstring. In short, any thread may call; one operation uses the
model at a time (``with session.exclusive(busy_message) as use:``, see ``exclusive``) and a second
one gets ``UserError`` at once instead of waiting.

Importing this package is light: torch, transformers and peft load inside the functions.
"""

from __future__ import annotations

from .batch import BatchResult, BatchRow, run_batch, training_eval_settings
from .exclusive import BUSY_GENERATING, ModelUse
from .merge import MergeReport, merge_and_save
from .session import BASE_LABEL, DEMO, EMPTY_PROMPT, AdapterInfo, PreparedPrompt, Session, resolve_base
from .settings import PRESETS, GenerationSettings
from .stream import AsyncTextStream, StreamStats, TextStream

__all__ = ["AsyncTextStream", "BASE_LABEL", "BUSY_GENERATING", "DEMO", "EMPTY_PROMPT", "PRESETS", "AdapterInfo", "BatchResult",
           "BatchRow", "GenerationSettings", "MergeReport", "ModelUse", "PreparedPrompt", "Session", "StreamStats",
           "TextStream", "merge_and_save", "resolve_base", "run_batch", "training_eval_settings"]
