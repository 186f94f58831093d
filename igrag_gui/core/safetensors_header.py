"""Read a safetensors file's header (8-byte length + JSON) without reading tensor data or torch.

A multi-GB file is described in milliseconds with memory independent of its size. Files handed
to us are data: every length and offset is checked before it is trusted, and anything malformed
ends in a ``UserError`` that says what is wrong with which file.
"""

from __future__ import annotations

import json
import os
import struct
from dataclasses import dataclass
from pathlib import Path

from .errors import UserError

# The safetensors format caps the header at 100 MB; larger lengths are corrupt or hostile.
MAX_HEADER_BYTES = 100 * 1024 * 1024

DTYPE_BYTES = {
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "F8_E8M0": 1,
    "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
    "I32": 4, "U32": 4, "F32": 4, "F4": 1, "F6_E2M3": 1, "F6_E3M2": 1,
    "I64": 8, "U64": 8, "F64": 8, "C64": 8,
}


@dataclass(frozen=True)
class TensorEntry:
    name: str
    dtype: str
    shape: tuple[int, ...]
    start: int  # offsets into the data section, as the header states them
    end: int

    @property
    def numel(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n

    @property
    def nbytes(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class SafetensorsHeader:
    path: Path
    tensors: dict[str, TensorEntry]
    metadata: dict[str, str]
    header_bytes: int
    file_bytes: int


def read_header(path: str | os.PathLike) -> SafetensorsHeader:
    """Parse and check the header of ``path``; raise ``UserError`` for anything malformed."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            prefix = fh.read(8)
            if len(prefix) < 8:
                raise UserError(f"{path}: not a safetensors file: it is {size} bytes long, shorter "
                                f"than the 8-byte header length")
            (length,) = struct.unpack("<Q", prefix)
            if length > MAX_HEADER_BYTES:
                raise UserError(f"{path}: corrupt safetensors file: header length {length:,} bytes "
                                f"exceeds the format's 100 MB limit")
            if 8 + length > size:
                raise UserError(f"{path}: truncated safetensors file: header says {length:,} "
                                f"bytes but the file has only {size - 8:,} after the length")
            raw = fh.read(length)
    except OSError as exc:
        raise UserError(f"cannot read '{path}': {exc.strerror or exc}") from None
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise UserError(f"{path}: corrupt safetensors file: the header is not valid JSON") from None
    if not isinstance(doc, dict):
        raise UserError(f"{path}: corrupt safetensors file: the header is not a JSON object")
    data_bytes = size - 8 - length
    metadata = doc.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict):
        raise UserError(f"{path}: corrupt safetensors file: __metadata__ is not an object")
    tensors: dict[str, TensorEntry] = {}
    for name, info in doc.items():
        tensors[name] = _entry(path, name, info, data_bytes)
    _check_layout(path, tensors)
    return SafetensorsHeader(path, tensors, {str(k): str(v) for k, v in metadata.items()},
                             length, size)


def _entry(path: Path, name: str, info: object, data_bytes: int) -> TensorEntry:
    bad = f"{path}: corrupt safetensors file: tensor '{name}'"
    if not isinstance(info, dict):
        raise UserError(f"{bad} has no dtype/shape/offsets entry")
    dtype, shape, offsets = info.get("dtype"), info.get("shape"), info.get("data_offsets")
    if dtype not in DTYPE_BYTES:
        raise UserError(f"{bad} has unknown dtype {dtype!r}")
    if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool)
                                              and d >= 0 for d in shape):
        raise UserError(f"{bad} has an invalid shape {shape!r}")
    if (not isinstance(offsets, list) or len(offsets) != 2
            or not all(isinstance(o, int) and not isinstance(o, bool) for o in offsets)):
        raise UserError(f"{bad} has invalid data_offsets {offsets!r}")
    start, end = offsets
    if not 0 <= start <= end <= data_bytes:
        raise UserError(f"{bad} points at bytes {start}..{end}, outside the {data_bytes:,}-byte "
                        f"data section (truncated or corrupt file)")
    entry = TensorEntry(name, dtype, tuple(shape), start, end)
    expected = entry.numel * DTYPE_BYTES[dtype]
    if dtype not in ("F4", "F6_E2M3", "F6_E3M2") and expected != end - start:
        raise UserError(f"{bad} has {end - start:,} bytes but shape {tuple(shape)} of {dtype} "
                        f"needs {expected:,}")
    return entry


def _check_layout(path: Path, tensors: dict[str, TensorEntry]) -> None:
    spans = sorted((t.start, t.end, t.name) for t in tensors.values() if t.end > t.start)
    for (s1, e1, n1), (s2, e2, n2) in zip(spans, spans[1:]):
        if s2 < e1:
            raise UserError(f"{path}: corrupt safetensors file: tensors '{n1}' and '{n2}' overlap "
                            f"(bytes {s2}..{min(e1, e2)})")


def tensor_names(path: str | os.PathLike) -> list[str]:
    """The tensor names stored in a safetensors file, or in a sharded checkpoint's index."""
    path = Path(path)
    if path.name.endswith(".index.json"):
        try:
            return list(json.loads(path.read_text(encoding="utf-8")).get("weight_map", {}))
        except (OSError, ValueError, AttributeError):
            raise UserError(f"{path}: not a valid safetensors index (expected JSON with a "
                            f"weight_map)") from None
    return list(read_header(path).tensors)
