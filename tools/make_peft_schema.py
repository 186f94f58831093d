"""Write igrag_gui/core/methods/peft_schema.json: the fields igrag offers for each PEFT method,
with their types, PEFT defaults, choices and help texts taken from PEFT's config dataclasses.

The window reads the JSON, so it never imports PEFT to paint the form; run this script after
upgrading PEFT (tests/core/test_peft_schema.py fails until you do):

    .venv/bin/python tools/make_peft_schema.py
"""

from __future__ import annotations

import dataclasses
import enum
import json
import sys
import typing
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "igrag_gui" / "core" / "methods" / "peft_schema.json"


KIND_ORDER = ["bool", "int", "float", "str", "list", "dict", "none"]


def _kinds(tp: typing.Any) -> tuple[list[str], list[typing.Any]]:
    """(JSON kind names, choices) of a dataclass field annotation."""
    kinds: list[str] = []
    choices: list[typing.Any] = []
    origin = typing.get_origin(tp)
    if origin is typing.Union or type(tp).__name__ == "UnionType":
        for arg in typing.get_args(tp):
            k, c = _kinds(arg)
            kinds += [x for x in k if x not in kinds]
            choices += c
        # typing caches a Union under the first spelling it met (Union[str, list] == Union[list, str]),
        # so the argument order depends on what was imported before: a fixed order keeps the file stable
        return sorted(kinds, key=lambda k: KIND_ORDER.index(k) if k in KIND_ORDER else len(KIND_ORDER)), choices
    if origin is typing.Literal:
        values = list(typing.get_args(tp))
        for v in values:
            name = "none" if v is None else type(v).__name__
            if name not in kinds:
                kinds.append(name)
        return kinds, [v for v in values if v is not None]
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return ["str"], [m.value for m in tp]
    if origin in (list, tuple):
        return ["list"], []
    if tp is type(None):
        return ["none"], []
    if tp in (int, float, bool, str, dict):
        return [tp.__name__], []
    return ["str"], []


def _default(f: dataclasses.Field) -> typing.Any:
    value = f.default if f.default is not dataclasses.MISSING else (
        f.default_factory() if f.default_factory is not dataclasses.MISSING else None)  # type: ignore[misc]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (set, tuple)):
        return sorted(value)
    return value


def build_schema() -> dict:
    import peft

    from igrag_gui.core.methods.registry import METHOD_SPECS

    methods = {}
    for spec in METHOD_SPECS.values():
        if spec.ours:  # bottleneck adapters: igrag's own section, not PEFT's
            continue
        cls = getattr(peft, spec.peft_class)
        hints = typing.get_type_hints(cls)
        by_name = {f.name: f for f in dataclasses.fields(cls)}
        fields = {}
        for name in spec.fields:
            f = by_name[name]
            kinds, choices = _kinds(hints[name])
            entry = {"kinds": kinds, "default": _default(f), "help": " ".join(f.metadata.get("help", "").split())}
            if choices:
                entry["choices"] = choices
            fields[name] = entry
        methods[spec.name] = {"peft_class": spec.peft_class, "peft_type": spec.peft_type, "fields": fields}
    return {"peft_version": peft.__version__, "methods": methods}


def main() -> None:
    OUT.write_text(json.dumps(build_schema(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
