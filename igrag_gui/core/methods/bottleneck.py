"""Bottleneck adapters in torch: the modules, how they join a T5 model, and their files.

AdapterHub's ``adapters`` 1.3.0 pins transformers ~=4.57.6 and PEFT has no bottleneck adapters,
so the modules are ours, written to compute what AdapterHub's ``Adapter`` computes (its
``pre_forward``, ``forward`` and ``post_forward`` for a single active adapter, with T5's
``layer_norm=None``) and to carry AdapterHub's parameter names
(``encoder.block.0.layer.1.adapters.NAME.adapter_down.0.weight``): a folder we save loads in
AdapterHub (``load_adapter(..., use_safetensors=True)``) and gives the same logits
(``scripts/adapterhub_crosscheck.py``).

No class of transformers is patched. Each adapted sub-layer (T5's self-attention, cross-attention
and feed-forward layers, which all end in ``x + dropout(f)``) gets an ``adapters`` ModuleDict and
two forward hooks: one on its ``dropout`` keeps ``f``, one on the layer replaces its output with
the adapter's ``post_forward(adapter(pre_forward(f, x)))``. The base weights are frozen.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..errors import UserError
from .bottleneck_section import (TITLE, is_bottleneck_document, to_adapterhub, unsupported_keys,
                                 unsupported_reason)

CONFIG_NAME = "adapter_config.json"
WEIGHTS_NAME = "adapter.safetensors"        # AdapterHub's SAFE_WEIGHTS_NAME
PICKLE_NAME = "pytorch_adapter.bin"         # AdapterHub's default; read with weights_only=True
DEFAULT_NAME = "default"
LAYOUT_VERSION = "adapters.1.3.0"           # the AdapterHub version whose layout we write
# Where each location sits in AdapterHub's T5 mixins, and the attribute that tells the layer apart.
LOCATIONS = (("mh_adapter", "SelfAttention"), ("cross_adapter", "EncDecAttention"),
             ("output_adapter", "DenseReluDense"))


class Bottleneck(nn.Module):
    """One adapter: optional layer norm, down-projection, non-linearity, up-projection, scaling,
    dropout, optional layer norm, residual. Submodule names are AdapterHub's."""

    def __init__(self, hidden: int, bottleneck: int, config: dict[str, Any]) -> None:
        super().__init__()
        self.residual_before_ln = config["residual_before_ln"]
        self.original_ln_before = config["original_ln_before"]
        self.original_ln_after = config["original_ln_after"]
        self.has_ln_after = bool(config["ln_after"])
        layers: list[nn.Module] = []
        if config["ln_before"]:
            self.adapter_norm_before = nn.LayerNorm(hidden)
            layers.append(self.adapter_norm_before)
        layers.append(nn.Linear(hidden, max(1, bottleneck)))
        name = str(config["non_linearity"]).lower()
        layers.append(Activation(name))
        self.adapter_down = nn.Sequential(*layers)
        self.adapter_up = nn.Linear(max(1, bottleneck), hidden)
        scaling = config["scaling"]
        if scaling == "learned":
            self.scaling = nn.Parameter(torch.ones(1))
        elif scaling == "channel":
            self.scaling = nn.Parameter(torch.ones(hidden))
        else:
            self.scaling = float(scaling)
        if self.has_ln_after:
            self.adapter_norm_after = nn.LayerNorm(hidden)
        self.dropout = nn.Dropout(p=float(config["dropout"]))
        self._init(config["init_weights"])

    def _init(self, how: str) -> None:
        with torch.no_grad():
            linears = [m for m in self.adapter_down if isinstance(m, nn.Linear)] + [self.adapter_up]
            for layer in linears:
                if how == "bert":
                    layer.weight.normal_(mean=0.0, std=0.02)
                elif how == "mam_adapter":
                    nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5))
                elif how == "houlsby":
                    nn.init.trunc_normal_(layer.weight, mean=0, std=1e-2, a=-2e-2, b=2e-2)
                layer.bias.zero_()
            if how == "mam_adapter":
                self.adapter_up.weight.zero_()

    def forward(self, f: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """The sub-layer's new output from its branch ``f`` and its input ``x``."""
        residual = f
        h = f + x if self.original_ln_before else f
        if not self.residual_before_ln:
            residual = h
        up = self.adapter_up(self.adapter_down(h)) * self.scaling
        out = self.dropout(up)
        if self.has_ln_after:
            out = self.adapter_norm_after(out)
        out = out + residual
        return out + x if self.original_ln_after else out


class Activation(nn.Module):
    """AdapterHub's ``Activation_Function_Class``: transformers' activation by name."""

    def __init__(self, name: str) -> None:
        super().__init__()
        from transformers.activations import get_activation

        self.name = name
        self.f = nn.functional.leaky_relu if name == "leakyrelu" else get_activation(name)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.f(x)


@dataclass
class BottleneckState:
    """What a model with bottleneck adapters carries (``model.igrag_bottleneck``)."""

    name: str
    config: dict[str, Any]                  # AdapterHub's config block
    modules: dict[str, tuple[str, int, int]] = field(default_factory=dict)  # path -> (location, layer, width)
    hooks: list[Any] = field(default_factory=list)
    enabled: bool = True


class _Tap:
    """The branch ``f`` the sub-layer's dropout returned, kept until the layer's hook uses it."""

    def __init__(self) -> None:
        self.value: torch.Tensor | None = None

    def keep(self, _module: Any, _args: Any, output: torch.Tensor) -> None:
        self.value = output


def _stacks(model: nn.Module) -> list[tuple[str, Any]]:
    out = []
    for name in ("encoder", "decoder"):
        stack = getattr(model, name, None)
        if stack is not None and hasattr(stack, "block"):
            out.append((name, stack))
    return out


def sublayers(model: nn.Module) -> list[tuple[str, int, str, nn.Module]]:
    """(path, AdapterHub layer id, location, module) of every T5 sub-layer; decoder ids follow
    the encoder's, as AdapterHub numbers them (``iter_layers``)."""
    out = []
    offset = 0
    for stack_name, stack in _stacks(model):
        for i, block in enumerate(stack.block):
            for j, layer in enumerate(block.layer):
                for location, marker in LOCATIONS:
                    if hasattr(layer, marker):
                        out.append((f"{stack_name}.block.{i}.layer.{j}", offset + i, location, layer))
        offset += len(stack.block)
    return out


def _reduction(config: dict[str, Any], layer_id: int) -> float:
    factor = config["reduction_factor"]
    if isinstance(factor, dict):
        factor = factor.get(str(layer_id), factor.get("default"))
        if factor is None:
            raise UserError(f"reduction_factor gives no value for layer {layer_id} and no 'default'; "
                            f"add a default")
    return float(factor)


def add_adapters(model: nn.Module, config: dict[str, Any], name: str = DEFAULT_NAME) -> BottleneckState:
    """Add one adapter per chosen sub-layer, freeze the rest, and return what was added."""
    missing = unsupported_keys(config)
    if missing:
        raise UserError(f"this bottleneck adapter uses {', '.join(missing)}, which igrag's adapters do "
                        f"not implement; save it with those options off")
    hidden = int(model.config.d_model)
    state = BottleneckState(name, dict(config))
    for param in model.parameters():
        param.requires_grad = False
    for path, layer_id, location, layer in sublayers(model):
        if not config.get(location) or layer_id in (config.get("leave_out") or []):
            continue
        width = max(1, int(hidden // _reduction(config, layer_id)))
        adapter = Bottleneck(hidden, width, config)
        if not hasattr(layer, "adapters"):
            layer.adapters = nn.ModuleDict()
        layer.adapters[name] = adapter
        tap = _Tap()
        state.hooks.append(layer.dropout.register_forward_hook(tap.keep))
        state.hooks.append(layer.register_forward_hook(_layer_hook(state, adapter, tap), with_kwargs=True))
        state.modules[path] = (location, layer_id, width)
    model.igrag_bottleneck = state
    return state


def _layer_hook(state: BottleneckState, adapter: Bottleneck, tap: _Tap) -> Any:
    def hook(_module: Any, args: tuple, kwargs: dict, output: Any) -> Any:
        f, tap.value = tap.value, None
        if not state.enabled or f is None:
            return None
        x = args[0] if args else kwargs["hidden_states"]
        if isinstance(output, tuple):
            return (adapter(f, x), *output[1:])
        return adapter(f, x)
    return hook


def state_of(model: Any) -> BottleneckState | None:
    """The bottleneck adapters a model carries, or None (also through a PEFT-free wrapper)."""
    return getattr(model, "igrag_bottleneck", None)


def adapter_state_dict(model: nn.Module) -> dict[str, torch.Tensor]:
    """The adapters' tensors under AdapterHub's names. A layer norm before the bottleneck has two
    names in AdapterHub (``adapter_norm_before`` and ``adapter_down.0``): both are kept, as copies,
    since safetensors refuses tensors that share memory."""
    return {k: v.detach().clone().contiguous() for k, v in model.state_dict().items() if ".adapters." in k}


def count(model: nn.Module) -> tuple[int, int]:
    """(trainable, total) parameters, as PEFT's ``get_nb_trainable_parameters`` counts them."""
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    return trainable, total


def config_document(model: nn.Module, state: BottleneckState) -> dict[str, Any]:
    """AdapterHub's ``adapter_config.json`` for this model's adapter."""
    return {"config": state.config, "hidden_size": int(model.config.d_model),
            "model_class": type(model).__name__, "model_name": getattr(model.config, "_name_or_path", ""),
            "model_type": model.config.model_type, "name": state.name, "version": LAYOUT_VERSION}


def save(model: nn.Module, folder: Path | str) -> Path:
    """``adapter_config.json`` and ``adapter.safetensors`` as AdapterHub writes them."""
    from safetensors.torch import save_file

    state = state_of(model)
    if state is None:
        raise ValueError("the model carries no bottleneck adapters")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    save_file(adapter_state_dict(model), str(folder / WEIGHTS_NAME), metadata={"format": "pt"})
    (folder / CONFIG_NAME).write_text(json.dumps(config_document(model, state), indent=2, sort_keys=True),
                                      encoding="utf-8")
    return folder


def read_config(folder: Path | str) -> dict[str, Any] | None:
    """The AdapterHub config document of ``folder`` when it holds a bottleneck adapter, else None."""
    path = Path(folder) / CONFIG_NAME
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if is_bottleneck_document(doc) else None


def read_weights(folder: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    if (folder / WEIGHTS_NAME).is_file():
        return load_file(str(folder / WEIGHTS_NAME))
    if (folder / PICKLE_NAME).is_file():
        return torch.load(folder / PICKLE_NAME, map_location="cpu", weights_only=True)
    raise UserError(f"'{folder}' has adapter_config.json but neither {WEIGHTS_NAME} nor {PICKLE_NAME}; "
                    f"give the folder the adapter was saved to, with its weights")


def load(model: nn.Module, folder: Path | str) -> BottleneckState:
    """Add the saved adapter to ``model`` and load its tensors (every one must fit)."""
    folder = Path(folder)
    doc = read_config(folder)
    if doc is None:
        raise UserError(f"'{folder}' holds no AdapterHub bottleneck adapter config; give a folder with "
                        f"its adapter_config.json")
    model_type = getattr(model.config, "model_type", "")
    reason = unsupported_reason(model_type)
    if reason:
        raise UserError(f"cannot load '{folder}': {reason}")
    if doc.get("hidden_size") not in (None, int(model.config.d_model)):
        raise UserError(f"'{folder}' was saved for a model {doc['hidden_size']} wide, but this model is "
                        f"{model.config.d_model} wide; load it on the base model it was trained on")
    state = add_adapters(model, doc["config"], doc.get("name") or DEFAULT_NAME)
    weights = read_weights(folder)
    own = set(adapter_state_dict(model))
    missing, extra = sorted(own - set(weights)), sorted(set(weights) - own)
    if missing or extra:
        remove(model)
        what = (f"{len(missing)} tensor(s) missing such as {missing[0]}" if missing
                else f"{len(extra)} unexpected tensor(s) such as {extra[0]}")
        raise UserError(f"'{folder}' does not fit this model: {what}; load it on the base model it was "
                        f"trained on")
    try:
        model.load_state_dict(weights, strict=False)
    except RuntimeError as exc:
        remove(model)
        raise UserError(f"'{folder}' does not fit this model ({str(exc).splitlines()[-1].strip()}); "
                        f"load it on the base model it was trained on") from None
    return state


def load_weights(model: nn.Module, folder: Path | str) -> None:
    """A checkpoint's adapter tensors into the adapters ``model`` already carries (resuming)."""
    weights = read_weights(Path(folder))
    own = set(adapter_state_dict(model))
    if set(weights) != own:
        raise UserError(f"cannot resume from '{folder}': its adapter tensors do not match this run's "
                        f"adapters; resume with the original adapter settings")
    model.load_state_dict(weights, strict=False)


def remove(model: nn.Module) -> None:
    """Take the adapters out again: hooks removed, modules deleted, the model as it was (frozen)."""
    state = state_of(model)
    if state is None:
        return
    for handle in state.hooks:
        handle.remove()
    for path in state.modules:
        layer = model.get_submodule(path)
        if hasattr(layer, "adapters"):
            del layer.adapters
    del model.igrag_bottleneck


def per_layer(state: BottleneckState, model: nn.Module) -> list[dict[str, Any]]:
    """Each adapter's place, width and parameter count, for params and inspect."""
    out = []
    for path, (location, layer_id, width) in state.modules.items():
        adapter = model.get_submodule(path).adapters[state.name]
        out.append({"module": path, "location": location, "layer": layer_id, "width": width,
                    "parameters": sum(p.numel() for p in adapter.parameters())})
    return out


def describe(config: dict[str, Any]) -> str:
    """One phrase for the method: placement, non-linearity and reduction."""
    where = ("after attention and feed-forward" if config.get("mh_adapter") and config.get("output_adapter")
             else "after feed-forward" if config.get("output_adapter") else "after attention")
    return (f"{TITLE} ({where}, {config.get('non_linearity')}, reduction factor "
            f"{float(config.get('reduction_factor', 0)):g})")


def build(section: Any, model: nn.Module) -> dict[str, Any]:
    """AdapterHub's config block for ``section`` on ``model``."""
    enc = len(model.encoder.block) if hasattr(model, "encoder") else 0
    dec = len(model.decoder.block) if hasattr(model, "decoder") else 0
    return to_adapterhub(section, int(model.config.d_model), enc, dec)
