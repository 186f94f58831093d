"""Trainable and total parameters of a run, before any weights load.

The model is built from config.json on the meta device and PEFT itself wraps it, so the figures
are PEFT's own (``get_nb_trainable_parameters``), equal to what it reports after loading the
real checkpoint, for any method PEFT supports, in well under a second for FLAN-T5-base.
"""

from __future__ import annotations

import dataclasses
import re
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import UserError
from . import build_peft_config
from ..models.loading import ModelInfo, describe_model

if TYPE_CHECKING:  # pragma: no cover
    from ..config import RunConfig


@dataclass
class ParamStats:
    """What the adapter adds to the base model, as PEFT counts it."""

    trainable: int
    total: int
    modules: int
    by_module: dict[str, dict[str, int]] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def percent(self) -> float:
        return 100.0 * self.trainable / self.total if self.total else 0.0

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["percent"] = round(self.percent, 4)
        return data

    def summary(self) -> str:
        return f"{self.trainable:,} trainable of {self.total:,} parameters ({self.percent:.2f}%)"


def count_parameters(cfg: "RunConfig", info: tuple[ModelInfo, Any] | None = None) -> ParamStats:
    """Wrap the empty model with the config's PEFT method and count, on the meta device; a count
    made before for the same config.json, method settings and library versions is read from the
    cache (``models.facts``) without importing torch. ``info`` is ``(ModelInfo, empty model or None)``."""
    from ..models.facts import cached_params, model_info, remember_params

    start = time.perf_counter()
    info_, model = info if info is not None else (model_info(cfg), None)
    remembered = cached_params(cfg, info_)
    if remembered is not None:
        hit = ParamStats(**remembered)
        hit.seconds = time.perf_counter() - start
        return hit
    if model is None:
        info_, model = describe_model(cfg)
    stats = _count(cfg, info_, model, start)
    remember_params(cfg, info_, stats.to_json())
    return stats


def _count(cfg: "RunConfig", info_: ModelInfo, model: Any, start: float) -> ParamStats:
    if cfg.method == "adapter":
        return _count_bottleneck(cfg, info_, model, start)
    import torch
    from peft import get_peft_model

    peft_config = build_peft_config(cfg, info_.kind, tokenizer_path=str(info_.ref.load_arg))
    if getattr(peft_config, "prompt_tuning_init", None) == "TEXT":
        peft_config.prompt_tuning_init = "RANDOM"  # same count, no tokenizer needed on meta
    try:
        with torch.device("meta"):
            peft_model = get_peft_model(model, peft_config)
    except (ValueError, TypeError) as exc:  # PEFT's own verdict on targets and shapes
        raise UserError(f"{_field_of(cfg, str(exc))}: PEFT cannot apply {cfg.method} to this model: "
                        f"{str(exc).splitlines()[0]}") from None
    trainable, total = peft_model.get_nb_trainable_parameters()
    by_module: dict[str, dict[str, int]] = {}
    for name, param in peft_model.named_parameters():
        if not param.requires_grad:
            continue
        leaf = _adapted_leaf(name)
        entry = by_module.setdefault(leaf, {"modules": 0, "trainable": 0})
        entry["trainable"] += param.numel()
    adapted = [n for n, m in peft_model.named_modules() if _is_tuner_layer(m)]
    for name in adapted:
        leaf = name.rsplit(".", 1)[-1]
        by_module.setdefault(leaf, {"modules": 0, "trainable": 0})["modules"] += 1
    return ParamStats(int(trainable), int(total), len(adapted), by_module,
                      time.perf_counter() - start)


def _count_bottleneck(cfg: "RunConfig", info_: ModelInfo, model: Any, start: float) -> ParamStats:
    """Our bottleneck adapters on the empty model: the same count training reports, with each
    location's adapters and parameters (``self-attention``, ``cross-attention``, ``feed-forward``)."""
    import copy

    import torch

    from . import bottleneck
    from .bottleneck_section import unsupported_reason

    reason = unsupported_reason(info_.model_type)
    if reason:
        raise UserError(f"method: adapter cannot train a {info_.kind} model here: {reason}; choose another method")
    model = copy.deepcopy(model)  # the cached empty model stays free of adapters
    with torch.device("meta"):
        state = bottleneck.add_adapters(model, bottleneck.build(cfg.adapter, model))
    trainable, total = bottleneck.count(model)
    by_module: dict[str, dict[str, int]] = {}
    for row in bottleneck.per_layer(state, model):
        entry = by_module.setdefault(LOCATION_WORDS[row["location"]], {"modules": 0, "trainable": 0})
        entry["modules"] += 1
        entry["trainable"] += row["parameters"]
    return ParamStats(int(trainable), int(total), len(state.modules), by_module, time.perf_counter() - start)


LOCATION_WORDS = {"mh_adapter": "self-attention", "cross_adapter": "cross-attention",
                  "output_adapter": "feed-forward"}


def _field_of(cfg: "RunConfig", message: str) -> str:
    """The config field a PEFT error is about, for the form to mark."""
    from .checks import target_key

    section = cfg.method_section
    for name in ("oft_block_size", "num_virtual_tokens", "init_r", "target_r", "r"):
        if re.search(rf"\b{name}\b", message) and name in {f.name for f in dataclasses.fields(getattr(cfg, section))}:
            return f"{section}.{name}"
    return target_key(cfg) or "method"


def _is_tuner_layer(module: Any) -> bool:
    from peft.tuners.tuners_utils import BaseTunerLayer

    return isinstance(module, BaseTunerLayer)


def _adapted_leaf(param_name: str) -> str:
    """``...SelfAttention.q.lora_A.default.weight`` -> ``q``: the module the parameter adapts."""
    parts = param_name.split(".")
    for i, part in enumerate(parts):
        if part.startswith(("lora_", "ia3_", "hada_", "lokr_", "oft_", "vera_", "ranknum")) and i > 0:
            return parts[i - 1]
    return parts[-2] if len(parts) > 1 else parts[-1]
