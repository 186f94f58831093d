"""Tokenizing examples for training: truncated to the limits, counting what truncation cost.

Padding happens per batch in the collator, never to the maximum length; padded label positions
are -100 so the loss ignores them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from .records import Example


@dataclass
class TokenizedBatch:
    """Token ids of a batch of examples plus their untruncated lengths (for counts, histograms)."""

    input_ids: list[list[int]]
    labels: list[list[int]]
    prompt_lengths: list[int]
    caption_lengths: list[int]


def _truncate(ids: list[int], limit: int, eos: int | None) -> list[int]:
    if len(ids) <= limit:
        return ids
    if eos is not None and ids and ids[-1] == eos:
        return ids[:limit - 1] + [eos]
    return ids[:limit]


def tokenize_batch(prompts: Sequence[str], captions: Sequence[str], tokenizer: Any, kind: str,
                   max_source: int, max_target: int) -> TokenizedBatch:
    """One batched call of the fast tokenizer per side; the same layout for every caller."""
    p_ids = tokenizer(list(prompts), add_special_tokens=True, truncation=False, verbose=False)["input_ids"]
    eos = tokenizer.eos_token_id
    out = TokenizedBatch([], [], [len(p) for p in p_ids], [])
    if kind == "seq2seq":
        c_ids = tokenizer(list(captions), add_special_tokens=True, truncation=False, verbose=False)["input_ids"]
        for p, c in zip(p_ids, c_ids):
            out.caption_lengths.append(len(c))
            out.input_ids.append(_truncate(p, max_source, eos))
            out.labels.append(_truncate(c, max_target, eos))
    else:
        c_ids = tokenizer([" " + c.strip() for c in captions], add_special_tokens=False, truncation=False,
                          verbose=False)["input_ids"]
        for p, c in zip(p_ids, c_ids):
            c = c + ([eos] if eos is not None else [])
            out.caption_lengths.append(len(c))
            p, c = p[:max_source], _truncate(c, max_target, eos)
            out.input_ids.append(p + c)
            out.labels.append([-100] * len(p) + c)
    return out


def truncation_warnings(name: str, n: int, truncated_prompts: int, truncated_captions: int,
                        max_source: int, max_target: int) -> list[str]:
    """One sentence per side that lost tokens to the limits."""
    out = []
    for count, what, key, limit in ((truncated_prompts, "prompts", "max_source_length", max_source),
                                    (truncated_captions, "captions", "max_target_length", max_target)):
        if count:
            every = "every one of the" if count == n else f"{count} of"
            out.append(f"{every} {n} {what} in {name} are longer than data.{key}={limit} "
                       f"tokens and were truncated; raise {key} if that loses information")
    return out


@dataclass
class TokenizedData:
    """Token ids per example held in lists (small files: validation, tests), and what
    truncation cost. Training data of any size goes through ``prepare.prepare_data`` instead."""

    features: list[dict[str, list[int]]]
    truncated_prompts: int = 0
    truncated_captions: int = 0
    source: Path | None = None
    warnings: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.features)

    def __getitem__(self, i: int) -> dict[str, list[int]]:
        return self.features[i]


def tokenize_examples(examples: Sequence[Example], tokenizer: Any, kind: str, max_source: int,
                      max_target: int, source: Path | None = None) -> TokenizedData:
    """Tokenise once (batched, fast tokenizer), truncate to the limits and count who was cut."""
    batch = tokenize_batch([e.prompt for e in examples], [e.caption for e in examples], tokenizer, kind,
                           max_source, max_target)
    data = TokenizedData([{"input_ids": i, "labels": l} for i, l in zip(batch.input_ids, batch.labels)],
                         source=source)
    data.truncated_prompts = sum(n > max_source for n in batch.prompt_lengths)
    data.truncated_captions = sum(n > max_target for n in batch.caption_lengths)
    data.warnings = truncation_warnings(source.name if source else "the data", len(examples),
                                        data.truncated_prompts, data.truncated_captions, max_source, max_target)
    return data


def make_collator(tokenizer: Any, model: Any, kind: str, pad_to: int | None = None) -> Any:
    """Pad per batch (or to ``pad_to`` tokens, for comparison); labels padded with -100.

    For seq2seq models the collator also builds ``decoder_input_ids`` from the labels, so the
    model needs no labels in its forward call (the loss is ours, see ``training.token_mean_loss``).
    """
    from transformers import DataCollatorForSeq2Seq

    return DataCollatorForSeq2Seq(
        tokenizer,
        model=model if kind == "seq2seq" else None,
        padding="max_length" if pad_to else "longest",
        max_length=pad_to,
        label_pad_token_id=-100,
        return_tensors="pt",
    )
