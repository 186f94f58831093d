"""What the Data page shows of a training file of any size, without reading all of it.

The first rows come from the start of the file; the count and the truncation figures come from
the prepared (cached) data when a run has prepared this file with this tokenizer and these limits,
else a small file is read whole and a large one gives its line count, truncation judged on the rows
shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import UserError
from .records import Example, estimate_rows, first_examples, read_examples

READ_ALL_ROWS = 5000  # a file this small is read whole (well under a second); larger ones are not


@dataclass
class DataSummary:
    path: Path
    rows: list[Example]
    count: int
    exact: bool  # count and too_long from the prepared data (else: a line count, the first rows)
    too_long: int | None  # prompts longer than max_source (None: no tokenizer to judge)
    judged: int  # how many rows too_long was counted over
    max_source: int


def summarize(cfg: Any, rows: int = 50) -> DataSummary:
    """The first ``rows`` examples of ``cfg``'s training file, and counts as exact as the cache allows."""
    from ..models.loading import load_model_config, load_tokenizer, model_kind, resolve_model_ref
    from .prepare import prepare_data

    path, limit = cfg.train_file, cfg.data.max_source_length
    head = first_examples(path, rows, cfg.data.prompt_field, cfg.data.caption_field)
    try:
        ref = resolve_model_ref(cfg)
        # counting never runs a model's own code (only training and generation may): built-in classes
        tokenizer = load_tokenizer(ref, False)
        kind = model_kind(load_model_config(ref, False), cfg.model.type)
    except UserError:
        return DataSummary(path, head, estimate_rows(path), False, None, 0, limit)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token  # as training does: part of the cache key
    prepared = prepare_data(path, tokenizer, kind, limit, cfg.data.max_target_length, cfg.data.prompt_field,
                            cfg.data.caption_field, build=False)
    if prepared is not None:
        return DataSummary(path, head, prepared.count, True, prepared.truncated_prompts, prepared.count, limit)
    about = estimate_rows(path)
    small = about <= READ_ALL_ROWS
    judged = read_examples(path, cfg.data.prompt_field, cfg.data.caption_field) if small else head
    ids = tokenizer([e.prompt for e in judged], truncation=False, verbose=False)["input_ids"]
    return DataSummary(path, head, len(judged) if small else about, small, sum(len(i) > limit for i in ids),
                       len(judged), limit)
