"""``inspect_path``: from a path to an ``AdapterReport``, reading the config and the header only.

No tensor data is read and torch is not imported (except to open a legacy pickle, safely), so a
multi-GB adapter is reported in milliseconds. Every problem a file can have ends as a
``UserError`` (unreadable) or as a warning in the report (inconsistent), never as another
exception.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from typing import Any

from ..methods.bottleneck_section import is_bottleneck_document
from .bottleneck_report import bottleneck_report
from .config_file import read_adapter_config
from .consistency import check_dtypes, check_environment, check_files, check_lora, check_prompt, check_targets
from .details import figures
from .igrag_convert import convert_command_line
from .igrag_prompt import KEY, METHOD, IgragPrompt, from_state, is_igrag_prompt, load_checked
from .locate import AdapterFiles, locate, natural_key
from .matching import PatternProblems
from .tensor_names import ADAPTER, SAVED, Module, assign_types, parse_tensor_name
from .report import AdapterReport, TensorInfo
from .verdict import judge
from .weights_file import Listed, WeightsListing, list_weights

# Which dimension of which saved parameter is the rank (checked against PEFT's own saves).
RANK_FROM: dict[str, int] = {
    "lora_A": 0, "lora_embedding_A": 0, "hada_w1_b": 0, "hira_A": 0, "delora_A": 0, "deft_R": 0,
    "peanut_A": 0, "miss_block": 0, "vera_lambda_d": 0, "hra_u": 1,
}
_RANK_FALLBACK: dict[str, int] = {"lora_B": 1, "lora_embedding_B": 1}


def inspect_path(path: str | os.PathLike) -> AdapterReport:
    """Report on the adapter at ``path`` (folder, adapter_config.json or weights file)."""
    files = locate(path)
    if files.weights_format == "pickle" and files.config is None:
        prompt = igrag_prompt_in(files.weights)
        if prompt is not None:
            return _igrag_report(files, prompt)
    config = read_adapter_config(files.config) if files.config else None
    listing: WeightsListing | None = list_weights(files.weights, files.weights_format) if files.weights else None
    if is_bottleneck_document(config):  # AdapterHub's layout: igrag's method: adapter
        return bottleneck_report(files, config, listing)
    return _report(files, config, listing)


def igrag_prompt_in(path: os.PathLike) -> IgragPrompt | None:
    """IGRAG's prompt embeddings when a lone ``.pt`` holds them; ``None`` for a plain state dict."""
    state = load_checked(path)
    return from_state(path, state) if is_igrag_prompt(state) else None


def _igrag_report(files: AdapterFiles, prompt: IgragPrompt) -> AdapterReport:
    """The report PEFT's own save of the same prompt would give, named for what it is."""
    nbytes = prompt.num_params * 4
    listing = WeightsListing(files.weights, "pickle", [Listed(KEY, "F32", tuple(prompt.embeddings.shape), nbytes)],
                             files.weights.stat().st_size)
    report = _report(files, prompt.peft_config(), listing)
    report.method = METHOD
    report.peft_type_source = "igrag"
    report.evidence = [f"IGRAG's prompt-tuning file: '{KEY}' {list(prompt.embeddings.shape)}, prompt_length "
                       f"{prompt.prompt_length}, embedding_dim {prompt.embedding_dim}, initialization "
                       f"'{prompt.initialization}'; prepended to the encoder's input only",
                       *report.evidence[1:]]
    report.warnings = [w for w in report.warnings
                       if "pickle" not in w and not w.startswith("no adapter_config.json")] + [
        f"not a PEFT adapter folder yet: `{convert_command_line(files.weights)}` writes one "
        f"(adapter_config.json and adapter_model.safetensors) that PEFT, the Playground and igrag generate load"]
    report.config = None
    return report


