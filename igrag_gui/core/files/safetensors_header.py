"""Read a safetensors file's header (8-byte length + JSON) without reading tensor data or torch.

A multi-GB file is described in milliseconds with memory independent of its size. Files handed
to us are data: every length and offset is checked before it is trusted, and anything malformed
ends in a ``UserError`` that says what is wrong with which file and how to get a good one.
"""

from __future__ import annotations

import json
import math
import os
import struct
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError

# The safetensors format caps the header at 100 MB; larger lengths are corrupt or hostile.
MAX_HEADER_BYTES = 100 * 1024 * 1024

DTYPE_BYTES = {
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "F8_E8M0": 1,
    "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
    "I32": 4, "U32": 4, "F32": 4, "F4": 1, "F6_E2M3": 1, "F6_E3M2": 1,
    "I64": 8, "U64": 8, "F64": 8, "C64": 8,
}
# Sub-byte dtypes are packed; their byte count is not numel * DTYPE_BYTES.
PACKED_DTYPES = frozenset({"F4", "F6_E2M3", "F6_E3M2"})

# Appended to every "this file is broken" message: what the user can do about it.
FIX_HINT = "copy the file again, or save the adapter again with save_pretrained"


@dataclass(frozen=True)
class TensorEntry:
    name: str
    dtype: str
    shape: tuple[int, ...]
    start: int  # offsets into the data section, as the header states them
    end: int

    @property
    def numel(self) -> int:
        return math.prod(self.shape)

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

    @property
    def data_offset(self) -> int:
        """Where the data section starts in the file (tensor offsets are relative to it)."""
        return 8 + self.header_bytes


def read_header(path: str | os.PathLike) -> SafetensorsHeader:
    """Parse and check the header of ``path``; raise ``UserError`` for anything malformed."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            prefix = fh.read(8)
            if size == 0:
                raise UserError(f"{path}: empty file (0 bytes), not a safetensors file; {FIX_HINT}")
            if len(prefix) < 8:
                raise UserError(f"{path}: not a safetensors file: it is {size} bytes long, shorter "
                                f"than the 8-byte header length; {FIX_HINT}")
            (length,) = struct.unpack("<Q", prefix)
            if length > MAX_HEADER_BYTES:
                raise UserError(f"{path}: not a safetensors file, or a corrupt one: its header length "
                                f"{length:,} bytes exceeds the format's 100 MB limit; {FIX_HINT}")
            if 8 + length > size:
                raise UserError(f"{path}: truncated safetensors file: the header should be {length:,} "
                                f"bytes but only {size - 8:,} follow the length; {FIX_HINT}")
            raw = fh.read(length)
    except OSError as exc:
        raise UserError(f"cannot read '{path}': {exc.strerror or exc}") from None
    return parse_header(path, raw, size)


def parse_header(path: Path, raw: bytes, size: int) -> SafetensorsHeader:
    """Check the header JSON ``raw`` of a ``size``-byte file (``read_header`` without the I/O)."""
    try:
        doc = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise UserError(f"{path}: corrupt safetensors file: the header is not UTF-8 text; "
                        f"{FIX_HINT}") from None
    except (ValueError, RecursionError):
        raise UserError(f"{path}: corrupt safetensors file: the header is not valid JSON; "
                        f"{FIX_HINT}") from None
    if not isinstance(doc, dict):
        raise UserError(f"{path}: corrupt safetensors file: the header is not a JSON object; "
                        f"{FIX_HINT}")
    data_bytes = size - 8 - len(raw)
    metadata = doc.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict):
        raise UserError(f"{path}: corrupt safetensors file: __metadata__ is not an object; {FIX_HINT}")
    tensors: dict[str, TensorEntry] = {}
    for name, info in doc.items():
        tensors[name] = _entry(path, name, info, data_bytes)
    _check_layout(path, tensors, data_bytes)
    return SafetensorsHeader(path, tensors, {str(k): _short(v) for k, v in metadata.items()},
                             len(raw), size)


def _short(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= 1000 else text[:1000] + "..."


def _entry(path: Path, name: str, info: object, data_bytes: int) -> TensorEntry:
    bad = f"{path}: corrupt safetensors file: tensor '{_cut(name)}'"
    if not isinstance(info, dict):
        raise UserError(f"{bad} has no dtype/shape/offsets entry; {FIX_HINT}")
    dtype, shape, offsets = info.get("dtype"), info.get("shape"), info.get("data_offsets")
    if not isinstance(dtype, str) or dtype not in DTYPE_BYTES:
        raise UserError(f"{bad} has unknown dtype {_brief(dtype)}; {FIX_HINT}")
    if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool)
                                              and d >= 0 for d in shape):
        raise UserError(f"{bad} has an invalid shape {_brief(shape)}; {FIX_HINT}")
    if (not isinstance(offsets, list) or len(offsets) != 2
            or not all(isinstance(o, int) and not isinstance(o, bool) for o in offsets)):
        raise UserError(f"{bad} has invalid data_offsets {_brief(offsets)}; {FIX_HINT}")
    start, end = offsets
    if not 0 <= start <= end <= data_bytes:
        raise UserError(f"{bad} points at bytes {start}..{end}, outside the {data_bytes:,}-byte "
                        f"data section (truncated or corrupt file); {FIX_HINT}")
    if len(shape) > 64:
        raise UserError(f"{bad} has {len(shape)} dimensions, more than any real tensor; {FIX_HINT}")
    entry = TensorEntry(name, dtype, tuple(shape), start, end)
    if dtype not in PACKED_DTYPES:
        expected = entry.numel * DTYPE_BYTES[dtype]
        if expected != end - start:
            raise UserError(f"{bad} has {end - start:,} bytes but shape {tuple(shape)} of {dtype} "
                            f"needs {expected:,}; {FIX_HINT}")
    return entry


def _brief(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:80] + "..."


def _check_layout(path: Path, tensors: dict[str, TensorEntry], data_bytes: int) -> None:
    """Tensors must tile the data section exactly, as the safetensors library itself demands."""
    spans = sorted((t.start, t.end, t.name) for t in tensors.values() if t.end > t.start)
    cursor, previous = 0, None
    for start, end, name in spans:
        if start < cursor:
            raise UserError(f"{path}: corrupt safetensors file: tensors '{_cut(previous)}' and "
                            f"'{_cut(name)}' overlap (bytes {start}..{min(cursor, end)}); {FIX_HINT}")
        if start > cursor:
            raise UserError(f"{path}: corrupt safetensors file: {start - cursor:,} unused bytes before "
                            f"tensor '{_cut(name)}' (data bytes {cursor}..{start}); {FIX_HINT}")
        cursor, previous = end, name
    if cursor != data_bytes:
        raise UserError(f"{path}: corrupt safetensors file: the tensors end at data byte {cursor:,} but "
                        f"the data section has {data_bytes:,} bytes; {FIX_HINT}")


def _cut(name: str | None) -> str:
    name = name or ""
    return name if len(name) <= 200 else name[:200] + "..."


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
