"""Weight statistics: how large and how high-rank each module's learned update really is.

For LoRA (and rsLoRA, DoRA's low-rank part, AdaLoRA) the update of a module is
ΔW = scaling·B·A (AdaLoRA: scaling·B·diag(E)·A). It is never formed: with B = Q_b R_b and
Aᵀ = Q_a R_a (thin QR), ΔW = scaling·Q_b (R_b R_aᵀ) Q_aᵀ, and the r×r core R_b R_aᵀ has the same
singular values as ΔW. So a 4096×4096 update of rank 16 costs two thin QRs and a 16×16 SVD. From
the singular values σ: the Frobenius norm √Σσ², the effective rank exp(H(σ/Σσ)) (Roy & Vetterli)
and the count of σ above 1e-3·σ_max. An all-zero B is PEFT's initialisation: an untrained adapter.

For other module-based methods the statistic is the norm of the module's saved parameters.
Tensors are read one at a time, memory-mapped, with numpy (no torch; see ``weights_file``), and
the loop reports its progress to a ``TaskState`` and stops (keeping what it measured, marked
``cancelled``) when the state is cancelled, for a GUI worker thread.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..errors import UserError
from ..task_state import TaskState
from .peft_types import ADALORA, LORA, PREFIX, PROMPT, XLORA
from .report import AdapterReport
from .weights_file import FLOAT_DTYPES, TensorReader

UPDATE = "update"  # ‖scaling·B·A‖_F
PARAMETERS = "parameters"  # ‖saved parameters‖_F
REL_THRESHOLD = 1e-3


@dataclass
class ModuleStats:
    name: str
    layer: int | None
    module_type: str
    norm: float  # Frobenius norm of the update (or of the parameters); nan when non-finite
    singular_values: list[float]  # of the update, descending; empty for non-LoRA methods
    effective_rank: float | None  # exp(entropy of σ/Σσ); 0 for a zero update
    rank_above_threshold: int | None  # σ > 1e-3·σ_max
    zero_b: bool | None  # all of lora_B is zero (untrained); None for non-LoRA methods
    rank: int | None = None
    scaling: float | None = None  # applied in the norm; None when unknown (then 1 is used)
    nonfinite: bool = False  # NaN or Inf in the tensors

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "layer": self.layer, "module_type": self.module_type,
                "norm": _finite(self.norm), "singular_values": [_finite(s) for s in self.singular_values],
                "effective_rank": _finite(self.effective_rank), "rank_above_threshold": self.rank_above_threshold,
                "zero_b": self.zero_b, "rank": self.rank, "scaling": self.scaling, "nonfinite": self.nonfinite}


def _finite(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else x


@dataclass
class WeightStats:
    path: str
    quantity: str  # UPDATE or PARAMETERS
    modules: list[ModuleStats] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    cancelled: bool = False

    def heatmap(self) -> tuple[list[int], list[str], list[list[float | None]]]:
        """Layers × module types of norms (None where a layer lacks that type).

        Several modules in one cell (MoE experts) combine as √Σnorm², the norm of them all.
        """
        layers = sorted({m.layer for m in self.modules if m.layer is not None})
        types: list[str] = []
        for m in self.modules:
            if m.layer is not None and m.module_type not in types:
                types.append(m.module_type)
        row = {layer: i for i, layer in enumerate(layers)}
        col = {t: j for j, t in enumerate(types)}
        sums: list[list[float | None]] = [[None] * len(types) for _ in layers]
        for m in self.modules:
            if m.layer is None:
                continue
            i, j = row[m.layer], col[m.module_type]
            sums[i][j] = (sums[i][j] or 0.0) + m.norm * m.norm
        matrix = [[None if v is None else math.sqrt(v) for v in r] for r in sums]
        return layers, types, matrix

    @property
    def zero_b_modules(self) -> list[str]:
        return [m.name for m in self.modules if m.zero_b]

    def to_json(self) -> dict[str, Any]:
        layers, types, matrix = self.heatmap()
        return {"path": self.path, "quantity": self.quantity, "cancelled": self.cancelled,
                "notes": list(self.notes), "skipped": list(self.skipped),
                "modules": [m.to_json() for m in self.modules],
                "heatmap": {"layers": layers, "module_types": types,
                            "matrix": [[_finite(v) for v in r] for r in matrix]}}

    def to_text(self, top: int = 10) -> str:
        what = "‖scaling·B·A‖_F" if self.quantity == UPDATE else "‖parameters‖_F"
        lines = [f"weight statistics ({what}, {len(self.modules)} modules"
                 + (", CANCELLED" if self.cancelled else "") + ")"]
        lines += [f"  note: {n}" for n in self.notes]
        lines += [f"  skipped: {s}" for s in self.skipped]
        if not self.modules:
            return "\n".join(lines)
        norms = sorted(m.norm for m in self.modules if math.isfinite(m.norm))
        if norms:
            lines.append(f"  norms: min {norms[0]:.4g}, median {norms[len(norms) // 2]:.4g}, max {norms[-1]:.4g}")
        zero = self.zero_b_modules
        if zero:
            lines.append(f"  ! {len(zero)} of {len(self.modules)} modules have an all-zero lora_B: "
                         f"untrained (PEFT initialises B to zero)")
        bad = [m.name for m in self.modules if m.nonfinite]
        if bad:
            lines.append(f"  ! {len(bad)} modules hold NaN or Inf values, e.g. {bad[0]}: training diverged")
        ranked = sorted((m for m in self.modules if math.isfinite(m.norm)), key=lambda m: -m.norm)[:top]
        width = max(len(m.name) for m in ranked) if ranked else 10
        head = f"  {'module':<{width}}  {'norm':>10}"
        if self.quantity == UPDATE:
            head += f"  {'eff.rank':>8}  {'σ>1e-3':>6}  top singular values"
        lines.append(head)
        for m in ranked:
            row = f"  {m.name:<{width}}  {m.norm:>10.4g}"
            if self.quantity == UPDATE:
                sv = ", ".join(f"{s:.3g}" for s in m.singular_values[:4])
                row += f"  {(m.effective_rank or 0):>8.2f}  {(m.rank_above_threshold or 0):>6}  {sv}"
            lines.append(row)
        layers, types, matrix = self.heatmap()
        if layers and types and len(layers) <= 24:  # the GUI draws any size; a terminal this much
            w = max(len(t) for t in types)
            lines.append("")
            lines.append(f"  {'norm by layer':<{w}}  " + " ".join(f"{layer:>8}" for layer in layers))
            for j, kind in enumerate(types):
                cells = [matrix[i][j] for i in range(len(layers))]
                lines.append(f"  {kind:<{w}}  " + " ".join(f"{'':>8}" if v is None else f"{v:>8.3g}" for v in cells))
        return "\n".join(lines)


def weight_stats(report: AdapterReport, state: TaskState | None = None) -> WeightStats:
    """Per-module statistics of the adapter ``report`` describes; ``UserError`` if unreadable.

    ``state`` gets the fraction of modules done and "N / M modules"; once cancelled, the modules
    measured so far come back with ``cancelled`` set."""
    files = report.files
    family = report.family
    lora_like = family in (LORA, ADALORA)
    stats = WeightStats(report.path, UPDATE if lora_like else PARAMETERS)
    if files.weights is None:
        stats.notes.append("no weights file: nothing to measure")
        return stats
    if family in (PROMPT, PREFIX, XLORA):
        stats.notes.append(f"{report.method} has no per-module weights to measure")
        return stats
    modules = report.adapted_modules
    if lora_like and any(m.scaling is None for m in modules):
        stats.notes.append("scaling unknown (no usable r/lora_alpha in the config): norms are of B·A, "
                           "scaling 1")
    if "DoRA" in report.method:
        stats.notes.append("DoRA: the norms are of the low-rank part scaling·B·A; the magnitude vector "
                           "rescales the whole weight, which needs the base model")
    total = len(modules)

    def report_progress(done: int) -> None:
        if state is not None:
            state.set_status(f"{done:,} / {total:,} modules")
            state.set_progress(done / total if total else 1.0)

    report_progress(0)
    with TensorReader(files.weights, files.weights_format or "safetensors") as reader:
        for done, m in enumerate(modules, 1):
            if state is not None and state.cancelled():
                stats.cancelled = True
                break
            try:
                result = _lora_module(m, reader, family) if lora_like else _param_module(m, reader)
            except _Skip as why:
                stats.skipped.append(f"{m.name}: {why}")
                result = None
            if result is not None:
                stats.modules.append(result)
            report_progress(done)
    return stats


class _Skip(Exception):
    """A module that cannot be measured (odd shapes, non-float dtype); noted, not fatal."""


def _float64(reader: TensorReader, name: str) -> Any:
    import numpy as np

    if reader.dtype(name) not in FLOAT_DTYPES:
        raise _Skip(f"{name} is {reader.dtype(name)}, not a floating-point tensor")
    try:
        return np.asarray(reader.get(name), dtype=np.float64)
    except UserError:
        raise
    except (ValueError, MemoryError) as exc:
        raise _Skip(f"cannot read {name} ({exc})") from None


def _lora_module(m: Any, reader: TensorReader, family: str | None) -> ModuleStats | None:
    import numpy as np

    a_name = m.tensors.get("lora_A") or m.tensors.get("lora_embedding_A")
    b_name = m.tensors.get("lora_B") or m.tensors.get("lora_embedding_B")
    if not a_name or not b_name:
        raise _Skip("lora_A or lora_B missing")
    a, b = _float64(reader, a_name), _float64(reader, b_name)
    if a.ndim < 1 or b.ndim < 1 or a.size == 0 or b.size == 0:
        raise _Skip("empty or scalar factors")
    a = a.reshape(a.shape[0], -1)
    b = b.reshape(b.shape[0], -1)
    if b.shape[1] != a.shape[0]:
        raise _Skip(f"lora_B has {b.shape[1]} columns but lora_A {a.shape[0]} rows")
    if family == ADALORA:
        e_name = m.tensors.get("lora_E")
        if not e_name:
            raise _Skip("lora_E missing")
        e = _float64(reader, e_name).reshape(-1)
        if e.shape[0] != a.shape[0]:
            raise _Skip(f"lora_E has {e.shape[0]} values for rank {a.shape[0]}")
        a = a * e[:, None]
    scaling = m.scaling if m.scaling is not None else 1.0
    rank = a.shape[0]
    zero_b = not bool(np.any(b))
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return ModuleStats(m.name, m.layer, m.module_type, math.nan, [], None, None, zero_b, rank,
                           m.scaling, nonfinite=True)
    if zero_b or not np.any(a):
        sv = [0.0] * rank
    else:
        _, rb = np.linalg.qr(b)  # b = Q_b R_b, R_b: k×r
        _, ra = np.linalg.qr(a.T)  # aᵀ = Q_a R_a, R_a: k'×r
        sv = list(np.linalg.svd(rb @ ra.T, compute_uv=False) * abs(scaling))
        sv = (sorted((float(s) for s in sv), reverse=True) + [0.0] * rank)[:rank]
    norm = math.sqrt(sum(s * s for s in sv))
    above = sum(1 for s in sv if s > REL_THRESHOLD * sv[0]) if sv and sv[0] > 0 else 0
    return ModuleStats(m.name, m.layer, m.module_type, norm, sv, effective_rank(sv), above, zero_b, rank,
                       m.scaling)


def effective_rank(sv: list[float]) -> float:
    """exp of the entropy of the normalised singular values (1 for rank one, r for a flat spectrum)."""
    total = sum(sv)
    if total <= 0 or not math.isfinite(total):
        return 0.0
    h = -sum((s / total) * math.log(s / total) for s in sv if s > 0)
    return math.exp(h)


def _param_module(m: Any, reader: TensorReader) -> ModuleStats:
    import numpy as np

    squares, nonfinite, measured = 0.0, False, 0
    for name in m.tensors.values():
        if reader.dtype(name) not in FLOAT_DTYPES:
            continue  # indices (SHiRA, FRoD) are not weights
        x = _float64(reader, name)
        if not np.isfinite(x).all():
            nonfinite = True
            continue
        squares += float(np.sum(x * x))
        measured += 1
    if not measured and not nonfinite:
        raise _Skip("no floating-point tensors")
    norm = math.nan if nonfinite else math.sqrt(squares)
    return ModuleStats(m.name, m.layer, m.module_type, norm, [], None, None, None, m.rank, None,
                       nonfinite=nonfinite)
