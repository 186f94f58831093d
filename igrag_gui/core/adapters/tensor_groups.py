"""The tensor tree's groups: by stack, then layer (T5's encoder block 0..N, then decoder block 0..N).

Grouping by the layer index alone put encoder block 0 and decoder block 0 in one group; an
adapter spanning several stacks gets one group per (stack, layer), titled with the stack and the
word the model uses (``encoder block 3``). A single-stack model keeps ``layer N``. Tensors outside
any layer (prompt embeddings, ``lm_head``) come last. No Qt here: the tree only renders this.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from .tensor_names import LAYER_RE, split_site

SHARED = "shared / not in a layer"
_STACK_ORDER = {"encoder": 0, "decoder": 1}  # the forward order; safetensors sorts decoder first


@dataclass(frozen=True)
class TensorGroup:
    title: str
    stack: str  # "encoder", "decoder", "" when the adapter has one stack or the tensor no layer
    layer: int | None
    tensors: tuple[Any, ...]  # TensorInfo, in the report's order

    @property
    def params(self) -> int:
        return sum(t.numel for t in self.tensors)

    @property
    def nbytes(self) -> int:
        return sum(t.nbytes for t in self.tensors)


def _site(tensor: Any) -> tuple[str, str]:
    """(stack, the model's word for a layer: "block" or "layer") of a tensor inside a layer."""
    module = tensor.module or tensor.name
    match = LAYER_RE.search(module)
    word = "block" if match and match.group(0).lstrip(".").startswith("block") else "layer"
    return split_site(module)[0], word


def group_tensors(tensors: Iterable[Any]) -> list[TensorGroup]:
    """Groups in display order: each stack's layers in order (encoder before decoder), then shared."""
    tensors = list(tensors)
    sites = {id(t): _site(t) for t in tensors if t.layer is not None}
    stacks: list[str] = []
    for t in tensors:
        if t.layer is not None and sites[id(t)][0] not in stacks:
            stacks.append(sites[id(t)][0])
    several = len(stacks) > 1
    members: dict[tuple[str, int | None], list[Any]] = {}
    words: dict[str, str] = {}
    for t in tensors:
        if t.layer is None:
            members.setdefault(("", None), []).append(t)
            continue
        stack, word = sites[id(t)]
        stack = stack if several else ""
        words.setdefault(stack, word)
        members.setdefault((stack, t.layer), []).append(t)

    def order(key: tuple[str, int | None]) -> tuple[int, int, int]:
        stack, layer = key
        if layer is None:
            return (1, 0, 0)
        if not stack:  # one stack: its layers in order
            return (0, 0, layer)
        return (0, _STACK_ORDER.get(stack, len(_STACK_ORDER) + stacks.index(stack)), layer)

    groups = []
    for stack, layer in sorted(members, key=order):
        if layer is None:
            title = SHARED
        elif stack:
            title = f"{stack} {words[stack]} {layer}"
        else:
            title = f"layer {layer}"
        groups.append(TensorGroup(title, stack, layer, tuple(members[(stack, layer)])))
    return groups
