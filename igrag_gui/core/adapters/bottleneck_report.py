"""The report on a bottleneck adapter saved in AdapterHub's layout (``adapter_config.json`` with a
``config`` block, ``adapter.safetensors`` or ``pytorch_adapter.bin``): what igrag's
``method: adapter`` writes and what AdapterHub's ``save_adapter`` writes.

Read from the config and the header alone, like every other report. Each adapter is one module
(``encoder.block.0.layer.1``), typed by the sub-layer it follows (self-attention, cross-attention,
feed-forward), with its bottleneck width as its rank, so that the per-layer table and the heat map
show their sizes.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from ..methods.bottleneck_section import TITLE, PEFT_TYPE, placement_of
from .locate import AdapterFiles
from .report import AdapterReport, TensorInfo
from .tensor_names import ADAPTER, Module, layer_of
from .weights_file import WeightsListing

FAMILY = "bottleneck"
MARKER = ".adapters."
# T5's sub-layers by stack and index (AdapterHub's T5 mixins: mh_adapter, cross_adapter, output_adapter).
_SUBLAYER = {("encoder", "0"): "self-attention", ("encoder", "1"): "feed-forward",
             ("decoder", "0"): "self-attention", ("decoder", "1"): "cross-attention",
             ("decoder", "2"): "feed-forward"}


def _sublayer(module: str) -> str:
    parts = module.split(".")
    stack, index = parts[0], parts[-1]
    return _SUBLAYER.get((stack, index), module)


def bottleneck_report(files: AdapterFiles, doc: dict[str, Any], listing: WeightsListing | None) -> AdapterReport:
    config = doc["config"]
    listed = listing.tensors if listing else []
    tensors: list[TensorInfo] = []
    grouped: dict[str, Module] = {}
    stray: list[str] = []
    for t in listed:
        if MARKER not in t.name:
            stray.append(t.name)
            tensors.append(TensorInfo(t.name, t.shape, t.dtype, t.numel, t.nbytes, None, t.name, "saved", None, None))
            continue
        module, rest = t.name.split(MARKER, 1)
        key = rest.split(".", 1)[1] if "." in rest else rest
        layer = layer_of(module)
        tensors.append(TensorInfo(t.name, t.shape, t.dtype, t.numel, t.nbytes, module, key, ADAPTER, FAMILY,
                                  layer, key))
        m = grouped.get(module)
        if m is None:
            stack = module.split(".")[0]
            m = grouped[module] = Module(module, layer, f"{stack}.{_sublayer(module)}", ADAPTER)
        m.tensors[key] = t.name
        m.params += t.numel
        if key == "adapter_up.weight" and len(t.shape) == 2:
            m.rank = t.shape[1]
    modules = sorted(grouped.values(), key=lambda m: (m.name.split(".")[0] != "encoder", m.layer or 0, m.name))
    widths = sorted({m.rank for m in modules if m.rank})
    place = placement_of(config)
    hidden = doc.get("hidden_size")
    details: dict[str, Any] = {
        "placement": place, "non_linearity": config.get("non_linearity"),
        "reduction_factor": config.get("reduction_factor"),
        "bottleneck": widths[0] if len(widths) == 1 else widths,
        "hidden_size": hidden, "scaling": config.get("scaling"),
        "residual_before_ln": config.get("residual_before_ln"),
        "layer_norms": ", ".join(n for n in ("ln_before", "ln_after") if config.get(n)) or "none",
        "cross_adapter": bool(config.get("cross_adapter")), "leave_out": config.get("leave_out") or [],
        "adapter_name": doc.get("name"), "saved_by": doc.get("version"),
    }
    for m in modules:  # the per-layer sizes, one line each
        details[m.name] = f"{m.module_type.split('.', 1)[1]}, {m.rank} wide, {m.params:,} parameters"
    warnings = []
    if listing is None:
        warnings.append("no weights beside adapter_config.json (adapter.safetensors or pytorch_adapter.bin)")
    elif not modules:
        warnings.append("the weights hold no adapter tensors ('.adapters.' in their names)")
    if stray:
        warnings.append(f"{len(stray)} tensor(s) outside the adapters, such as {stray[0]}")
    if hidden and widths and any(w != max(1, int(hidden // float(config['reduction_factor']))) for w in widths
                                 if not isinstance(config.get("reduction_factor"), dict)):
        warnings.append(f"bottleneck widths {widths} do not match hidden_size {hidden} / reduction_factor "
                        f"{config.get('reduction_factor')}")
    if files.weights_format == "pickle":
        warnings.append("weights are a pickle (pytorch_adapter.bin), read with torch.load(weights_only=True); "
                        "safetensors (adapter.safetensors) is the safer format")
    evidence = [f"AdapterHub layout: adapter_config.json has a bottleneck 'config' block ({place} placement, "
                f"{'after attention and feed-forward' if config.get('mh_adapter') else 'after feed-forward'}) "
                f"and no peft_type",
                f"{len(modules)} adapters, each a down-projection, {config.get('non_linearity')} and up-projection "
                f"with a residual"]
    by_layer: dict[int | None, list[Module]] = defaultdict(list)
    for m in modules:
        by_layer[m.layer].append(m)
    by_type: dict[str, list[Module]] = defaultdict(list)
    for m in modules:
        by_type[m.module_type].append(m)
    return AdapterReport(
        files=files, peft_type=PEFT_TYPE, peft_type_source="config", method=TITLE, family=FAMILY,
        evidence=evidence, task_type=None, base_model=doc.get("model_name") or None, details=details,
        tensors=tensors,
        totals={"num_tensors": len(tensors), "num_params": sum(t.numel for t in tensors),
                "num_bytes": sum(t.nbytes for t in tensors),
                "dtypes": dict(Counter(t.dtype for t in tensors).most_common()),
                "file_bytes": listing.file_bytes if listing else None,
                "header_bytes": listing.header_bytes if listing else None,
                "format": listing.format if listing else None},
        by_layer=[{"layer": k, "modules": len(v), "params": sum(m.params for m in v),
                   "module_types": sorted({m.module_type for m in v})}
                  for k, v in sorted(by_layer.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))],
        by_module_type=[{"module_type": k, "modules": len(v), "params": sum(m.params for m in v),
                         "layers": len({m.layer for m in v}), "width": sorted({m.rank for m in v if m.rank})}
                        for k, v in by_type.items()],
        modules=modules, warnings=warnings, config=doc,
        metadata=dict(listing.metadata) if listing else {},
    )
