"""PEFT's rules for matching module names against ``target_modules`` and ``rank_pattern`` keys.

Mirrors ``peft.tuners.tuners_utils.check_target_module_exists`` and
``peft.utils.other.get_pattern_key`` without importing peft. A config is data from anywhere, and
its regular expressions run here: a pattern that could backtrack exponentially (a quantified
group that itself repeats, ``(a+)+``) or an invalid one is not run; it is reported instead.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from ..files.bounded import regex_risk

ALL_LINEAR = "all-linear"


class PatternProblems:
    """Collects one message per pattern that is invalid or unsafe to run."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._seen: set[str] = set()

    def add(self, field: str, pattern: str, why: str) -> None:
        key = f"{field}:{pattern}"
        if key not in self._seen:
            self._seen.add(key)
            shown = pattern if len(pattern) <= 60 else pattern[:60] + "..."
            self.lines.append(f"{field} pattern '{shown}' {why}, so it was not applied here")


@lru_cache(maxsize=512)
def _compile(pattern: str) -> re.Pattern[str] | str:
    why = regex_risk(pattern)
    return why if why is not None else re.compile(pattern)


def _regex(pattern: str, field: str, problems: PatternProblems) -> re.Pattern[str] | None:
    compiled = _compile(pattern)
    if isinstance(compiled, str):
        problems.add(field, pattern, compiled)
        return None
    return compiled


@lru_cache(maxsize=512)
def _suffix_rx(pattern: str) -> re.Pattern[str] | None:
    try:  # the pattern alone compiled and is not risky; PEFT wraps it like this
        return re.compile(rf"(.*\.)?({pattern})$")
    except (re.error, RecursionError, OverflowError):
        return None


def in_list(names: list[str], key: str) -> bool:
    """PEFT's list rule: the exact module name, or a name ending in ``.<entry>``."""
    return key in names or any(key.endswith("." + n) for n in names)


def targeted(config: dict[str, Any], key: str, layer: int | None, problems: PatternProblems) -> bool | None:
    """Whether PEFT would adapt module ``key`` under this config (``None``: the config cannot say)."""
    exclude = config.get("exclude_modules")
    if isinstance(exclude, str):
        rx = _regex(exclude, "exclude_modules", problems)
        if rx is not None and rx.fullmatch(key):
            return False
    elif isinstance(exclude, list) and in_list(exclude, key):
        return False
    targets = config.get("target_modules")
    if targets is None or targets == ALL_LINEAR:
        return None
    if isinstance(targets, str):
        rx = _regex(targets, "target_modules", problems)
        return None if rx is None else bool(rx.fullmatch(key))
    found = in_list(targets, key)
    layers = config.get("layers_to_transform")
    if found and layers is not None and layers != [] and layer is not None:
        wanted = [layers] if isinstance(layers, int) else layers
        found = layer in wanted
    return found


def pattern_value(patterns: Any, key: str, field: str, problems: PatternProblems) -> Any:
    """The value of the first ``rank_pattern``/``alpha_pattern`` key matching module ``key``."""
    if not isinstance(patterns, dict):
        return None
    for pattern, value in patterns.items():
        if pattern == key or key.endswith("." + pattern):
            return value
        if _regex(pattern, field, problems) is None:
            continue
        rx = _suffix_rx(pattern)
        if rx is not None and rx.match(key):
            return value
    return None
