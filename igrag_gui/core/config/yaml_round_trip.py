"""Saving a config over the user's own file without making it ours.

PyYAML reads configs (fast, safe); writing back goes through ruamel.yaml's round-trip mode, which
keeps comments (in any language), key order, quoting style, flow lists and key spellings. Only
values that changed are replaced; a key the file lacks is added only when its value differs from
the default, so saving an untouched IGRAG file gives back the same bytes.
"""

from __future__ import annotations

import io
from typing import Any

_MISSING = object()


def round_trip_yaml(indent: int = 2, block_seq_indent: int | None = 0) -> Any:
    """ruamel.yaml in round-trip mode, set up to leave the user's text as it is."""
    from ruamel.yaml import YAML

    rt = YAML(typ="rt")  # round trip; it constructs plain data only (no Python objects)
    rt.preserve_quotes = True
    rt.width = 4096  # never re-wrap a long line the user wrote on one
    rt.indent(mapping=indent, sequence=indent + (block_seq_indent or 0), offset=block_seq_indent or 0)
    return rt


def _same(old: Any, new: Any) -> bool:
    if old is False and new == "no":  # YAML 1.1 'no' that RunConfig read as the word
        return True
    if isinstance(old, bool) != isinstance(new, bool):
        return False
    try:
        return bool(old == new)
    except Exception:  # noqa: BLE001 - incomparable values differ
        return False


def _styled(old: Any, new: Any) -> Any:
    """``new`` dressed as ``old`` was: the same quotes for text, flow style for a list."""
    from ruamel.yaml.comments import CommentedSeq
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

    if isinstance(new, str) and isinstance(old, (DoubleQuotedScalarString, SingleQuotedScalarString)):
        return type(old)(new)
    if isinstance(new, list) and isinstance(old, list):
        item_style = next((type(v) for v in old if isinstance(v, (DoubleQuotedScalarString,
                                                                   SingleQuotedScalarString))), None)
        seq = CommentedSeq(item_style(v) if item_style and isinstance(v, str) else v for v in new)
        if isinstance(old, CommentedSeq) and old.fa.flow_style():
            seq.fa.set_flow_style()
        return seq
    return new


def _merge(doc: Any, new: dict, defaults: dict) -> None:
    from ruamel.yaml.comments import CommentedMap

    for key, value in new.items():
        old = doc.get(key, _MISSING)
        if old is _MISSING:
            default = defaults.get(key, _MISSING) if isinstance(defaults, dict) else _MISSING
            if isinstance(value, dict):
                body = CommentedMap()
                _merge(body, value, default if isinstance(default, dict) else {})
                if body:
                    doc[key] = body
            elif default is _MISSING or not _same(default, value):
                doc[key] = value
        elif isinstance(old, dict) and isinstance(value, dict):
            _merge(old, value, defaults.get(key, {}) if isinstance(defaults, dict) else {})
        elif not _same(old, value):
            doc[key] = _styled(old, value)
    for key in [k for k in doc if k not in new]:
        del doc[key]


def round_trip(text: str, new: dict[str, Any], defaults: dict[str, Any]) -> str | None:
    """``text`` (a YAML config) with the values of ``new`` (``RunConfig.to_dict()``), changing
    only what differs; ``None`` when ``text`` is not a mapping ruamel can read (the caller writes
    the file afresh). ``defaults`` (the layout's default values) decides which keys the file
    lacks are worth adding."""
    from ruamel.yaml.util import load_yaml_guess_indent

    try:
        _, indent, block_seq_indent = load_yaml_guess_indent(text)
        rt = round_trip_yaml(indent or 2, block_seq_indent)
        doc = rt.load(text)
    except Exception:  # noqa: BLE001 - a file ruamel cannot parse is written afresh
        doc = None
    if not isinstance(doc, dict):
        return None
    _merge(doc, new, defaults)
    out = io.StringIO()
    rt.dump(doc, out)
    return out.getvalue()
