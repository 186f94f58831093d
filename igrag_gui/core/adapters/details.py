"""The key figures of each method, in display order, and each module's configured rank and scaling.

LoRA: r, alpha and the scaling PEFT actually applies (alpha/r, or alpha/sqrt(r) with rsLoRA,
per module when rank_pattern/alpha_pattern say so), the ranks the tensors really have, the
targets and the extra saved modules. Prompt-based methods: virtual tokens, token dimension,
submodules, layers and the initialisation. IA³: targets and feed-forward modules. Every other
method: the config fields its catalog entry names.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from .matching import PatternProblems, pattern_value
from .peft_types import ADALORA, IA3, LORA, PREFIX, PROMPT, XLORA, MethodInfo
from .tensor_names import ADAPTER, PROMPT as PROMPT_ROLE, SAVED, Module
from .verdict import Verdict


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _rank_value(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, list):  # AdaLoRA's mask of kept singular values
        return sum(1 for b in value if b is True)
    return None


def lora_scaling(alpha: float | None, r: int | None, rslora: bool) -> float | None:
    if alpha is None or r is None or r <= 0:
        return None
    try:
        return alpha / (math.sqrt(r) if rslora else r)
    except OverflowError:
        return None


def _counts(values: list[Any]) -> dict[str, int]:
    return {str(k): n for k, n in sorted(Counter(values).items(), key=lambda kv: str(kv[0]))}


def _modules_by_target(modules: list[Module]) -> dict[str, int]:
    return dict(Counter(m.target for m in modules).most_common())


def _present(config: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    return {k: config[k] for k in fields if k in config and config[k] not in (None, {}, [])}


def figures(verdict: Verdict, config: dict[str, Any] | None, tensors: list[Any], modules: list[Module],
            problems: PatternProblems) -> dict[str, Any]:
    """Key figures for the method; sets ``config_rank``, ``alpha`` and ``scaling`` on modules."""
    cfg = config or {}
    adapted = [m for m in modules if m.role == ADAPTER]
    saved = [m for m in modules if m.role == SAVED]
    family = verdict.family
    if family == LORA:
        d = _lora(cfg, config is not None, adapted, problems)
    elif family == ADALORA:
        d = _adalora(cfg, adapted, problems)
    elif family in (PROMPT, PREFIX):
        d = _prompt(verdict.info, cfg, tensors, family)
    elif family == IA3:
        d = _present(cfg, verdict.info.key_fields) if verdict.info else {}
        d["adapted_modules"] = len(adapted)
        d["modules_by_target"] = _modules_by_target(adapted)
    elif family == XLORA:
        d = _present(cfg, verdict.info.key_fields) if verdict.info else {}
        if isinstance(d.get("adapters"), dict):
            d["adapters"] = list(d["adapters"])
    else:
        d = _present(cfg, verdict.info.key_fields) if verdict.info else {}
        if adapted:
            d["adapted_modules"] = len(adapted)
            d["modules_by_target"] = _modules_by_target(adapted)
            ranks = [m.rank for m in adapted if m.rank is not None]
            if ranks:
                d["ranks_from_tensors"] = _counts(ranks)
            for m in adapted:
                m.config_rank = _rank_value(cfg.get("r"))
    adapter_params = sum(t.numel for t in tensors if t.role != SAVED)
    d["adapter_params"] = adapter_params
    if saved:
        d["saved_modules"] = sorted(m.name for m in saved)
        d["saved_module_params"] = sum(m.params for m in saved)
    return d


def _lora(cfg: dict[str, Any], has_config: bool, adapted: list[Module],
          problems: PatternProblems) -> dict[str, Any]:
    r = _rank_value(cfg.get("r"))
    alpha = _num(cfg.get("lora_alpha"))
    rslora = cfg.get("use_rslora") is True
    rule = "alpha/sqrt(r)" if rslora else "alpha/r"
    for m in adapted:
        if not has_config:
            continue
        m_r = _rank_value(pattern_value(cfg.get("rank_pattern"), m.name, "rank_pattern", problems))
        m_alpha = _num(pattern_value(cfg.get("alpha_pattern"), m.name, "alpha_pattern", problems))
        m.config_rank = r if m_r is None else m_r
        m.alpha = alpha if m_alpha is None else m_alpha
        m.scaling = lora_scaling(m.alpha, m.config_rank, rslora)
    d: dict[str, Any] = {}
    tensor_ranks = [m.rank for m in adapted if m.rank is not None]
    d["r"] = r if has_config else (Counter(tensor_ranks).most_common(1)[0][0] if tensor_ranks else None)
    d["lora_alpha"] = cfg.get("lora_alpha")
    d["scaling"] = lora_scaling(alpha, r, rslora)
    d["scaling_rule"] = rule if has_config else "unknown without adapter_config.json"
    scalings = [m.scaling for m in adapted if m.scaling is not None]
    if len(set(scalings)) > 1:
        d["scalings_by_module"] = _counts([round(s, 6) for s in scalings])
    for key in ("lora_dropout", "bias", "use_dora", "use_rslora", "target_modules", "exclude_modules"):
        if key in cfg and cfg[key] is not None:
            d[key] = cfg[key]
    d["adapted_modules"] = len(adapted)
    d["modules_by_target"] = _modules_by_target(adapted)
    if tensor_ranks:
        d["ranks_from_tensors"] = _counts(tensor_ranks)
    d.update(_present(cfg, ("rank_pattern", "alpha_pattern", "modules_to_save", "trainable_token_indices",
                            "layers_to_transform", "layers_pattern", "target_parameters")))
    init = cfg.get("init_lora_weights")
    if init not in (None, True):
        d["init_lora_weights"] = init
    if cfg.get("lora_bias") is True:
        d["lora_bias"] = True
    return d


def _adalora(cfg: dict[str, Any], adapted: list[Module], problems: PatternProblems) -> dict[str, Any]:
    init_r = _rank_value(cfg.get("init_r"))
    alpha = _num(cfg.get("lora_alpha"))
    for m in adapted:
        kept = _rank_value(pattern_value(cfg.get("rank_pattern"), m.name, "rank_pattern", problems))
        m.config_rank = init_r if kept is None else kept
        m.alpha = alpha
        # SVDLinear applies lora_alpha / ranknum, ranknum being the module's current rank.
        m.scaling = lora_scaling(alpha, m.rank, False)
    d = _present(cfg, ("init_r", "target_r", "lora_alpha", "lora_dropout", "total_step", "tinit", "tfinal",
                       "deltaT", "target_modules", "modules_to_save"))
    d["adapted_modules"] = len(adapted)
    d["modules_by_target"] = _modules_by_target(adapted)
    ranks = [m.rank for m in adapted if m.rank is not None]
    if ranks:
        d["ranks_from_tensors"] = _counts(ranks)
        d["total_rank"] = sum(ranks)
    if cfg.get("rank_pattern"):
        d["rank_budget_allocated"] = True
    return d


def _prompt(info: MethodInfo | None, cfg: dict[str, Any], tensors: list[Any], family: str) -> dict[str, Any]:
    d = _present(cfg, info.key_fields) if info else {}
    nvt, nts = cfg.get("num_virtual_tokens"), cfg.get("num_transformer_submodules")
    if isinstance(nvt, int) and isinstance(nts, int) and family == PROMPT:
        d["total_virtual_tokens"] = nvt * nts
    for t in tensors:
        if t.role == PROMPT_ROLE:
            d[f"{t.name}_shape"] = list(t.shape)
    if family == PREFIX:
        layers, dim = cfg.get("num_layers"), cfg.get("token_dim")
        if isinstance(layers, int) and isinstance(dim, int):
            d["prefix_values_per_token"] = layers * 2 * dim  # a key and a value per layer
    return d
