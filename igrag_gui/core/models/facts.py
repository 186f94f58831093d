"""What a base model's config.json implies, worked out once and kept on disk.

Knowing a model's adaptable modules, or PEFT's parameter count for a method, means building the
model on the meta device: importing torch, transformers and PEFT (seconds) for an answer that
depends only on config.json's bytes, the method's settings and the library versions. Entries are
JSON files under ``$IGRAG_MODEL_CACHE`` (default ``~/.cache/igrag-gui/models``), keyed by all of
those, so an edited config.json, another method setting or an upgraded library is a new key and a
stale entry is never read. ``igrag validate``, ``igrag params`` and the window's figures read them
without importing torch; the first question about a model pays the imports once and fills them.
A cache that cannot be written costs only speed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from importlib import metadata
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from .folder import check_folder, config_digest, parse_config, read_config_bytes
from .loading import ModelInfo, ModelRef, cached_file, model_kind, refuse_own_code, resolve_model_ref
from ..user_dirs import cache_path

if TYPE_CHECKING:  # pragma: no cover
    from ..config import RunConfig

FORMAT = 1  # bump when what an entry holds changes


def cache_root() -> Path:
    """``$IGRAG_MODEL_CACHE``, else ``$XDG_CACHE_HOME/igrag-gui/models``."""
    return cache_path("IGRAG_MODEL_CACHE", "models")


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "?"


def config_json(ref: ModelRef) -> tuple[Path, bytes] | None:
    """(path, bytes) of the model's config.json on this machine; None when only the hub has it.
    A local folder that is not a model folder is a ``UserError`` (``model_folder``'s sentence)."""
    if ref.folder:
        check_folder(ref.folder)
        path: Path | None = ref.folder / "config.json"
    else:
        path = cached_file(ref, "config.json")
    if path is None:
        return None
    return path, read_config_bytes(path)


def _key(*parts: Any) -> str:
    text = json.dumps([FORMAT, *parts], sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=20).hexdigest()


def _read(kind: str, key: str) -> dict | None:
    try:
        return json.loads((cache_root() / kind / f"{key}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write(kind: str, key: str, data: dict) -> None:
    folder = cache_root() / kind
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
        os.replace(tmp, folder / f"{key}.json")
    except OSError:
        pass  # only speed is lost


# ------------------------------------------------------------------------------ model info
def _info_key(raw: bytes, cfg: "RunConfig") -> str:
    return _key("info", config_digest(raw), False, _version("transformers"))  # described without the model's code


def _info_from_entry(ref: ModelRef, cfg: "RunConfig", entry: dict) -> ModelInfo:
    from .family import type_warning

    seen = SimpleNamespace(is_encoder_decoder=entry["kind"] == "seq2seq", architectures=entry["architectures"],
                           model_type=entry["model_type"])
    kind = model_kind(seen, cfg.model.type)  # a contradicting model.type is the same error as uncached
    return ModelInfo(ref, kind, entry["architecture"], dict(entry["modules"]),
                     {k: tuple(v) for k, v in entry["shapes"].items()}, entry["output_layer"],
                     type_warning(cfg.model.type, seen), entry["max_positions"], entry["model_type"])


def _known_layout_info(ref: ModelRef, cfg: "RunConfig", config: dict) -> ModelInfo | None:
    """The ``ModelInfo`` of a T5-family config.json worked out from its numbers (``model_layouts``),
    or None (another family, or the model's own code)."""
    from .family import type_warning
    from .layouts import seq2seq_layout

    layout = None if cfg.model.trust_remote_code else seq2seq_layout(config)
    if layout is None:
        return None
    seen = SimpleNamespace(is_encoder_decoder=True, architectures=config.get("architectures"),
                           model_type=config["model_type"])
    kind = model_kind(seen, cfg.model.type)  # a contradicting model.type: the same error as described
    return ModelInfo(ref, kind, layout.architecture, dict(layout.modules), dict(layout.shapes), layout.output_layer,
                     type_warning(cfg.model.type, seen), None, config["model_type"])


def model_info(cfg: "RunConfig") -> ModelInfo:
    """``models.describe_model``'s ``ModelInfo``: worked out from config.json for the T5 family,
    from the cache when config.json was seen before (no torch either way), else described
    (imports torch and transformers) and kept."""
    ref = resolve_model_ref(cfg)
    found = config_json(ref)
    refuse_own_code(cfg, ref)  # a model with its own code is never described (that would run it)
    if found is not None:
        path, raw = found
        known = _known_layout_info(ref, cfg, parse_config(raw, path))
        if known is not None:
            return known
        entry = _read("info", _info_key(raw, cfg))
        if entry is not None:
            return _info_from_entry(ref, cfg, entry)
    from .loading import describe_model

    info, _ = describe_model(cfg)
    remember_info(cfg, info, found)
    return info


def remember_info(cfg: "RunConfig", info: ModelInfo, found: tuple[Path, bytes] | None = None) -> None:
    """Keep ``info`` (from ``describe_model``) for the next question about the same config.json."""
    found = found if found is not None else config_json(info.ref)
    if found is None:
        return
    path, raw = found
    try:
        architectures = parse_config(raw, path).get("architectures") or []
    except Exception:  # noqa: BLE001 - transformers read it; we only lose the cache
        return
    _write("info", _info_key(raw, cfg), dict(
        kind=info.kind, architecture=info.architecture, architectures=architectures, modules=info.modules,
        shapes={k: list(v) for k, v in info.shapes.items()}, output_layer=info.output_layer,
        max_positions=info.max_positions, model_type=info.model_type))


# ------------------------------------------------------------------------------ parameter counts
def _method_settings(cfg: "RunConfig") -> dict[str, Any]:
    body = getattr(cfg, cfg.method_section)
    return {"method": cfg.method, **dataclasses.asdict(body)}


def _params_key(raw: bytes, cfg: "RunConfig", info: ModelInfo) -> str:
    from .loading import checkpoint_stores_output_layer

    # the weights' header decides whether the output layer counts apart from the embedding
    stored = checkpoint_stores_output_layer(info.ref, info.output_layer)
    return _key("params", config_digest(raw), False, _method_settings(cfg),
                stored, _version("transformers"), _version("peft"))


def cached_params(cfg: "RunConfig", info: ModelInfo) -> dict[str, Any] | None:
    """The counts remembered for this config.json, method settings and library versions (the
    fields of ``methods.params.ParamStats``, which builds itself from them), or ``None``."""
    found = config_json(info.ref)
    if found is None:
        return None
    entry = _read("params", _params_key(found[1], cfg, info))
    if entry is None:
        return None
    entry.pop("percent", None)
    return entry


def remember_params(cfg: "RunConfig", info: ModelInfo, counts: dict[str, Any]) -> None:
    """Keep ``counts`` (``ParamStats.to_json()``) for the next question about the same model and method."""
    found = config_json(info.ref)
    if found is not None:
        data = dict(counts)
        data.pop("percent", None)
        _write("params", _params_key(found[1], cfg, info), data)