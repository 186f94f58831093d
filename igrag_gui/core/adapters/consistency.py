"""Consistency checks between the config, the tensors and this machine: warnings, never errors.

Each check returns sentences a user can act on: what does not fit, an example module, and what
it means for loading the adapter. Nothing here raises; a broken file was refused earlier.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from functools import lru_cache
from pathlib import Path
from typing import Any

from .locate import CONFIG_NAME, SAFETENSORS_NAME, AdapterFiles
from .matching import ALL_LINEAR, PatternProblems, in_list, targeted
from .peft_types import ADALORA, LORA, PREFIX, PROMPT, XLORA
from .tensor_names import ADAPTER, SAVED, Module
from .verdict import Verdict
from .weights_file import FLOAT_DTYPES, convert_command

NOT_MODULE_BASED = (PROMPT, PREFIX, XLORA)


def _eg(names: list[str]) -> str:
    return f"e.g. {names[0]}" if len(names) == 1 else f"e.g. {names[0]} and {len(names) - 1} more"


def _n(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def check_files(files: AdapterFiles, num_tensors: int | None, verdict: Verdict) -> list[str]:
    out = []
    if files.config is None:
        out.append(f"no {CONFIG_NAME} next to {files.weights}: the method and figures come from the tensor "
                   f"names alone, and PEFT cannot load the adapter without its config")
    if files.weights is None:
        out.append(f"no {SAFETENSORS_NAME} next to {files.config}: the report comes from the config alone, "
                   f"and the adapter cannot be loaded without its weights")
    elif num_tensors == 0 and verdict.family != XLORA:
        out.append(f"{files.weights} holds no tensors: nothing was trained or saved")
    if files.weights_format == "pickle":
        out.append(f"{files.weights} is a PyTorch pickle, read with torch.load(weights_only=True); "
                   f"convert it to safetensors, safe and quick to inspect: {convert_command(files.weights)}")
    return out


def check_lora(config: dict[str, Any] | None, modules: list[Module], by_name: dict[str, Any],
               family: str | None) -> list[str]:
    """Pairs, rank agreement between tensors and config, unsharded saves."""
    if family not in (LORA, ADALORA):
        return []
    out = []
    adapted = [m for m in modules if m.role == ADAPTER]
    needed = [("lora_A", "lora_B"), ("lora_embedding_A", "lora_embedding_B")]
    for a, b in needed:
        only_a = [m.name for m in adapted if a in m.tensors and b not in m.tensors]
        only_b = [m.name for m in adapted if b in m.tensors and a not in m.tensors]
        for names, has, lacks in ((only_a, a, b), (only_b, b, a)):
            if names:
                out.append(f"{_n(len(names), 'module has', 'modules have')} {has} without {lacks} "
                           f"({_eg(names)}); the file is incomplete and PEFT cannot apply those modules")
    if family == ADALORA:
        no_e = [m.name for m in adapted if "lora_A" in m.tensors and "lora_E" not in m.tensors]
        if no_e:
            out.append(f"{_n(len(no_e), 'AdaLoRA module lacks', 'AdaLoRA modules lack')} lora_E, their "
                       f"singular values ({_eg(no_e)}); PEFT cannot apply those modules")
    disagree, flat = [], []
    for m in adapted:
        for a, b in needed:
            ta, tb = by_name.get(m.tensors.get(a, "")), by_name.get(m.tensors.get(b, ""))
            for t in (ta, tb):
                if t is not None and (len(t.shape) < 2 or 0 in t.shape):
                    flat.append(t.name)
            if ta is not None and tb is not None and len(ta.shape) >= 2 and len(tb.shape) >= 2 \
                    and ta.shape[0] != tb.shape[1]:
                disagree.append(f"{m.name} ({a} {ta.shape[0]}, {b} {tb.shape[1]})")
    if flat:
        out.append(f"{_n(len(flat), 'lora_A/lora_B tensor is', 'lora_A/lora_B tensors are')} 1-D or empty "
                   f"({_eg(flat)}): typical of a DeepSpeed ZeRO-3 / FSDP save that did not gather the shards; "
                   f"save again with the full parameters gathered")
    if disagree:
        out.append(f"lora_A and lora_B disagree on the rank in {_n(len(disagree), 'module', 'modules')} "
                   f"({_eg(disagree)}); PEFT cannot apply them")
    if config is not None:
        mismatched: dict[tuple[int, int], list[str]] = defaultdict(list)
        for m in adapted:
            if m.rank is not None and m.config_rank is not None and m.rank != m.config_rank:
                mismatched[(m.config_rank, m.rank)].append(m.name)
        field = "init_r" if family == ADALORA else "r"
        for (want, got), names in sorted(mismatched.items()):
            out.append(f"rank mismatch: adapter_config.json gives {field}={want} (rank_pattern applied) "
                       f"but the tensors have rank {got} in {_n(len(names), 'module', 'modules')} "
                       f"({_eg(names)}); PEFT will refuse to load them with this config")
    return out


def check_targets(config: dict[str, Any] | None, modules: list[Module], tensors: list[Any],
                  family: str | None, problems: PatternProblems) -> list[str]:
    """Configured targets without tensors, tensors on modules the config does not target."""
    if config is None or family in NOT_MODULE_BASED or config.get("peft_type") == "ADAPTION_PROMPT":
        return []
    out = []
    tokens_only = config.get("peft_type") == "TRAINABLE_TOKENS"
    adapted = [m for m in modules if m.role == ADAPTER and (tokens_only or not _is_token_adapter(m))]
    if not adapted:
        return out  # nothing per module (no tensors, or only shared ones as Uni-LoRA saves)
    targets = config.get("target_modules")
    if tensors and isinstance(targets, list):
        for target in targets:
            if not any(in_list([target], m.name) for m in adapted):
                out.append(f"target_modules entry '{target}' has no tensors in the weights: a name the "
                           f"base model does not have, or the weights come from another config")
    if tensors and isinstance(targets, str) and targets != ALL_LINEAR and adapted:
        if all(targeted({"target_modules": targets}, m.name, m.layer, problems) is False for m in adapted):
            out.append(f"target_modules pattern '{targets}' matches none of the adapted modules")
    if config.get("target_parameters"):
        return out  # parameters, not modules, are targeted: module names need not match
    stray = [m.name for m in adapted if targeted(config, m.name, m.layer, problems) is False]
    if stray:
        out.append(f"{_n(len(stray), 'module has', 'modules have')} adapter tensors but "
                   f"{'is' if len(stray) == 1 else 'are'} not targeted by adapter_config.json "
                   f"({_eg(stray)}); PEFT will not load those tensors with this config")
    saved = [m for m in modules if m.role == SAVED]
    wanted = config.get("modules_to_save")
    if isinstance(wanted, list):
        for name in wanted:
            if not any(in_list([name], m.name) for m in saved):
                out.append(f"modules_to_save entry '{name}' has no saved tensors in the weights; the "
                           f"base model's own {name} will be used")
    extra = sorted({m.name for m in saved if not (isinstance(wanted, list) and in_list(wanted, m.name))})
    if extra:
        out.append(f"the weights hold full weights of modules outside the adapter and modules_to_save: "
                   f"{', '.join(extra[:6])}" + (" ..." if len(extra) > 6 else "")
                   + " (PEFT saves embedding layers when the vocabulary was resized)")
    return out


def _is_token_adapter(m: Module) -> bool:
    return any(p.startswith("trainable_tokens_") for p in m.tensors)


def check_prompt(config: dict[str, Any] | None, tensors: list[Any], family: str | None) -> list[str]:
    """The shape of prompt_embeddings against num_virtual_tokens, token_dim and friends."""
    if config is None or family not in (PROMPT, PREFIX):
        return []
    emb = [t for t in tensors if t.name == "prompt_embeddings"]
    if not emb:
        return ["the weights hold no prompt_embeddings, which every prompt-based method saves"] if tensors else []
    shape = emb[0].shape
    nvt, nts, dim, layers = (config.get(k) for k in ("num_virtual_tokens", "num_transformer_submodules",
                                                     "token_dim", "num_layers"))
    if not all(isinstance(v, int) for v in (nvt, dim)):
        return []
    if family == PREFIX:
        if not isinstance(layers, int):
            return []
        want, how = (nvt, layers * 2 * dim), "(num_virtual_tokens, num_layers × 2 × token_dim)"
    else:
        subs = nts if isinstance(nts, int) else 1
        want, how = (nvt * subs, dim), "(num_virtual_tokens × num_transformer_submodules, token_dim)"
    if tuple(shape) != want:
        return [f"prompt_embeddings has shape {tuple(shape)} but adapter_config.json implies {want} "
                f"{how}; the config and the weights may come from different adapters"]
    return []


def check_dtypes(tensors: list[Any]) -> list[str]:
    floats = Counter(t.dtype for t in tensors if t.dtype in FLOAT_DTYPES or t.dtype.startswith("F8"))
    if len(floats) > 1:
        shown = ", ".join(f"{d} ({n})" for d, n in floats.most_common())
        return [f"tensors use several floating dtypes: {shown}; an adapter is normally saved in one"]
    return []


def check_environment(config: dict[str, Any] | None, files: AdapterFiles) -> list[str]:
    """The base model path and the PEFT version, against this machine."""
    if config is None:
        return []
    out = []
    base = config.get("base_model_name_or_path")
    if isinstance(base, str) and base and os.path.isabs(base):
        try:
            missing = not Path(base).exists()
        except (OSError, ValueError):
            missing = True
        if missing:
            out.append(f"base_model_name_or_path '{base}' does not exist on this machine; load the base "
                       f"model yourself and pass it to PeftModel.from_pretrained")
    written = config.get("peft_version")
    if isinstance(written, str):
        installed = _installed_peft()
        newer = _newer(written, installed) if installed else None
        if newer:
            out.append(f"saved with PEFT {written}, newer than the installed {installed}; loading may "
                       f"fail or ignore new fields (pip install -U peft)")
    if config.get("peft_type") == "XLORA" and isinstance(config.get("adapters"), dict):
        lost = [n for n in config["adapters"] if not (files.folder / n / CONFIG_NAME).is_file()]
        if lost:
            out.append(f"X-LoRA adapters {', '.join(lost[:6])} have no subfolder with {CONFIG_NAME} "
                       f"in {files.folder}")
    return out


@lru_cache(maxsize=1)
def _installed_peft() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("peft")
    except PackageNotFoundError:
        return None


def _newer(written: str, installed: str) -> bool | None:
    """Whether ``written`` (PEFT writes ``0.21.2`` or ``0.22.0.dev0@<commit>``) is newer."""
    try:
        from packaging.version import InvalidVersion, Version
    except ImportError:  # pragma: no cover - packaging comes with transformers
        return None
    try:
        return Version(written.split("@", 1)[0]) > Version(installed)
    except InvalidVersion:
        return None
