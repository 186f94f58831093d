"""Which PEFT method an adapter is, and the evidence: the config's ``peft_type`` and the tensors.

The config says what PEFT will build; the tensor names and shapes say what was trained. The
verdict names the method as people write it (``DoRA`` is saved as ``peft_type: LORA`` with
``use_dora``), lists the facts that support it, and warns when config and tensors disagree.
Without a config the method is inferred from the tensors alone, and said to be.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .peft_types import (ADALORA, LORA, PEFT_TYPES, PREFIX, PROMPT, PROMPT_BASED, XLORA, MethodInfo,
                              method_info)
from .tensor_names import ADAPTER, PROMPT as PROMPT_ROLE, Module

# Tensor markers that ride along with another method (LoRA's trainable_token_indices).
AUXILIARY = "TRAINABLE_TOKENS"


@dataclass
class Verdict:
    peft_type: str | None
    source: str  # "config", "tensors" or "none"
    info: MethodInfo | None
    method: str
    evidence: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def family(self) -> str | None:
        return self.info.family if self.info else None


def _tensor_types(tensors: list[Any], config: dict[str, Any] | None) -> Counter:
    seen: Counter = Counter(t.marker for t in tensors if t.marker)
    if "ADALORA" in seen:  # AdaLoRA's lora_A/lora_B carry LoRA's names
        seen["ADALORA"] += seen.pop("LORA", 0)
    if "MULTITASK_PROMPT_TUNING" in seen:
        seen["MULTITASK_PROMPT_TUNING"] += seen.pop("PROMPT_TUNING", 0)
    others = [k for k in seen if k != AUXILIARY]
    cfg_type = config.get("peft_type") if config else None
    if others and cfg_type != AUXILIARY:
        seen.pop(AUXILIARY, None)
    return seen


def _describe(peft_type: str) -> str:
    info = PEFT_TYPES.get(peft_type)
    if peft_type == "PROMPT_TUNING":
        return "prompt embeddings (prompt_embeddings), as the prompt-based methods save"
    return f"{info.name} tensors" if info else peft_type


def _compatible(cfg_type: str, seen_type: str) -> bool:
    if cfg_type == seen_type:
        return True
    if seen_type == "PROMPT_TUNING":
        return cfg_type in PROMPT_BASED
    if seen_type == "LORA":
        return cfg_type in ("ADALORA", "XLORA")
    return False


def judge(config: dict[str, Any] | None, tensors: list[Any], modules: list[Module],
          has_weights: bool) -> Verdict:
    seen = _tensor_types(tensors, config)
    cfg_type = config.get("peft_type") if config else None
    if isinstance(cfg_type, str):
        info = method_info(cfg_type)
        if info is None:
            verdict = Verdict(cfg_type, "config", None, f"unknown ({cfg_type})")
            verdict.evidence.append(f'peft_type "{cfg_type}" in adapter_config.json is not a method '
                                    f"PEFT 0.21 saves, so the report covers tensors only")
            if seen:
                verdict.evidence.append("its tensors follow the naming of " + ", ".join(
                    PEFT_TYPES[t].name for t in seen if t in PEFT_TYPES))
            return verdict
        verdict = Verdict(cfg_type, "config", info, info.name)
        verdict.evidence.append(f'peft_type "{cfg_type}" in adapter_config.json')
        tokens_configured = bool(config.get("trainable_token_indices")) if config else False
        foreign = [t for t in seen if not _compatible(cfg_type, t)
                   and not (t == AUXILIARY and tokens_configured)]
        if has_weights and foreign and not any(_compatible(cfg_type, t) for t in seen):
            verdict.warnings.append(
                f"adapter_config.json says peft_type {cfg_type} ({info.name}) but the weights hold only "
                + " and ".join(_describe(t) for t in foreign)
                + "; the config and the weights may come from different adapters")
        elif has_weights and foreign:
            verdict.warnings.append("the weights also hold " + " and ".join(_describe(t) for t in foreign)
                                    + f", which {info.name} does not save")
    else:
        verdict = _infer(seen, config is not None)
    _refine(verdict, config, tensors, modules, seen)
    return verdict


def _infer(seen: Counter, has_config: bool) -> Verdict:
    why = ("adapter_config.json has no peft_type" if has_config else "no adapter_config.json")
    main = [t for t in seen if t != AUXILIARY] or list(seen)
    if len(main) == 1 and main[0] != "PROMPT_TUNING":
        info = PEFT_TYPES[main[0]]
        v = Verdict(info.peft_type, "tensors", info, info.name)
        v.evidence.append(f"{why}: {info.name}, inferred from the tensor names")
        return v
    if main == ["PROMPT_TUNING"]:
        v = Verdict(None, "tensors", None, "prompt-based (prompt tuning, P-tuning or prefix tuning)")
        v.evidence.append(f"{why}: prompt_embeddings alone cannot tell prompt tuning, P-tuning and "
                          f"prefix tuning apart; the config would say which")
        return v
    if main:
        v = Verdict(None, "tensors", None, "mixed: " + " + ".join(PEFT_TYPES[t].name for t in main))
        v.evidence.append(f"{why}: the tensors follow the naming of several methods")
        return v
    v = Verdict(None, "none", None, "unknown")
    v.evidence.append(f"{why}, and no tensor name that a PEFT method uses")
    return v


def _ranks_text(modules: list[Module]) -> str:
    ranks = Counter(m.rank for m in modules if m.rank is not None)
    if not ranks:
        return "rank unreadable from their shapes"
    if len(ranks) == 1:
        return f"rank {next(iter(ranks))} read from their shapes"
    return "ranks " + ", ".join(f"{r} ({n})" for r, n in sorted(ranks.items())) + " read from their shapes"


def _refine(v: Verdict, config: dict[str, Any] | None, tensors: list[Any], modules: list[Module],
            seen: Counter) -> None:
    """The method variant (DoRA, rsLoRA) and the tensor facts behind the verdict."""
    cfg = config or {}
    adapted = [m for m in modules if m.role == ADAPTER]
    family = v.family
    if family == LORA:
        pairs = [m for m in adapted if "lora_A" in m.tensors and "lora_B" in m.tensors]
        emb = [m for m in adapted if "lora_embedding_A" in m.tensors and "lora_embedding_B" in m.tensors]
        magnitude = [m for m in adapted if "lora_magnitude_vector" in m.tensors]
        if pairs:
            v.evidence.append(f"{len(pairs)} lora_A/lora_B pairs, {_ranks_text(pairs)}")
        if emb:
            v.evidence.append(f"{len(emb)} lora_embedding_A/lora_embedding_B pairs (embedding layers)")
        dora_cfg, rslora = cfg.get("use_dora") is True, cfg.get("use_rslora") is True
        dora = dora_cfg or (bool(magnitude) and config is None)
        if magnitude:
            v.evidence.append(f"lora_magnitude_vector present in {len(magnitude)} modules → DoRA")
        if dora_cfg and not magnitude and tensors:
            v.warnings.append("use_dora is true in adapter_config.json but the weights hold no "
                              "lora_magnitude_vector; PEFT will fail to load them as DoRA")
        if magnitude and config is not None and not dora_cfg:
            v.warnings.append(f"the weights hold lora_magnitude_vector (DoRA) in {len(magnitude)} modules "
                              f"but use_dora is not true in adapter_config.json; PEFT will ignore them")
            dora = True
        if rslora:
            v.evidence.append("use_rslora true → scaling alpha/sqrt(r) (rsLoRA)")
        v.method = ("DoRA + rsLoRA" if rslora else "DoRA") if dora else ("rsLoRA" if rslora else "LoRA")
        saved = [m for m in modules if m.role != ADAPTER]
        if saved:
            v.evidence.append(f"full weights saved for {plural(len(saved), 'extra module')} "
                              f"({', '.join(sorted({m.target for m in saved})[:6])})")
        if cfg.get("rank_pattern") or cfg.get("alpha_pattern"):
            v.evidence.append("rank_pattern/alpha_pattern give some modules their own rank or alpha")
        if any(t.marker == AUXILIARY for t in tensors):
            v.evidence.append("trainable_tokens_delta present: selected token embeddings are trained too")
    elif family == ADALORA:
        triples = [m for m in adapted if {"lora_A", "lora_B", "lora_E"} <= set(m.tensors)]
        v.evidence.append(f"{len(triples)} lora_A/lora_E/lora_B triples (SVD form P·Λ·Q), "
                          f"{_ranks_text(triples)} → AdaLoRA")
    elif family in (PROMPT, PREFIX):
        for t in tensors:
            if t.role == PROMPT_ROLE:
                v.evidence.append(f"{t.name} of shape {_shape(t.shape)}")
        if v.peft_type == "P_TUNING":
            v.evidence.append("P-tuning saves the prompt encoder's output embeddings, not the encoder")
    elif family == XLORA:
        names = list((cfg.get("adapters") or {}).keys())
        v.evidence.append(f"an X-LoRA classifier over {len(names)} LoRA adapters"
                          + (f" ({', '.join(names[:8])}), each saved in its own subfolder" if names else ""))
    elif v.info is not None and adapted:
        params = Counter(p for m in adapted for p in m.tensors)
        shown = ", ".join(f"{p} ({n})" for p, n in sorted(params.items())[:8])
        v.evidence.append(f"{plural(len(adapted), 'module')} with {shown}")
        if family == "ia3":
            by_name = {t.name: t for t in tensors}
            ff = [m for m in adapted if _is_feedforward_ia3(m, by_name)]
            if ff:
                v.evidence.append(f"{len(ff)} of them scale inputs (feed-forward modules)")
    shared = sorted({t.param for t in tensors if t.role == "shared"})
    if shared:
        v.evidence.append("shared tensors: " + ", ".join(shared[:8]))


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _is_feedforward_ia3(m: Module, by_name: dict[str, Any]) -> bool:
    t = by_name.get(m.tensors.get("ia3_l", ""))
    return bool(t and len(t.shape) == 2 and t.shape[0] == 1 and t.shape[1] != 1)


def _shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ")"
