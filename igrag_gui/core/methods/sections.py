"""The config section of each method other than LoRA, built from ``peft_schema.json``.

Each section is a dataclass like the hand-written ones in ``config.py`` (same field metadata:
help, kind, choices, min), so the form, ``validate`` and ``--set`` treat it the same way. Types,
PEFT defaults and help texts are PEFT's; ``registry`` supplies our defaults and the field order;
every section adds one field of ours, ``learning_rate`` (the method's own rate).
"""

from __future__ import annotations

import dataclasses
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from .bottleneck_section import AdapterSection
from .registry import IGRAG_INIT_SENTENCE, IGRAG_TEXT_INIT, METHOD_SPECS

SCHEMA_FILE = Path(__file__).with_name("peft_schema.json")
_KINDS = {"int": int, "float": float, "bool": bool, "str": str, "list": list, "none": type(None),
          "dict": dict}
# Counts that must be positive, and fields that PEFT leaves empty but we fill.
_POSITIVE = {"r", "init_r", "target_r", "num_virtual_tokens", "encoder_num_layers", "oft_block_size",
             "encoder_hidden_size", "num_transformer_submodules", "deltaT"}
_OURS_HELP = {
    "target_modules": " Empty: PEFT's default for the model family (for T5: its own mapping).",
    "num_transformer_submodules": " For seq2seq models: 1 prefixes the encoder input only (as IGRAG "
                                  "does), 2 (PEFT's default when empty) the decoder too.",
    "prompt_tuning_init": f" {IGRAG_TEXT_INIT} (igrag): IGRAG's own, the sentence's token embeddings "
                          f"followed by copies of its last token's embedding.",
}


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def _field(name: str, entry: dict[str, Any], default: Any) -> Any:
    kinds = tuple(_KINDS[k] for k in entry["kinds"])
    if default is None and type(None) not in kinds:
        kinds = (*kinds, type(None))
    if list in kinds and str not in kinds:
        kinds = (*kinds, str)
    meta: dict[str, Any] = {"help": entry["help"] + _OURS_HELP.get(name, ""),
                            "kind": kinds if len(kinds) > 1 else kinds[0]}
    choices = list(entry.get("choices", ()))
    if name == "prompt_tuning_init":
        choices.append(IGRAG_TEXT_INIT)
    if choices and set(kinds) <= {str, type(None)}:
        meta["choices"] = tuple(choices)
    if name in _POSITIVE:
        meta["min"] = 0 if default == 0 else 1  # OFT's r=0: derived from oft_block_size
    if name.endswith("dropout"):
        meta.update(min=0, max_exclusive=1)
    if name == "target_modules":
        meta["targets"] = True
    if isinstance(default, list):
        return dataclasses.field(default_factory=lambda: list(default), metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def _section_class(method: str) -> type:
    spec = METHOD_SPECS[method]
    entries = schema()["methods"][method]["fields"]
    fields = []
    for name in spec.fields:
        entry = entries[name]
        default = spec.defaults.get(name, entry["default"])
        if name == "prompt_tuning_init_text" and default is None:
            default = IGRAG_INIT_SENTENCE
        fields.append((name, Any, _field(name, entry, default)))
    fields.append(("learning_rate", float, dataclasses.field(default=spec.learning_rate, metadata={
        "help": f"Peak learning rate for {spec.title} (igrag's; replaces training.learning_rate while "
                f"this method is chosen).", "kind": float, "min_exclusive": 0})))
    cls = dataclasses.make_dataclass(f"{method.title().replace('_', '')}Section", fields)
    cls.__module__ = __name__
    return cls


METHOD_SECTION_CLASSES: dict[str, type] = {m: _section_class(m) for m, spec in METHOD_SPECS.items()
                                            if m != "lora" and not spec.ours}
METHOD_SECTION_CLASSES["adapter"] = AdapterSection  # ours, hand-written (not from PEFT's schema)
