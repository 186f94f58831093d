"""CTranslate2 models made from the session's base (with an adapter merged into it), cached on disk.

A converted model is a folder under ``cache_path("IGRAG_CT2_CACHE", "ct2")`` named by a digest of
what it was made from: the base model (its folder and the name, size and modification time of
each of its files, or the hub snapshot's commit), the adapter's files (their bytes, hashed), the
quantization and the CTranslate2 version. A changed adapter or base gives another digest, so the
stale folder is never read: the model is rebuilt. When a new one is built for the same
(base, adapter folder, quantization), the folders made earlier for that source are removed (they
are ours: each carries ``igrag-ct2.json`` naming its source), so the cache holds one model per
source, not one per edit.

Building: a fresh copy of the base model is loaded (float32), the adapter is merged into it with
PEFT's ``merge_and_unload`` (the session's own model is never touched), saved with its tokenizer
to a temporary folder, and converted there with ``ctranslate2.converters.TransformersConverter``;
the result is renamed into place, so a crash never leaves a half-written model where the cache
would read it.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from ..user_dirs import cache_path

if TYPE_CHECKING:  # pragma: no cover
    from .session import Session

META = "igrag-ct2.json"
_ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors", "adapter_model.bin")


class ConversionFailed(Exception):
    """Why CTranslate2 cannot run this model: a one-line reason for the fallback message."""


def cache_root() -> Path:
    return cache_path("IGRAG_CT2_CACHE", "ct2")


def base_fingerprint(session: "Session") -> dict[str, Any]:
    """What identifies the session's base model on disk without reading its weights: the folder,
    and each file's name, size and modification time (a hub snapshot folder is named by its
    commit, so it is covered too)."""
    from ..models.loading import cached_file

    folder = session.ref.folder
    if folder is None:
        config = cached_file(session.ref, "config.json")
        folder = config.parent if config is not None else None
    if folder is None:
        return {"base": str(session.base)}
    folder = Path(folder).resolve()
    files = []
    for path in sorted(folder.iterdir()):
        if path.is_file():
            st = path.stat()
            files.append([path.name, st.st_size, st.st_mtime_ns])
    return {"base": str(folder), "files": files}


def adapter_hash(folder: Path) -> str:
    """SHA-256 of the adapter's config and weight files (small: read whole)."""
    digest = hashlib.sha256()
    for name in _ADAPTER_FILES:
        path = folder / name
        if path.is_file():
            digest.update(name.encode())
            with path.open("rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()


@dataclass
class Converted:
    """A CTranslate2 model folder ready to load, and how it came to be."""

    folder: Path
    cached: bool  # found in the cache (else built now)
    seconds: float  # building time (0 when cached)
    quantization: str


def converted_model(session: "Session", use: Any, adapter: str | None, quantization: str | None,
                    say: Callable[[str], None] | None = None) -> Converted:
    """The CTranslate2 model of the session's base with ``adapter`` merged (None: the base alone),
    from the cache or built now. Call with the model held (``use``, from ``session.exclusive``).
    Raises ``ConversionFailed`` with the reason."""
    import ctranslate2

    from ..torch_thread import call as call_on_torch_thread

    info = session.adapter_info(adapter) if adapter is not None else None
    source = {**base_fingerprint(session), "adapter": str(info.path.resolve()) if info else None,
              "quantization": quantization or "float32", "ctranslate2": ctranslate2.__version__}
    key = {**source, "adapter_sha256": adapter_hash(info.path) if info else None}
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:24]
    root = cache_root()
    folder = root / digest
    if (folder / META).is_file() and (folder / "model.bin").is_file():
        return Converted(folder, True, 0.0, source["quantization"])
    if say is not None:
        say(f"engine for {session.label(adapter)}: merging and converting to CTranslate2 "
            f"({source['quantization']}) into {folder}")
    start = time.perf_counter()
    call_on_torch_thread(_build, session, info, quantization, folder, key)
    _drop_older(root, folder, source)
    return Converted(folder, False, time.perf_counter() - start, source["quantization"])


def _build(session: "Session", info: Any, quantization: str | None, folder: Path, key: dict[str, Any]) -> None:
    """Merge, save, convert, rename into place (on the torch thread)."""
    from ..models.loading import load_model

    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConversionFailed(f"cannot create the cache folder '{folder.parent}': {exc.strerror or exc}") from None
    with tempfile.TemporaryDirectory(prefix=".build-", dir=folder.parent) as tmp:
        merged_dir, out_dir = Path(tmp) / "merged", Path(tmp) / "ct2"
        try:
            import torch

            model = load_model(session.ref, session.kind, dtype=torch.float32)
            if info is not None:
                from peft import PeftModel

                model = PeftModel.from_pretrained(model, str(info.path)).merge_and_unload()
            model.save_pretrained(str(merged_dir))
            with session.tokenizer_lock:
                session.tokenizer.save_pretrained(str(merged_dir))
        except Exception as exc:  # noqa: BLE001 - PEFT's and transformers' reasons become the message
            raise ConversionFailed(f"merging into a fresh copy of the base failed: {_first_line(exc)}") from None
        finally:
            model = None
            gc.collect()
        try:
            from ctranslate2.converters import TransformersConverter

            TransformersConverter(str(merged_dir)).convert(str(out_dir), quantization=quantization, force=True)
        except Exception as exc:  # noqa: BLE001 - an unsupported model or op is a fallback, not a crash
            raise ConversionFailed(f"CTranslate2 cannot convert it: {_first_line(exc)}") from None
        (out_dir / META).write_text(json.dumps(key, indent=1), encoding="utf-8")
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(out_dir, folder)


def _drop_older(root: Path, keep: Path, source: dict[str, Any]) -> None:
    """Remove the cache's earlier models of the same source (same base files, adapter folder,
    quantization, CTranslate2 version): a changed adapter replaces its model."""
    for meta in root.glob(f"*/{META}"):
        if meta.parent == keep:
            continue
        try:
            old = json.loads(meta.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(old, dict) and old.get("adapter") == source["adapter"] \
                and old.get("base") == source["base"] and old.get("quantization") == source["quantization"]:
            shutil.rmtree(meta.parent, ignore_errors=True)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
