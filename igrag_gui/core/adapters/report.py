"""``AdapterReport``: what the inspector found, as data (``to_json``) and as text (``to_text``).

The GUI shows the fields; the CLI prints ``to_text()`` or ``json.dumps(to_json())``. Nothing here
reads files: ``build.inspect_path`` fills the report.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .locate import AdapterFiles
from .tensor_names import Module


@dataclass(frozen=True)
class TensorInfo:
    name: str
    shape: tuple[int, ...]
    dtype: str
    numel: int
    nbytes: int
    module: str | None  # the module it belongs to (None for prompt embeddings and shared tensors)
    param: str  # "lora_A", "prompt_embeddings", "weight" of a saved module...
    role: str  # "adapter", "prompt", "shared" or "saved"
    marker: str | None  # the PEFT type whose naming it follows
    layer: int | None
    key: str = ""  # the parameter's key in its module's ``tensors`` ("lora_A", "lora_B.bias")

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "shape": list(self.shape), "dtype": self.dtype, "params": self.numel,
                "bytes": self.nbytes, "module": self.module, "param": self.param, "role": self.role,
                "layer": self.layer}


@dataclass
class AdapterReport:
    files: AdapterFiles
    peft_type: str | None  # as PEFT writes it ("LORA" for DoRA too); inferred when no config
    peft_type_source: str  # "config", "tensors" or "none"
    method: str  # the verdict ("DoRA")
    family: str | None  # peft_types family: "lora", "adalora", "prompt", "prefix", "ia3", ...
    evidence: list[str]
    task_type: str | None
    base_model: str | None
    details: dict[str, Any]  # key figures, in display order
    tensors: list[TensorInfo]
    totals: dict[str, Any]  # num_tensors, num_params, num_bytes, dtypes, file_bytes, header_bytes
    by_layer: list[dict[str, Any]]  # [{"layer": 0, "modules": 6, "params": ...}], layer None last
    by_module_type: list[dict[str, Any]]  # [{"module_type": "SelfAttention.q", "modules": 12, ...}]
    modules: list[Module]
    warnings: list[str]
    config: dict[str, Any] | None = None  # adapter_config.json as read
    metadata: dict[str, str] = field(default_factory=dict)  # the safetensors __metadata__

    @property
    def path(self) -> str:
        return str(self.files.given)

    @property
    def paths(self) -> dict[str, str | None]:
        """given, folder, config, weights, weights_format."""
        return self.files.to_json()

    @property
    def adapted_modules(self) -> list[Module]:
        return [m for m in self.modules if m.role == "adapter"]

    def to_json(self, tensors: bool = True) -> dict[str, Any]:
        d = self.details
        out: dict[str, Any] = {
            "path": self.path,
            "files": self.files.to_json(),
            "peft_type": self.peft_type,
            "peft_type_source": self.peft_type_source,
            "method": self.method,
            "family": self.family,
            "evidence": list(self.evidence),
            "task_type": self.task_type,
            "base_model": self.base_model,
            "r": d.get("r", (self.config or {}).get("r")),
            "lora_alpha": d.get("lora_alpha", (self.config or {}).get("lora_alpha")),
            "target_modules": (self.config or {}).get("target_modules"),
            "num_tensors": self.totals["num_tensors"],
            "num_params": self.totals["num_params"],
            "num_bytes": self.totals["num_bytes"],
            "adapted_modules": len(self.adapted_modules),
            "details": _jsonable(d),
            "totals": dict(self.totals),
            "by_layer": list(self.by_layer),
            "by_module_type": list(self.by_module_type),
            "modules": [m.to_json() for m in self.modules],
            "warnings": list(self.warnings),
        }
        if tensors:
            out["tensors"] = [t.to_json() for t in self.tensors]
        return out

    def to_text(self, tensors: bool = False) -> str:
        lines = [f"{self.method}  [peft_type {self.peft_type or '?'}"
                 + (", inferred from tensors" if self.peft_type_source == "tensors" else "")
                 + f"]  {self.path}"]
        for i, why in enumerate(self.evidence):
            lines.append(("  why   " if i == 0 else "        ") + why)
        files = self.files
        lines.append(f"  files {files.config.name if files.config else '(no config)'} + "
                     f"{files.weights.name if files.weights else '(no weights)'}"
                     + (f" ({human_bytes(self.totals['file_bytes'])})" if self.totals.get("file_bytes") else ""))
        if self.task_type:
            lines.append(f"  task  {self.task_type}")
        if self.base_model:
            lines.append(f"  base  {self.base_model}")
        if self.details:
            lines.append("")
            width = max(len(k) for k in self.details) + 2
            for key, value in self.details.items():
                lines.append(f"  {key:<{width}}{format_value(value)}")
        lines.append("")
        t = self.totals
        dtypes = ", ".join(f"{k} ({n})" if len(t["dtypes"]) > 1 else k for k, n in t["dtypes"].items())
        lines.append(f"  tensors  {t['num_tensors']:,}, {t['num_params']:,} parameters, "
                     f"{human_bytes(t['num_bytes'])}" + (f", {dtypes}" if dtypes else ""))
        if self.by_module_type:
            lines.append("  by type  " + ", ".join(f"{g['module_type']} {g['modules']}" for g in self.by_module_type))
        if self.by_layer:
            shown = [f"{'-' if g['layer'] is None else g['layer']}: {g['modules']}" for g in self.by_layer]
            lines.append("  by layer " + ", ".join(shown[:64]) + (" ..." if len(shown) > 64 else ""))
        lines.append("")
        if self.warnings:
            lines.append(f"  warnings ({len(self.warnings)})")
            lines.extend(f"  ! {w}" for w in self.warnings)
        else:
            lines.append("  warnings none")
        if tensors and self.tensors:
            lines.append("")
            lines.extend(tensor_table(self.tensors))
        return "\n".join(lines)


def tensor_table(tensors: list[TensorInfo]) -> list[str]:
    name_w = min(max(len(t.name) for t in tensors), 100)
    rows = [f"  {'name':<{name_w}}  {'shape':<16} {'dtype':<6} {'params':>12} {'bytes':>10}"]
    for t in tensors:
        name = t.name if len(t.name) <= name_w else t.name[:name_w - 3] + "..."
        shape = "(" + ", ".join(str(d) for d in t.shape) + ")"
        rows.append(f"  {name:<{name_w}}  {shape:<16} {t.dtype:<6} {t.numel:>12,} {human_bytes(t.nbytes):>10}")
    return rows


def human_bytes(n: int | None) -> str:
    if n is None:
        return "?"
    value = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{n} B"  # pragma: no cover


def format_value(value: Any, limit: int = 160, depth: int = 0) -> str:
    if isinstance(value, (list, dict)) and depth > 8:
        return "..."
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif value is None:
        text = "-"
    elif isinstance(value, float):
        text = f"{value:.6g}"
    elif isinstance(value, int):
        text = f"{value:,}" if abs(value) >= 10_000 else str(value)
    elif isinstance(value, str):
        text = value
    elif value == [] or value == {}:
        text = json.dumps(value)
    elif isinstance(value, list):
        text = ", ".join(format_value(v, limit, depth + 1) for v in value[:50]) + (" ..." if len(value) > 50 else "")
    elif isinstance(value, dict):
        text = ", ".join(f"{k}: {format_value(v, limit, depth + 1)}" for k, v in list(value.items())[:50]) \
            + (" ..." if len(value) > 50 else "")
    else:
        text = _dumps(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _dumps(value: Any) -> str:
    try:
        return json.dumps(value)
    except (TypeError, ValueError, RecursionError):
        return repr(value)[:200]


def _jsonable(value: Any, depth: int = 0) -> Any:
    """Details come from JSON, except tuples; make the tree plain JSON, cut below 32 levels."""
    if isinstance(value, (dict, list, tuple)) and depth > 32:
        return "..."
    if isinstance(value, dict):
        return {str(k): _jsonable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v, depth + 1) for v in value]
    return value
