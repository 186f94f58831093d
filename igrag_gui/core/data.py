"""Training data: IGRAG JSONL (plus CSV and JSON lists), read once, tokenised once.

Every bad record is a ``UserError`` naming the file, the line and the field. Padding happens per
batch in the collator, never to the maximum length; padded label positions are -100 so the
loss ignores them.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from .errors import UserError


@dataclass(frozen=True)
class Example:
    prompt: str
    caption: str
    line: int  # 1-based line (JSONL, CSV) or record number (JSON list)
    image_id: Any = None  # the record's image_id, if any: validation groups references by it


def read_examples(path: Path, prompt_field: str = "prompt", caption_field: str = "caption") -> list[Example]:
    """All records of a data file, checked; raises ``UserError`` at the first bad one."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"data file '{path}' does not exist; check data.train_path / data.val_path") from None
    except OSError as exc:
        raise UserError(f"cannot read data file '{path}': {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise UserError(f"{path}:{line}: not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None
    suffix = path.suffix.lower()
    if suffix == ".csv":
        records = _csv_records(path, text)
    elif suffix == ".json" and text.lstrip().startswith("["):
        records = _json_list_records(path, text)
    else:
        records = _jsonl_records(path, text)
    examples = [_example(path, line, rec, prompt_field, caption_field) for line, rec in records]
    if not examples:
        raise UserError(f"{path}: no examples in the file; each line must be a JSON object with "
                        f"'{prompt_field}' and '{caption_field}'")
    return examples


def _jsonl_records(path: Path, text: str):
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            raise UserError(f"{path}:{number}: not valid JSON ({exc.msg} at column {exc.colno}); "
                            f"each line must be one JSON object") from None


def _json_list_records(path: Path, text: str):
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg} at column {exc.colno})") from None
    for number, rec in enumerate(doc, 1):
        yield number, rec


def _csv_records(path: Path, text: str):
    reader = csv.DictReader(io.StringIO(text))
    for row in reader:
        yield reader.line_num, row


def _example(path: Path, line: int, rec: Any, prompt_field: str, caption_field: str) -> Example:
    if not isinstance(rec, dict):
        raise UserError(f"{path}:{line}: expected an object with '{prompt_field}' and "
                        f"'{caption_field}', got {type(rec).__name__}")
    values = []
    for name, key in (("prompt", prompt_field), ("caption", caption_field)):
        if key not in rec:
            raise UserError(f"{path}:{line}: record has no '{key}' field; each record needs "
                            f"'{prompt_field}' and '{caption_field}' (set data.{name}_field if "
                            f"yours is named differently)")
        value = rec[key]
        if not isinstance(value, str):
            raise UserError(f"{path}:{line}: '{key}' must be text, got {json.dumps(value)[:40]}")
        values.append(value)
    return Example(values[0], values[1], line, rec.get("image_id"))


@dataclass
class TokenizedData:
    """Token ids per example, ready for the collator, and what truncation cost."""

    features: list[dict[str, list[int]]]
    truncated_prompts: int = 0
    truncated_captions: int = 0
    source: Path | None = None
    warnings: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.features)

    def __getitem__(self, i: int) -> dict[str, list[int]]:
        return self.features[i]


def _truncate(ids: list[int], limit: int, eos: int | None) -> list[int]:
    if len(ids) <= limit:
        return ids
    if eos is not None and ids and ids[-1] == eos:
        return ids[:limit - 1] + [eos]
    return ids[:limit]


def tokenize_examples(examples: Sequence[Example], tokenizer: Any, kind: str, max_source: int,
                      max_target: int, source: Path | None = None) -> TokenizedData:
    """Tokenise once (batched, fast tokenizer), truncate to the limits and count who was cut."""
    prompts = tokenizer([e.prompt for e in examples], add_special_tokens=True, truncation=False,
                        verbose=False)["input_ids"]
    eos = tokenizer.eos_token_id
    data = TokenizedData([], source=source)
    if kind == "seq2seq":
        captions = tokenizer([e.caption for e in examples], add_special_tokens=True, truncation=False,
                             verbose=False)["input_ids"]
        for p, c in zip(prompts, captions):
            data.truncated_prompts += len(p) > max_source
            data.truncated_captions += len(c) > max_target
            data.features.append({"input_ids": _truncate(p, max_source, eos),
                                  "labels": _truncate(c, max_target, eos)})
    else:
        captions = tokenizer([" " + e.caption.strip() for e in examples], add_special_tokens=False,
                             truncation=False, verbose=False)["input_ids"]
        for p, c in zip(prompts, captions):
            c = c + ([eos] if eos is not None else [])
            data.truncated_prompts += len(p) > max_source
            data.truncated_captions += len(c) > max_target
            p, c = p[:max_source], _truncate(c, max_target, eos)
            data.features.append({"input_ids": p + c, "labels": [-100] * len(p) + c})
    name = source.name if source else "the data"
    n = len(examples)
    for count, what, key, limit in ((data.truncated_prompts, "prompts", "max_source_length", max_source),
                                    (data.truncated_captions, "captions", "max_target_length", max_target)):
        if count:
            every = "every one of the" if count == n else f"{count} of"
            data.warnings.append(f"{every} {n} {what} in {name} are longer than data.{key}={limit} "
                                 f"tokens and were truncated; raise {key} if that loses information")
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
