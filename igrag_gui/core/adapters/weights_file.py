"""The adapter's weights file: its tensor listing, and its tensors read one at a time for statistics.

A safetensors file is listed from its header alone (no tensor data, no torch). Its tensors are
read lazily through ``safetensors.safe_open(framework="numpy")`` (memory-mapped, one tensor at a
time); BF16, which numpy lacks, is read as raw 16-bit words from a memory map of the file and
widened to float32 by shifting into the high half of the word.

A pickled ``adapter_model.bin`` (PEFT before 0.6) is code as much as data: it is only ever opened
with ``torch.load(weights_only=True)``, which refuses anything but tensors, and torch is imported
in that path alone. What the restricted loader rejects is refused, never unpickled.
"""

from __future__ import annotations

import json
import math
import pickle
import shlex
import warnings
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import UserError
from ..files.safetensors_header import FIX_HINT, read_header

SAFETENSORS, PICKLE = "safetensors", "pickle"

_TORCH_DTYPES = {
    "float32": "F32", "float16": "F16", "bfloat16": "BF16", "float64": "F64", "int64": "I64",
    "int32": "I32", "int16": "I16", "int8": "I8", "uint8": "U8", "bool": "BOOL", "uint16": "U16",
    "uint32": "U32", "uint64": "U64", "complex64": "C64", "float8_e4m3fn": "F8_E4M3",
    "float8_e5m2": "F8_E5M2",
}


@dataclass(frozen=True)
class Listed:
    name: str
    dtype: str
    shape: tuple[int, ...]
    nbytes: int

    @property
    def numel(self) -> int:
        return math.prod(self.shape)


@dataclass
class WeightsListing:
    path: Path
    format: str
    tensors: list[Listed]
    file_bytes: int
    header_bytes: int | None = None
    metadata: dict[str, str] = field(default_factory=dict)


def list_weights(path: Path, fmt: str) -> WeightsListing:
    if fmt == SAFETENSORS:
        header = read_header(path)
        tensors = [Listed(t.name, t.dtype, t.shape, t.nbytes) for t in header.tensors.values()]
        return WeightsListing(path, fmt, tensors, header.file_bytes, header.header_bytes,
                              dict(header.metadata))
    state = load_pickle(path)
    tensors = [Listed(name, _TORCH_DTYPES.get(str(t.dtype).removeprefix("torch."), str(t.dtype)),
                      tuple(int(d) for d in t.shape), int(t.numel()) * int(t.element_size()))
               for name, t in state.items()]
    return WeightsListing(path, fmt, tensors, path.stat().st_size)


def load_pickle(path: Path) -> dict[str, Any]:
    """A pickled state dict through torch's restricted (tensors-only) unpickler, memory-mapped."""
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        raise UserError(f"{path}: a PyTorch pickle, and torch is not installed to read it safely; "
                        f"get the adapter as adapter_model.safetensors instead") from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                state = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
            except RuntimeError as exc:
                if "mmap" not in str(exc):
                    raise
                # The pre-1.6 (non-zip) format cannot be memory-mapped; still tensors-only.
                state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise UserError(f"{path}: refused: this pickle holds more than tensors (torch.load with "
                        f"weights_only=True rejected it) and unpickling it fully could run code; get "
                        f"the adapter as adapter_model.safetensors from its source, or only if you trust "
                        f"the file convert it: {convert_command(path, safe=False)}") from None
    except Exception as exc:  # noqa: BLE001 - any failure of a foreign file is the file's fault
        raise UserError(f"{path}: not a readable PyTorch checkpoint ({type(exc).__name__}); "
                        f"{FIX_HINT}") from None
    if not isinstance(state, dict) or not all(isinstance(k, str) and isinstance(v, torch.Tensor)
                                              for k, v in state.items()):
        raise UserError(f"{path}: this PyTorch checkpoint is not a mapping of names to tensors, so "
                        f"not an adapter's weights; {FIX_HINT}")
    return state


def convert_command(path: Path, safe: bool = True) -> str:
    """The one-liner that turns a pickled adapter into adapter_model.safetensors beside it.

    The paths are Python string literals (JSON's escapes are Python's) inside one shell-quoted
    argument, so a path with spaces, quotes or ``$(...)`` is a path, never shell or Python code."""
    target = path.with_name("adapter_model.safetensors")
    load = f"torch.load({json.dumps(str(path))}, weights_only={safe})"  # False only after the user is told why
    code = f"import torch, safetensors.torch as st; st.save_file({load}, {json.dumps(str(target))})"
    return f"python -c {shlex.quote(code)}"


FLOAT_DTYPES = ("F16", "BF16", "F32", "F64")


class TensorReader:
    """``reader.get(name) -> numpy float array`` for one tensor of the file, read on demand.

    A context manager: the file (and, for BF16, its memory map) is open only inside ``with``.
    """

    def __init__(self, path: Path, fmt: str):
        self.path, self.format = path, fmt
        self._state: dict[str, Any] | None = None
        self._stack = ExitStack()

    def __enter__(self) -> "TensorReader":
        if self.format == PICKLE:
            self._state = load_pickle(self.path)
            return self
        import mmap

        from safetensors import safe_open

        self._header = read_header(self.path)
        try:
            self._st = self._stack.enter_context(safe_open(str(self.path), framework="numpy"))
            fh = self._stack.enter_context(self.path.open("rb"))
            self._mm = self._stack.enter_context(mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ))
        except Exception as exc:  # noqa: BLE001 - OSError, or safetensors' own SafetensorError
            self._stack.close()
            raise UserError(f"{self.path}: cannot read its tensors ({exc}); {FIX_HINT}") from None
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def dtype(self, name: str) -> str:
        if self._state is not None:
            return _TORCH_DTYPES.get(str(self._state[name].dtype).removeprefix("torch."), "?")
        return self._header.tensors[name].dtype

    def get(self, name: str) -> Any:
        """The tensor as a numpy array (float32/float64); ``UserError`` if it cannot be read."""
        import numpy as np

        if self._state is not None:
            import torch

            return self._state[name].detach().to(dtype=torch.float32).numpy()
        entry = self._header.tensors[name]
        if entry.dtype not in FLOAT_DTYPES:
            raise UserError(f"{self.path}: tensor '{name}' is {entry.dtype}, not a floating-point "
                            f"tensor; weight statistics need F16, BF16, F32 or F64")
        try:
            if entry.dtype == "BF16":
                words = np.frombuffer(self._mm, dtype="<u2", count=entry.numel,
                                      offset=self._header.data_offset + entry.start)
                out = (words.astype(np.uint32) << 16).view(np.float32).reshape(entry.shape)
                del words  # release the map's buffer before it can be closed
                return out
            return self._st.get_tensor(name)
        except Exception as exc:  # noqa: BLE001 - the file changed since its header was read
            raise UserError(f"{self.path}: cannot read tensor '{name}' ({exc}); the file may have "
                            f"changed since it was inspected; {FIX_HINT}") from None
