"""Batched text generation, shared by training's evaluation and the playground.

Both go through ``generate_batched``: the same tokenisation (truncated to ``max_source`` tokens,
the end token kept), the same padding side (right for seq2seq, left for causal models), the same
``generate`` call. That is what makes ``igrag eval`` report the scores that training reported
for the same adapter, split and settings (see tests/core/test_playground.py).

What does change the figure, measured on the demo model (an earlier report of 27.9 in training
against 30.4 reloaded could not be reproduced with this code, on the current demo model or the
first one): evaluating with dropout on (``model.eval()`` missing: 35.4 -> 20.9 on the first demo
model's 3-epoch adapter); scoring weights from another step than the evaluation's (``eval_steps``
not dividing the last step, ``best/`` against the final adapter, or a stopped run, which saves no
final adapter and leaves an earlier run's in ``output_dir``); another ``max_source_length``
(truncated prompts) or generation settings. Not measurable here: the batch size (1, 8 or 32),
``max_new_tokens`` 40 (generation_config) against 48, and merged against unmerged LoRA weights
all gave the same captions.
"""

from __future__ import annotations

import contextlib
from typing import Any, Callable, ContextManager, Sequence


def generate_batched(model: Any, tokenizer: Any, prompts: Sequence[str], kind: str, max_source: int,
                     generate_kwargs: dict[str, Any], batch_size: int = 16,
                     tokenizer_lock: ContextManager | None = None,
                     before_batch: Callable[[int], None] | None = None) -> list[str]:
    """``model.generate(**generate_kwargs)`` over ``prompts`` in batches, decoded and stripped;
    without sampling, batches hold prompts of similar length (the order of the result is still
    the order of ``prompts``).

    ``tokenizer_lock`` guards every tokenizer call (a fast tokenizer's settings are mutated per
    call, so two threads must not use one at once); ``before_batch(start)`` runs before each batch
    (the playground reseeds there).
    """
    import torch

    if not prompts:
        return []
    if not generate_kwargs.get("do_sample"):
        # Deterministic decoding: batch prompts of similar length together (less padding to
        # encode and attend over), then give the texts back in the caller's order.
        order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]), reverse=True)
        if order != list(range(len(prompts))):
            texts = generate_batched(model, tokenizer, [prompts[i] for i in order], kind, max_source,
                                     {**generate_kwargs, "do_sample": False}, batch_size, tokenizer_lock,
                                     before_batch)
            out = [""] * len(prompts)
            for i, text in zip(order, texts):
                out[i] = text
            return out
    lock = tokenizer_lock if tokenizer_lock is not None else contextlib.nullcontext()
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    outputs: list[str] = []
    try:
        with torch.no_grad():
            for start in range(0, len(prompts), batch_size):
                with lock:
                    side = tokenizer.padding_side
                    tokenizer.padding_side = "left" if kind == "causal" else "right"
                    if tokenizer.pad_token_id is None:
                        tokenizer.pad_token = tokenizer.eos_token
                    try:
                        batch = tokenizer(list(prompts[start:start + batch_size]), return_tensors="pt",
                                          padding=True, truncation=True, max_length=max_source)
                    finally:
                        tokenizer.padding_side = side
                batch = batch.to(device)
                if before_batch is not None:
                    before_batch(start)
                generated = model.generate(**batch, **generate_kwargs, pad_token_id=tokenizer.pad_token_id)
                if kind == "causal":
                    generated = generated[:, batch["input_ids"].shape[1]:]
                with lock:
                    texts = tokenizer.batch_decode(generated, skip_special_tokens=True)
                outputs += [t.strip() for t in texts]
    finally:
        model.train(was_training)
    return outputs


def generate_texts(model: Any, tokenizer: Any, prompts: Sequence[str], kind: str, max_source: int,
                   max_new_tokens: int, batch_size: int = 16) -> list[str]:
    """Greedy generations for ``prompts`` (batched; left padding for causal models)."""
    return generate_batched(model, tokenizer, prompts, kind, max_source,
                            {"max_new_tokens": max_new_tokens, "do_sample": False, "num_beams": 1,
                             "use_cache": True},
                            batch_size)
