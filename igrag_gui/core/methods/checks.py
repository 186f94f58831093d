"""Checks that depend on the chosen method: targets the model lacks, OFT blocks that do not
divide a width, virtual tokens that do not fit the model with the prompt, and methods PEFT or
transformers cannot train on a model family. Each is one ``Problem`` beside its field."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import Problem
from .registry import METHOD_SPECS
from .targets import check_targets

if TYPE_CHECKING:  # pragma: no cover
    from ..config import RunConfig

# What the installed transformers 5 / PEFT 0.21 cannot train usefully, by (method, family): the
# reason is shown before Start. Prefix tuning trains (the forward pass uses PEFT's prefix), but
# transformers 5 renamed the models' ``past_key_values`` argument to ``cache``: generate() passes
# its own ``cache`` and drops the ``past_key_values`` that carry the prefix ("Both
# `past_key_values` and `cache` are set ... ignoring deprecated `past_key_values`"), so the
# generated tokens' scores equal the base model's exactly (measured on T5 and Llama; see docs/methods.md).
_PREFIX_IGNORED = ("transformers 5 generates with its own cache and drops the past_key_values that "
                   "carry PEFT's prefix, so a trained prefix would never reach the captions")
UNSUPPORTED: dict[tuple[str, str], str] = {("prefix_tuning", "seq2seq"): _PREFIX_IGNORED,
                                           ("prefix_tuning", "causal"): _PREFIX_IGNORED}
# GPT-2 style models build their projections as transformers' Conv1D, which PEFT 0.21's LoHa,
# LoKr and OFT layers refuse ("Target module of type Conv1D not supported", peft/tuners/lycoris_utils.py,
# peft/tuners/oft/model.py).
CONV1D_FAMILIES = ("gpt2", "gpt_bigcode", "imagegpt", "openai-gpt")
NO_CONV1D = ("loha", "lokr", "oft")


def target_key(cfg: "RunConfig") -> str | None:
    """``section.target_modules`` of the chosen method, if it has targets."""
    section = cfg.method_section
    if section == "lora" or "target_modules" in METHOD_SPECS[section].fields:
        return f"{section}.target_modules"
    return None


def unsupported(method: str, kind: str, model_type: str) -> str | None:
    """Why the installed PEFT / transformers cannot train ``method`` on this model, if they cannot."""
    if method == "adapter":
        from .bottleneck_section import unsupported_reason

        return unsupported_reason(model_type)
    reason = UNSUPPORTED.get((method, kind)) or UNSUPPORTED.get((method, model_type))
    if not reason and method in NO_CONV1D and model_type in CONV1D_FAMILIES:
        reason = (f"PEFT {method} layers take only Linear and Conv2d modules, and "
                  f"{model_type} builds its projections as transformers' Conv1D")
    return reason


def unsupported_message(method: str, kind: str, reason: str) -> str:
    return f"{method} cannot train a {kind} model here: {reason}; choose another method"


def method_checks(cfg: "RunConfig", ok: set[str], model: Any = None) -> list["Problem"]:

    out: list[Problem] = []
    if cfg.method not in METHOD_SPECS:
        return out
    section = cfg.method_section
    body = getattr(cfg, section)
    if section == "adapter":
        from .bottleneck_section import section_problems

        out += [Problem(key, message) for key, message in section_problems(body) if key in ok]
    key = target_key(cfg)
    out += _risky_patterns(cfg, body, ok)
    if model is not None and key in ok:
        targets = getattr(body, "target_modules")
        if isinstance(targets, list):
            out += [Problem(key, p.message, p.severity) for p in check_targets(targets, model.module_names)]
        if section == "oft" and f"{section}.oft_block_size" in ok and isinstance(targets, list):
            out += _oft_blocks(body, targets, model)
    if model is not None:
        reason = unsupported(cfg.method, model.kind, model.model_type)
        if reason:
            out.append(Problem("method", unsupported_message(cfg.method, model.kind, reason)))
        tokens = getattr(body, "num_virtual_tokens", None)
        if (model.max_positions and isinstance(tokens, int) and f"{section}.num_virtual_tokens" in ok
                and model.kind == "causal"
                and tokens + cfg.data.max_source_length + cfg.data.max_target_length > model.max_positions):
            out.append(Problem(f"{section}.num_virtual_tokens", (
                f"{tokens} virtual tokens + data.max_source_length {cfg.data.max_source_length} + "
                f"max_target_length {cfg.data.max_target_length} exceed the model's "
                f"{model.max_positions} positions; lower num_virtual_tokens or max_source_length")))
    return out


def _risky_patterns(cfg: "RunConfig", body: Any, ok: set[str]) -> list["Problem"]:
    """A module-name pattern (``target_modules: "...") that PEFT would match against every module
    name while counting or training, refused when it could take exponential time (``bounded``):
    the Inspect tab reports such a pattern; everywhere else it would hang."""
    from ..files.bounded import regex_risk

    out: list[Problem] = []
    for name in ("target_modules", "feedforward_modules", "exclude_modules"):
        value = getattr(body, name, None)
        key = f"{cfg.method_section}.{name}"
        if not isinstance(value, str) or value == "all-linear" or key not in ok or key == "lora.target_modules":
            continue  # (LoRA takes a list or all-linear only: RunConfig refuses any other string)
        why = regex_risk(value)
        if why:
            shown = value if len(value) <= 60 else value[:60] + "..."
            out.append(Problem(key, f"the pattern '{shown}' {why}, and PEFT matches it against every module "
                                    f"name, so it is refused; list the module names instead, e.g. [q, v]"))
    return out


def _oft_blocks(body: Any, targets: list[str], model: Any) -> list["Problem"]:

    size, r = body.oft_block_size, body.r
    for name in targets:
        shape = model.shapes.get(name)
        if not shape:
            continue
        width = shape[0]
        if size and width % size:
            divisors = [d for d in (8, 16, 32, 64, 128) if width % d == 0]
            return [Problem("oft.oft_block_size", f"{size} does not divide the width {width} of module "
                                                  f"'{name}'; use a divisor such as "
                                                  f"{', '.join(map(str, divisors)) or 1}")]
        if r and size and r * size != width:
            return [Problem("oft.r", f"r={r} blocks of size {size} do not cover the width {width} of "
                                     f"'{name}'; set r to 0 (derived from oft_block_size)")]
    return []
