"""From saved tensor names to adapted modules, their layer index and their module type.

PEFT saves ``base_model.model.<module path>.<parameter>[.weight]`` for module-based methods
(``...decoder.block.3.layer.1.EncDecAttention.q.lora_A.weight``), bare names for prompt-based
ones (``prompt_embeddings``), and the full weights of ``modules_to_save`` under their own path
(``base_model.model.lm_head.weight``). The module path is what PEFT matches ``target_modules``
against; the layer index comes from the first ``layer(s).N``, ``h.N`` or ``block(s).N``; the module
type is the path after the layer (``SelfAttention.q``), prefixed by the stack (``encoder``,
``decoder``) when an adapter spans several, so that one layer × type cell holds one module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .peft_types import PROMPT_BASED, marker_of

LAYER_RE = re.compile(r"(?:^|\.)(?:layers?|h|blocks?)\.(\d+)(?=\.|$)")
_PREFIXES = ("base_model.model.", "base_model.")

ADAPTER, PROMPT, SHARED, SAVED = "adapter", "prompt", "shared", "saved"


@dataclass(frozen=True)
class ParsedName:
    module: str | None  # PEFT's module key ("encoder.block.0.layer.0.SelfAttention.q"), None for prompts
    param: str  # the adapter parameter ("lora_A"), or the saved module's parameter ("weight")
    role: str  # ADAPTER, PROMPT (prompt embeddings), SHARED (one tensor for all modules), SAVED
    marker: str | None  # the PEFT type whose naming the parameter follows
    layer: int | None
    sub: str = ""  # what follows the parameter ("weight", "bias", "Xd", "default.weight")

    @property
    def key(self) -> str:
        """The parameter's key within its module: ``lora_A`` for ``lora_A.weight``, else ``lora_B.bias``."""
        rest = self.sub.removesuffix("weight").rstrip(".")
        return f"{self.param}.{rest}" if rest else self.param


def strip_prefix(name: str) -> str:
    for prefix in _PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def parse_tensor_name(name: str) -> ParsedName:
    parts = strip_prefix(name).split(".")
    for i, part in enumerate(parts):
        marker = marker_of(part)
        if marker is None:
            continue
        sub = ".".join(parts[i + 1:])
        if i == 0:
            role = PROMPT if marker in PROMPT_BASED else SHARED
            return ParsedName(None, part, role, marker, None, sub)
        module = ".".join(parts[:i])
        return ParsedName(module, part, ADAPTER, marker, layer_of(module), sub)
    module = ".".join(parts[:-1]) or parts[-1]
    return ParsedName(module, parts[-1], SAVED, None, layer_of(module))


def layer_of(module: str) -> int | None:
    match = LAYER_RE.search(module)
    return int(match.group(1)) if match else None


def split_site(module: str) -> tuple[str, str]:
    """(stack, type): the component before the layer index and the path after it.

    ``encoder.block.0.layer.1.EncDecAttention.q`` → ("encoder", "EncDecAttention.q"); the T5
    sub-layer index (``layer.1``) and other indices (MoE ``experts.3``) are dropped from the type.
    A module outside any layer (``lm_head``) is its own type.
    """
    match = LAYER_RE.search(module)
    if not match:
        return "", module.rsplit(".", 1)[-1]
    before = module[:match.start()]
    after = [p for p in module[match.end():].split(".") if p]
    kept = [p for j, p in enumerate(after)
            if not p.isdigit() and not (p in ("layer", "layers") and j + 1 < len(after) and after[j + 1].isdigit())]
    stack = before.rsplit(".", 1)[-1] if before else ""
    return stack, ".".join(kept) or module.rsplit(".", 1)[-1]


@dataclass
class Module:
    """One adapted (or saved) module and the tensors that belong to it."""

    name: str
    layer: int | None
    module_type: str
    role: str  # ADAPTER or SAVED
    tensors: dict[str, str] = field(default_factory=dict)  # parameter key ("lora_A") -> tensor name
    params: int = 0
    rank: int | None = None  # read from the tensor shapes
    config_rank: int | None = None  # what the config asks for this module (patterns applied)
    alpha: float | None = None
    scaling: float | None = None

    @property
    def target(self) -> str:
        """The last path component, what ``target_modules`` lists usually name (``q``, ``v_proj``)."""
        return self.name.rsplit(".", 1)[-1]

    def to_json(self) -> dict:
        return {"name": self.name, "layer": self.layer, "module_type": self.module_type,
                "role": self.role, "params": self.params, "rank": self.rank,
                "config_rank": self.config_rank, "alpha": self.alpha, "scaling": self.scaling,
                "tensors": dict(self.tensors)}


def assign_types(modules: list[Module]) -> None:
    """Set each module's type, adding the stack name when the adapter spans several stacks."""
    sites = {m.name: split_site(m.name) for m in modules}
    stacks = {sites[m.name][0] for m in modules if m.layer is not None}
    for m in modules:
        stack, kind = sites[m.name]
        m.module_type = f"{stack}.{kind}" if len(stacks) > 1 and stack and m.layer is not None else kind
