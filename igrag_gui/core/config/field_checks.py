"""Judging one field's value against its metadata (type, range, choices, paths): the sentences
``RunConfig.validate`` reports, and the two YAML 1.1 surprises undone while loading."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

from ..errors import Problem

def _describe(value: Any) -> str:
    if isinstance(value, str):
        return f"the text '{value}'"
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a yes/no value)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return f"a list ({value!r})"
    return repr(value)


_KIND_WORDS = {int: "a whole number", float: "a number", bool: "true or false", str: "text",
               list: "a list", type(None): "empty"}


def _kind_ok(value: Any, kind: type | tuple) -> bool:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    for k in kinds:
        if k is int and isinstance(value, int) and not isinstance(value, bool):
            return True
        if k is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            return True
        if k not in (int, float) and isinstance(value, k):
            return True
    return False


def _coerce(value: Any, kind: type | tuple, choices: tuple = ()) -> Any:
    """Undo YAML 1.1's two surprises: ``2e-4`` (no dot) loads as text, and ``eval_strategy: no``
    loads as false; a number and the word "no" are meant."""
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if value is False and "no" in choices:
        return "no"
    if float in kinds and isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return value
        return number if math.isfinite(number) else value
    return value


def _check_field(key: str, value: Any, meta: dict) -> list[Problem]:
    kind = meta["kind"]
    if not _kind_ok(value, kind):
        kinds = kind if isinstance(kind, tuple) else (kind,)
        want = " or ".join(_KIND_WORDS[k] for k in kinds)
        example = {"lora.r": " such as 16"}.get(key, "")
        return [Problem(key, f"must be {want}{example}, got {_describe(value)}")]
    if isinstance(value, float) and not math.isfinite(value):
        return [Problem(key, f"must be a finite number, got {value}")]
    if "choices_or_bool" in meta and isinstance(value, str) and value not in meta["choices_or_bool"]:
        return [Problem(key, f"must be true, false or one of {', '.join(meta['choices_or_bool'])}, got '{value}'")]
    if "choices" in meta and value not in meta["choices"] and not meta.get("open_choices"):
        return [Problem(key, f"must be one of {', '.join(meta['choices'])}, got '{value}'")]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        lo, hi = meta.get("min"), meta.get("max")
        lo_x, hi_x = meta.get("min_exclusive"), meta.get("max_exclusive")
        if lo_x is not None and value <= lo_x:
            return [Problem(key, f"must be greater than {lo_x}, got {value}")]
        if lo is not None and value < lo:
            return [Problem(key, f"must be at least {lo}, got {value}")]
        if hi_x is not None and value >= hi_x:
            return [Problem(key, f"must be at least {lo or 0} and below {hi_x}, got {value}")]
        if hi is not None and value > hi:
            return [Problem(key, f"must be at most {hi}, got {value}")]
    if meta.get("nonempty") and isinstance(value, list):
        if not value:
            return [Problem(key, "is empty; name at least one module, e.g. [q, v] for T5 models")]
        bad = [v for v in value if not isinstance(v, str) or not v.strip()]
        if bad:
            return [Problem(key, f"must hold module names as text, got {bad[0]!r}")]
    if meta.get("path") in ("file", "output", "model") and isinstance(value, str) \
            and not value.strip() and not meta.get("optional"):
        return [Problem(key, "is empty; give a path")]
    return []


def _type_notes(word: str, model: Any) -> list[Problem]:
    """A family name config.json contradicts, or a word we do not know: warnings, not errors."""
    from ..models.family import family_kind

    note = getattr(model, "type_note", None) if model is not None else None
    if note is None and model is None and family_kind(word) is None:
        note = (f"'{word}' is not a model family igrag knows (such as seq2seq, causal, flan-t5, "
                f"gpt2); the kind is read from the model's config.json")
    return [Problem("model.type", note, severity="warning")] if note else []


def _check_output_dir(path: Path) -> list[Problem]:
    if path.exists() and not path.is_dir():
        return [Problem("training.output_dir", f"'{path}' is a file, not a folder; choose a folder "
                                               f"for checkpoints")]
    probe = path
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not os.access(probe, os.W_OK | os.X_OK):
        return [Problem("training.output_dir", f"cannot write to '{probe}' (permission denied); "
                                               f"choose a folder you can write to")]
    return []
