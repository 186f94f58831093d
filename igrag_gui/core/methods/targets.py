"""Target modules: does each configured name exist in the base model, and what was probably meant."""

from __future__ import annotations

from typing import Any, Iterable

from ..errors import Problem

_TARGET_ALIASES = {
    "q_proj": "q", "k_proj": "k", "v_proj": "v", "o_proj": "o", "out_proj": "o",
    "query": "q", "key": "k", "value": "v", "dense": "o",
    "q": "q_proj", "k": "k_proj", "v": "v_proj", "o": "o_proj",
    "gate_proj": "wi_0", "up_proj": "wi_1", "down_proj": "wo",
    "fc1": "wi", "fc2": "wo", "c_attn": "q", "c_proj": "o",
}


def suggest_module(name: str, available: Iterable[str]) -> list[str]:
    """Likely meant module names for a target the model lacks (``q_proj`` on T5 gives ``q``)."""
    import difflib

    available = list(dict.fromkeys(available))
    hits: list[str] = []
    alias = _TARGET_ALIASES.get(name)
    if alias in available:
        hits.append(alias)
    head = name.split("_")[0]
    hits += [a for a in available if a == head or a.split("_")[0] == name]
    hits += difflib.get_close_matches(name, available, n=3, cutoff=0.5)
    return list(dict.fromkeys(hits))[:3]


def check_targets(targets: Any, module_names: Iterable[str]) -> list[Problem]:
    """Each configured target must name a module the base model really has."""
    names = list(dict.fromkeys(module_names))
    if isinstance(targets, str):
        return []  # 'all-linear' (or a PEFT regex), resolved by PEFT itself
    leaf_names = set(names)
    missing = [t for t in targets if t not in leaf_names and not any(n.endswith("." + t) for n in names)]
    out = []
    for t in missing:
        hint = suggest_module(t, names)
        did_you_mean = f"did you mean {' or '.join(repr(h) for h in hint)}? " if hint else ""
        out.append(Problem("lora.target_modules", f"the model has no module named '{t}'; "
                                                  f"{did_you_mean}its modules are: {', '.join(names)}"))
    return out
