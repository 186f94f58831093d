"""IGRAG's prompt-tuning output: ``prompt_embeddings.pt`` as their script saves it.

``torch.save({"prompt_embeddings": nn.Parameter[prompt_length, embedding_dim], "prompt_length":
20, "embedding_dim": 768, "initialization": "random"})``: vectors prepended to the encoder's input
only. It is a pickle, so it is opened with ``torch.load(weights_only=True)`` alone (tensors, numbers
and text; anything that would run code is refused), and only after its size is checked against
the memory this machine has free.
"""

from __future__ import annotations

import os
import pickle
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import UserError

KEY = "prompt_embeddings"
METHOD = "prompt tuning (IGRAG prompt embeddings)"
EXPECTED = (f"a dict with '{KEY}' (a [prompt_length, embedding_dim] tensor), 'prompt_length', "
            f"'embedding_dim' and 'initialization', as IGRAG's prompt-tuning script saves")


@dataclass
class IgragPrompt:
    path: Path
    embeddings: Any  # torch.Tensor [prompt_length, embedding_dim]
    initialization: str | None

    @property
    def prompt_length(self) -> int:
        return int(self.embeddings.shape[0])

    @property
    def embedding_dim(self) -> int:
        return int(self.embeddings.shape[1])

    @property
    def num_params(self) -> int:
        return self.prompt_length * self.embedding_dim

    def peft_config(self, base_model: str | None = None) -> dict[str, Any]:
        """The ``adapter_config.json`` PEFT would write for the same prompt: prompt tuning of the
        encoder only (``num_transformer_submodules`` 1), as IGRAG trains it."""
        return {
            "peft_type": "PROMPT_TUNING", "task_type": "SEQ_2_SEQ_LM",
            "num_virtual_tokens": self.prompt_length, "token_dim": self.embedding_dim,
            "num_transformer_submodules": 1,
            "prompt_tuning_init": "TEXT" if self.initialization == "text" else "RANDOM",
            "base_model_name_or_path": base_model, "inference_mode": True,
        }


def available_memory() -> int | None:
    """Bytes of memory free for a new allocation (Linux ``MemAvailable``), else physical memory."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def load_checked(path: Path, memory: int | None = None) -> Any:
    """``torch.load(path, weights_only=True)``, refused before loading when the file is larger
    than half the free memory (``memory``, default: what this machine has free)."""
    path = Path(path)
    size = path.stat().st_size
    memory = available_memory() if memory is None else memory
    if memory is not None and size > memory // 2:
        raise UserError(f"{path}: refused: the file is {size / 2**30:.1f} GiB and this machine has "
                        f"{memory / 2**30:.1f} GiB of memory free, too little to load it; open it on "
                        f"a machine with more memory, or check that it is the right file")
    import torch

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise UserError(f"{path}: refused: this pickle holds more than tensors, numbers and text "
                        f"(torch.load with weights_only=True rejected it) and unpickling it fully "
                        f"could run code; nothing in it was run") from None
    except Exception as exc:  # noqa: BLE001 - any failure of a foreign file is the file's fault
        raise UserError(f"{path}: not a readable PyTorch file ({type(exc).__name__}); expected "
                        f"{EXPECTED}") from None


def is_igrag_prompt(state: Any) -> bool:
    """Whether a loaded ``.pt`` is IGRAG's layout (rather than a plain state dict of tensors)."""
    return isinstance(state, dict) and KEY in state and any(k in state for k in
                                                            ("prompt_length", "embedding_dim", "initialization"))


def from_state(path: Path, state: Any) -> IgragPrompt:
    """Check IGRAG's layout and return its prompt; ``UserError`` naming what is off."""
    import torch

    if not isinstance(state, dict) or KEY not in state:
        raise UserError(f"{path}: refused: not IGRAG prompt embeddings; expected {EXPECTED}")
    emb = state[KEY]
    if not isinstance(emb, torch.Tensor) or emb.dim() != 2 or not emb.is_floating_point() \
            or 0 in emb.shape:
        shape = list(emb.shape) if isinstance(emb, torch.Tensor) else type(emb).__name__
        raise UserError(f"{path}: refused: '{KEY}' must be a 2-D floating-point tensor "
                        f"[prompt_length, embedding_dim], got {shape}; expected {EXPECTED}")
    # A tensor is a view: its shape and strides, not its file's size, say what copying it costs. A
    # stride-0 view of one stored number can claim terabytes, which .contiguous() would allocate.
    held = emb.untyped_storage().nbytes() - emb.storage_offset() * emb.element_size()
    if emb.numel() * emb.element_size() > held:
        raise UserError(f"{path}: refused: '{KEY}' claims {list(emb.shape)} ({emb.numel():,} values) but "
                        f"its file holds {max(held, 0) // emb.element_size():,}: a view that repeats its "
                        f"data (overlapping strides), not embeddings; expected {EXPECTED}")
    for name, dim in (("prompt_length", 0), ("embedding_dim", 1)):
        given = state.get(name)
        if given is not None and (not isinstance(given, int) or given != emb.shape[dim]):
            raise UserError(f"{path}: refused: '{name}' is {given!r} but '{KEY}' has shape "
                            f"{list(emb.shape)}; the file is inconsistent")
    init = state.get("initialization")
    return IgragPrompt(path, emb.detach().to(torch.float32).contiguous(), init if isinstance(init, str) else None)


def read_igrag_prompt(path: str | os.PathLike, memory: int | None = None) -> IgragPrompt:
    """IGRAG's ``prompt_embeddings.pt``, checked; ``UserError`` for anything else."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"'{path}' is not a file; give IGRAG's prompt_embeddings.pt")
    return from_state(path, load_checked(path, memory))
