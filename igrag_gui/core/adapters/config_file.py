"""Read ``adapter_config.json`` as data and check the types of the fields the inspector relies on.

The file may come from anywhere: it is parsed with ``json`` only, its size is capped before it is
read, and a field of the wrong type (``"r": "sixteen"``) is a ``UserError`` naming the file and
the field, rather than a ``TypeError`` deep inside the report. Fields the inspector does not use
are kept as they are, whatever their type, and shown as written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

from ..errors import UserError

MAX_CONFIG_BYTES = 16 * 1024 * 1024  # real configs are a few kB
FIX = "fix the field, or save the adapter again with save_pretrained"


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _is_str_list(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def _str_or_str_list(v: Any) -> bool:
    return isinstance(v, str) or _is_str_list(v)


def _rank_pattern(v: Any) -> bool:
    # PEFT writes ranks; AdaLoRA writes per-module boolean masks of the kept singular values.
    return isinstance(v, dict) and all(
        (_is_int(x) and x >= 0) or (isinstance(x, list) and all(isinstance(b, bool) for b in x))
        for x in v.values())


def _alpha_pattern(v: Any) -> bool:
    return isinstance(v, dict) and all(_is_number(x) for x in v.values())


def _int_or_int_list(v: Any) -> bool:
    return _is_int(v) or (isinstance(v, list) and all(_is_int(x) for x in v))


def _token_indices(v: Any) -> bool:
    return (isinstance(v, list) and all(_is_int(x) for x in v)) or (
        isinstance(v, dict) and all(isinstance(x, list) and all(_is_int(i) for i in x) for x in v.values()))


def _str_dict(v: Any) -> bool:
    return isinstance(v, dict) and all(isinstance(x, str) for x in v.values())


_CHECKS: list[tuple[tuple[str, ...], Callable[[Any], bool], str]] = [
    (("peft_type", "task_type", "base_model_name_or_path", "peft_version", "revision",
      "prompt_tuning_init", "prompt_tuning_init_text", "tokenizer_name_or_path"),
     lambda v: isinstance(v, str), "text"),
    (("r", "init_r", "target_r", "total_step", "num_virtual_tokens", "token_dim",
      "num_transformer_submodules", "num_layers", "num_attention_heads", "encoder_hidden_size",
      "oft_block_size", "boft_block_size", "boft_block_num", "n_frequency", "block_size",
      "adapter_len", "adapter_layers", "num_tasks", "hidden_size"),
     lambda v: _is_int(v) and v >= 0, "a whole number (0 or more)"),
    (("lora_alpha", "alpha", "lora_dropout"), _is_number, "a number"),
    (("use_dora", "use_rslora", "inference_mode", "prefix_projection"),
     lambda v: isinstance(v, bool), "true or false"),
    (("target_modules", "exclude_modules", "feedforward_modules"), _str_or_str_list,
     "a module name pattern or a list of module names"),
    (("modules_to_save",), _is_str_list, "a list of module names"),
    (("rank_pattern",), _rank_pattern, "an object mapping module patterns to ranks"),
    (("alpha_pattern",), _alpha_pattern, "an object mapping module patterns to alphas"),
    (("layers_to_transform",), _int_or_int_list, "a layer index or a list of layer indices"),
    (("trainable_token_indices", "token_indices"), _token_indices, "a list of token indices"),
    (("adapters",), _str_dict, "an object mapping adapter names to folders"),
]
CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    key: (check, what) for keys, check, what in _CHECKS for key in keys}


def read_adapter_config(path: Path) -> dict[str, Any]:
    """The config as a dict; ``UserError`` if it is unreadable, not JSON, not an object or mistyped."""
    try:
        size = path.stat().st_size
        if size > MAX_CONFIG_BYTES:
            raise UserError(f"{path}: {size:,} bytes, far larger than any adapter config (a few kB); "
                            f"it is not an adapter_config.json")
        raw = path.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read '{path}': {exc.strerror or exc}") from None
    try:
        doc = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise UserError(f"{path}: not UTF-8 text, so not an adapter config; {FIX}") from None
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}:{exc.lineno}: not valid JSON (column {exc.colno}: {exc.msg}); "
                        f"{FIX}") from None
    except (ValueError, RecursionError):
        raise UserError(f"{path}: not valid JSON (nested too deeply); {FIX}") from None
    if not isinstance(doc, dict):
        raise UserError(f"{path}: expected a JSON object of PEFT config fields, found a "
                        f"{_json_kind(doc)}; {FIX}")
    problems = []
    for key, value in doc.items():
        if value is None or key not in CHECKS:
            continue
        check, what = CHECKS[key]
        if not check(value):
            problems.append(f"{path}: field '{key}' should be {what}, not {_brief(value)}; {FIX}")
    if problems:
        raise UserError(*problems)
    return doc


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


def _brief(value: Any) -> str:
    try:
        text = json.dumps(value)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return text if len(text) <= 60 else text[:60] + "..."