def _report(files: AdapterFiles, config: dict[str, Any] | None, listing: WeightsListing | None) -> AdapterReport:
    listed = sorted(listing.tensors if listing else [], key=lambda t: natural_key(t.name))
    tensors = [_tensor_info(t.name, t.shape, t.dtype, t.numel, t.nbytes) for t in listed]
    modules = _modules(tensors)
    by_name = {t.name: t for t in tensors}
    verdict = judge(config, tensors, modules, has_weights=listing is not None)
    problems = PatternProblems()
    details = figures(verdict, config, tensors, modules, problems)
    family = verdict.family
    warnings = list(verdict.warnings)
    warnings += check_files(files, len(tensors) if listing else None, verdict)
    warnings += check_lora(config, modules, by_name, family)
    warnings += check_targets(config, modules, tensors, family, problems)
    warnings += check_prompt(config, tensors, family)
    warnings += check_dtypes(tensors)
    warnings += check_environment(config, files)
    warnings += problems.lines
    cfg = config or {}
    return AdapterReport(
        files=files,
        peft_type=verdict.peft_type,
        peft_type_source=verdict.source,
        method=verdict.method,
        family=family,
        evidence=verdict.evidence,
        task_type=cfg.get("task_type") if isinstance(cfg.get("task_type"), str) else None,
        base_model=cfg.get("base_model_name_or_path") or None,
        details=details,
        tensors=tensors,
        totals=_totals(tensors, listing),
        by_layer=_by_layer(modules),
        by_module_type=_by_type(modules),
        modules=modules,
        warnings=warnings,
        config=config,
        metadata=dict(listing.metadata) if listing else {},
    )


def _tensor_info(name: str, shape: tuple[int, ...], dtype: str, numel: int, nbytes: int) -> TensorInfo:
    parsed = parse_tensor_name(name)
    return TensorInfo(name, shape, dtype, numel, nbytes, parsed.module, parsed.param, parsed.role,
                      parsed.marker, parsed.layer, parsed.key if parsed.role == ADAPTER else parsed.param)


def _modules(tensors: list[TensorInfo]) -> list[Module]:
    grouped: dict[tuple[str, str], Module] = {}
    for t in tensors:
        if t.module is None or t.role not in (ADAPTER, SAVED):
            continue
        key = (t.role, t.module)
        m = grouped.get(key)
        if m is None:
            m = grouped[key] = Module(t.module, t.layer, "", t.role)
        m.tensors.setdefault(t.key, t.name)
        m.params += t.numel
    by_name = {t.name: t for t in tensors}
    for m in grouped.values():
        m.rank = _rank(m, by_name)
    modules = sorted(grouped.values(), key=lambda m: (m.role != ADAPTER, m.layer is None,
                                                      m.layer if m.layer is not None else 0, natural_key(m.name)))
    assign_types(modules)
    return modules


def _rank(m: Module, by_name: dict[str, TensorInfo]) -> int | None:
    for table in (RANK_FROM, _RANK_FALLBACK):
        for param, dim in table.items():
            t = by_name.get(m.tensors.get(param, ""))
            if t is not None and len(t.shape) > dim and len(t.shape) >= 1:
                return t.shape[dim]
    return None


def _totals(tensors: list[TensorInfo], listing: WeightsListing | None) -> dict[str, Any]:
    return {
        "num_tensors": len(tensors),
        "num_params": sum(t.numel for t in tensors),
        "num_bytes": sum(t.nbytes for t in tensors),
        "dtypes": dict(Counter(t.dtype for t in tensors).most_common()),
        "file_bytes": listing.file_bytes if listing else None,
        "header_bytes": listing.header_bytes if listing else None,
        "format": listing.format if listing else None,
    }


def _by_layer(modules: list[Module]) -> list[dict[str, Any]]:
    groups: dict[int | None, list[Module]] = defaultdict(list)
    for m in modules:
        if m.role == ADAPTER:
            groups[m.layer].append(m)
    order = sorted(groups, key=lambda k: (k is None, k if k is not None else 0))
    return [{"layer": k, "modules": len(groups[k]), "params": sum(m.params for m in groups[k]),
             "module_types": sorted({m.module_type for m in groups[k]})} for k in order]


def _by_type(modules: list[Module]) -> list[dict[str, Any]]:
    groups: dict[str, list[Module]] = defaultdict(list)
    for m in modules:
        if m.role == ADAPTER:
            groups[m.module_type].append(m)
    return [{"module_type": k, "modules": len(v), "params": sum(m.params for m in v),
             "layers": len({m.layer for m in v if m.layer is not None})} for k, v in groups.items()]
