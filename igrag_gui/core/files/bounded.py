"""Reading what a user hands us within stated bounds of time and memory.

A config, a data file or a model folder can come from anywhere, and a parser that trusts it can be
made to hang or to fill the memory: a few hundred bytes of YAML anchors expand to millions of
values, JSON nested ten thousand deep exhausts the stack, a ``target_modules`` pattern such as
``(.|.)*z`` backtracks for hours. Each reader here refuses such input up front with one sentence
(a ``UserError``), so that every caller gets the same bound and the same wording.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..errors import UserError

MAX_YAML_BYTES = 1024 * 1024  # a config is a few kilobytes; a megabyte is not a config
MAX_YAML_VALUES = 100_000  # values after aliases are expanded; a config holds a few hundred
MAX_PATTERN = 1000
MAX_REPEATS = 4  # real target patterns use two or three ".*"; each more multiplies backtracking


# ------------------------------------------------------------------------------ YAML
def _yaml_loader() -> Any:
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _check_size(text: str, where: str) -> None:
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_YAML_BYTES:
        raise UserError(f"{where}: the file is {size:,} bytes; a YAML file here is a few kilobytes, so it is "
                        f"refused (the limit is {MAX_YAML_BYTES:,} bytes)")


def yaml_parse(text: str, where: str, python: bool = False) -> tuple[Any, Any]:
    """``(data, root node)`` of a YAML text, as ``yaml.safe_load`` reads it, parsed once: the node
    tree is composed (aliases stay shared nodes: cheap), checked, then built. Refuses a text over
    ``MAX_YAML_BYTES``, one whose aliases expand past ``MAX_YAML_VALUES`` values (an "alias
    bomb"), or one that refers to itself. libyaml's safe loader when present; ``python`` forces
    PyYAML's own, whose syntax errors name the line and column better. Syntax errors are raised
    as PyYAML's."""
    import yaml

    _check_size(text, where)
    loader = (yaml.SafeLoader if python else _yaml_loader())(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None, None
        _expanded_values(root, where)
        return loader.construct_document(root), root
    except RecursionError:
        raise UserError(f"{where}: the YAML is nested too deeply to read; a config is a few levels deep") from None
    finally:
        loader.dispose()


def _children(node: Any) -> list[Any]:
    import yaml

    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _expanded_values(root: Any, where: str) -> int:
    """How many values ``root`` becomes once every alias is a copy; a shared node counts each
    time it is referred to. Iterative (no recursion limit), each node visited once."""
    if root is None:
        return 0
    total: dict[int, int] = {}
    entered: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        key = id(node)
        if leaving:
            count = 1 + sum(total[id(c)] for c in _children(node))
            if count > MAX_YAML_VALUES:
                raise UserError(f"{where}: its aliases (*name) expand to more than {MAX_YAML_VALUES:,} values; "
                                f"a config holds a few hundred, so it is refused: write the values out or "
                                f"remove the aliases")
            total[key] = count
            entered.discard(key)
            continue
        if key in total:
            continue
        if key in entered:  # a node reached again before it was left: it contains itself
            raise UserError(f"{where}:{node.start_mark.line + 1}: a YAML alias refers to a value that "
                            f"contains it (a loop); remove the alias")
        entered.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in reversed(_children(node)))
    return total[id(root)]


def yaml_load(text: str, where: str) -> Any:
    """``yaml.safe_load`` within the bounds of ``yaml_parse``."""
    return yaml_parse(text, where)[0]


# ------------------------------------------------------------------------------ JSON
def json_loads(text: str | bytes) -> Any:
    """``json.loads``; a document nested deeper than Python's JSON reader goes (about a thousand
    levels) raises ``json.JSONDecodeError`` saying so, at the place it gets too deep, like any
    other malformed JSON (instead of a ``RecursionError`` that looks like a bug)."""
    try:
        return json.loads(text)
    except RecursionError:
        doc = text.decode("utf-8", "replace") if isinstance(text, (bytes, bytearray)) else text
        raise json.JSONDecodeError("nested too deeply (more than about 900 levels of [ or {)", doc,
                                   _too_deep_at(doc)) from None


def _too_deep_at(doc: str, limit: int = 900) -> int:
    depth, in_string, escaped = 0, False, False
    for i, ch in enumerate(doc):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return i
        elif ch in "]}":
            depth -= 1
    return 0


# ------------------------------------------------------------------------------ regular expressions
def regex_risk(pattern: str) -> str | None:
    """Why a user's regular expression is not run (too long, may backtrack exponentially, invalid),
    or None when it is safe to match against module names."""
    if len(pattern) > MAX_PATTERN:
        return f"is longer than {MAX_PATTERN} characters"
    if _repeats_repetition(pattern):
        return "repeats a group that itself repeats (it could take exponential time)"
    if _unbounded(pattern) > MAX_REPEATS:
        return f"has more than {MAX_REPEATS} unbounded repetitions (it could take very long)"
    try:
        re.compile(pattern)
    except (re.error, RecursionError, OverflowError):
        return "is not a valid regular expression"
    return None


def _repeats_repetition(pattern: str) -> bool:
    """A group followed by a quantifier whose body repeats or alternates: ``(a+)+``, ``(a|aa)*``."""
    opens: list[int] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "(":
            opens.append(i)
        elif ch == ")" and opens:
            body = re.sub(r"\\.", "", pattern[opens.pop() + 1:i])
            if pattern[i + 1:i + 2] in ("+", "*", "{") and re.search(r"[+*{|]", body):
                return True
        i += 1
    return False


def _unbounded(pattern: str) -> int:
    """How many ``*``, ``+`` and ``{n,}`` quantifiers, outside escapes and character classes."""
    plain = re.sub(r"\\.", "", pattern)
    plain = re.sub(r"\[[^\]]*\]", "", plain)
    return len(re.findall(r"[*+]|\{\d*,\}", plain))


# ------------------------------------------------------------------------------ secrets
_URL_PASSWORD = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*):(?P<secret>[^@\s/]*)@")


def mask_secrets(text: str) -> str:
    """``scheme://user:***@host``: a password written in a URL never reaches the screen or a file."""
    return _URL_PASSWORD.sub(lambda m: f"{m['head']}:***@", text)
