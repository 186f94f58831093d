"""Text generation for evaluation (and, later, the playground): batched greedy captions."""

from __future__ import annotations

from typing import Any, Sequence


def generate_texts(model: Any, tokenizer: Any, prompts: Sequence[str], kind: str, max_source: int,
                   max_new_tokens: int, batch_size: int = 16) -> list[str]:
    """Greedy generations for ``prompts`` (batched; left padding for causal models)."""
    import torch

    if not prompts:
        return []
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    side = tokenizer.padding_side
    tokenizer.padding_side = "left" if kind == "causal" else "right"
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    outputs: list[str] = []
    try:
        with torch.no_grad():
            for start in range(0, len(prompts), batch_size):
                batch = tokenizer(list(prompts[start:start + batch_size]), return_tensors="pt",
                                  padding=True, truncation=True, max_length=max_source).to(device)
                generated = model.generate(**batch, max_new_tokens=max_new_tokens, do_sample=False,
                                           num_beams=1, pad_token_id=tokenizer.pad_token_id)
                if kind == "causal":
                    generated = generated[:, batch["input_ids"].shape[1]:]
                outputs += [t.strip() for t in tokenizer.batch_decode(generated, skip_special_tokens=True)]
    finally:
        tokenizer.padding_side = side
        model.train(was_training)
    return outputs
