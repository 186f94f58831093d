"""Base models: where they are, what family they are, which modules LoRA can adapt.

Everything here goes through the normal Hugging Face loading paths (a local folder or a hub id
in the local cache). torch and transformers are imported inside the functions that need them,
so that importing this module (for ``ModelInfo``, say) costs nothing.
"""

from __future__ import annotations

import functools
import json
import os
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import UserError
from .ref import looks_like_local_path

if TYPE_CHECKING:  # pragma: no cover
    from ..config import RunConfig

SEQ2SEQ, CAUSAL = "seq2seq", "causal"
WEIGHT_FILES = ("model.safetensors.index.json", "model.safetensors")


@dataclass(frozen=True)
class ModelRef:
    """A base model as the config names it: a local folder, or a Hugging Face id."""

    value: str
    folder: Path | None = None
    hub_id: str | None = None

    def __str__(self) -> str:
        return str(self.folder) if self.folder else str(self.hub_id)

    @property
    def load_arg(self) -> str:
        """What ``from_pretrained`` takes."""
        return str(self.folder) if self.folder else str(self.hub_id)


@dataclass
class ModelInfo:
    """What the config alone tells about a base model: family, architecture and the adaptable
    (Linear-like) modules by leaf name, with how many of each and their shapes."""

    ref: ModelRef
    kind: str
    architecture: str
    modules: dict[str, int] = field(default_factory=dict)
    shapes: dict[str, tuple[int, int]] = field(default_factory=dict)
    output_layer: str | None = None
    type_note: str | None = None  # a warning about model.type (a family name config.json contradicts)
    max_positions: int | None = None  # the position table's size, where the model has one
    model_type: str = ""              # config.json's model_type (t5, gpt2, ...)

    @property
    def module_names(self) -> list[str]:
        return list(self.modules)


def resolve_model_ref(cfg: "RunConfig") -> ModelRef:
    value = cfg.model.base_model_path
    if looks_like_local_path(value, cfg.base_dir):
        folder = cfg.resolve_path(value).resolve()
        if not folder.exists():
            from .stand_in import cached_stand_in

            stand_in = cached_stand_in(folder.name)
            if stand_in:  # validate warns about it
                return ModelRef(value, hub_id=stand_in)
        return ModelRef(value, folder=folder)
    return ModelRef(value, hub_id=value)


@functools.lru_cache(maxsize=1)
def hub_reachable(timeout: float = 3.0) -> bool:
    """Whether the Hugging Face hub answers at all; checked once, so that an offline machine
    gets a clear message at once instead of a minute of retries."""
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on"):
        return False
    try:
        from huggingface_hub import constants

        host = constants.ENDPOINT.split("://", 1)[-1].split("/", 1)[0]
    except Exception:  # noqa: BLE001 - any trouble means: treat as offline
        host = "huggingface.co"
    try:
        with socket.create_connection((host, 443), timeout=timeout):
            return True
    except OSError:
        return False


def _missing_model_message(ref: ModelRef) -> str:
    return (f"model '{ref.hub_id}' is not in the local Hugging Face cache and the hub cannot be "
            f"reached; on a machine with internet run `hf download {ref.hub_id}` (it fills "
            f"~/.cache/huggingface), or set model.base_model_path to a local model folder")


def cached_file(ref: ModelRef, filename: str) -> Path | None:
    """A model file on this machine: in the folder, or in the hub cache; never downloads."""
    if ref.folder:
        path = ref.folder / filename
        return path if path.is_file() else None
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(ref.hub_id, filename)
    return Path(found) if isinstance(found, str) else None


def _local_only(ref: ModelRef) -> bool:
    """Whether to forbid network access when loading ``ref``."""
    return bool(ref.folder) or not hub_reachable()


def load_model_config(ref: ModelRef, trust_remote_code: bool = False) -> Any:
    """The model's ``PretrainedConfig`` from config.json alone."""
    if ref.folder:
        from .folder import check_folder

        check_folder(ref.folder)
    from transformers import AutoConfig

    local_only = _local_only(ref)
    if local_only and ref.hub_id and cached_file(ref, "config.json") is None:
        raise UserError(_missing_model_message(ref))
    try:
        return AutoConfig.from_pretrained(ref.load_arg, local_files_only=local_only,
                                          trust_remote_code=trust_remote_code)
    except ValueError as exc:
        text = str(exc)
        if "trust_remote_code" in text:
            raise UserError(f"model '{ref}' needs its own Python code to load; if you trust it, "
                            f"set model.trust_remote_code to true (only training and generation run it)") from None
        raise UserError(f"cannot read the config of model '{ref}': {text.splitlines()[0]}") from None
    except OSError as exc:
        if ref.hub_id:
            raise UserError(_missing_model_message(ref)) from None
        raise UserError(f"cannot read the config of model '{ref}': {str(exc).splitlines()[0]}") from None


class ModelCodeNotRun(UserError):
    """The model is defined by Python code in its folder (or repository), and the asking operation
    only looks at models: checking, counting, inspecting never run a model's code."""


def own_code(ref: ModelRef) -> bool:
    """Whether the model's config.json maps its classes to its own Python code (``auto_map``),
    which transformers imports when ``trust_remote_code`` is on; read as JSON, nothing imported."""
    path = cached_file(ref, "config.json")
    if path is None:
        return False
    try:
        from ..files.bounded import json_loads

        raw = json_loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(raw, dict) and bool(raw.get("auto_map"))


def refuse_own_code(cfg: "RunConfig", ref: ModelRef) -> None:
    """Raise ``ModelCodeNotRun`` when ``cfg`` trusts a model that brings its own code: only
    training and generation may run it (they say so); describing the model would run it too."""
    if cfg.model.trust_remote_code and own_code(ref):
        raise ModelCodeNotRun(f"model '{ref}' is defined by its own Python code (auto_map in its config.json), "
                              f"and checking, counting and inspecting never run it, so it is not described here; "
                              f"only training (and evaluation) run it, as model.trust_remote_code asks")


def model_kind(hf_config: Any, requested: str = "auto") -> str:
    """``seq2seq`` or ``causal``, from the model's own config; a contradicting ``seq2seq`` or
    ``causal`` is an error (a family name or unknown word only warns: ``model_family``)."""
    actual = SEQ2SEQ if getattr(hf_config, "is_encoder_decoder", False) else CAUSAL
    if requested in (SEQ2SEQ, CAUSAL) and requested != actual:
        arch = (getattr(hf_config, "architectures", None) or [hf_config.model_type])[0]
        raise UserError(f"model.type is '{requested}' but the model ({arch}) is a {actual} model; "
                        f"set model.type to '{actual}' or 'auto'")
    return actual


def _auto_class(kind: str) -> Any:
    from transformers import AutoModelForCausalLM, AutoModelForSeq2SeqLM

    return AutoModelForSeq2SeqLM if kind == SEQ2SEQ else AutoModelForCausalLM


def checkpoint_stores_output_layer(ref: ModelRef, output_name: str | None) -> bool | None:
    """Whether the checkpoint keeps its own output layer (untied from the input embedding).

    Read from the weights' header when the weights are on this machine, else from the raw
    config.json's ``tie_word_embeddings``; ``None`` when neither says. transformers 5 builds T5
    with tied embeddings whatever config.json says, while FLAN-T5's checkpoint stores a separate
    ``lm_head``: counting parameters from the config must follow the checkpoint.
    """
    from ..files.safetensors_header import tensor_names

    if output_name:
        for filename in WEIGHT_FILES:
            path = cached_file(ref, filename)
            if path is not None:
                try:
                    return f"{output_name}.weight" in set(tensor_names(path))
                except UserError:
                    break
    config_path = cached_file(ref, "config.json")
    if config_path is None:
        return None
    try:
        raw = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    tie = raw.get("tie_word_embeddings")
    return None if tie is None else not tie


def build_empty_model(ref: ModelRef, hf_config: Any, kind: str, trust_remote_code: bool = False) -> Any:
    """The model's modules on the meta device: shapes and names, no memory, no weights."""
    import torch

    try:
        with torch.device("meta"):
            model = _auto_class(kind).from_config(hf_config, trust_remote_code=trust_remote_code)
    except (RuntimeError, ValueError, TypeError, ZeroDivisionError) as exc:  # the file's numbers, not our code
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UserError(f"{ref}: its config.json describes a model that cannot be built ({first}); "
                        f"check the folder holds the model's own config.json") from exc
    output, inputs = model.get_output_embeddings(), model.get_input_embeddings()
    if output is not None and inputs is not None and output.weight is inputs.weight:
        if checkpoint_stores_output_layer(ref, _module_name(model, output)):
            output.weight = torch.nn.Parameter(torch.empty_like(output.weight, device="meta"))
    return model


def _module_name(model: Any, module: Any) -> str | None:
    for name, m in model.named_modules():
        if m is module:
            return name
    return None


def adaptable_modules(model: Any) -> tuple[dict[str, int], dict[str, tuple[int, int]], str | None]:
    """Leaf names of Linear-like modules (what ``target_modules`` names), counted, with the
    (in, out) features of the first of each, and the output layer's name."""
    import torch
    from transformers.pytorch_utils import Conv1D

    counts: dict[str, int] = {}
    shapes: dict[str, tuple[int, int]] = {}
    output = model.get_output_embeddings()
    output_name = None
    for name, module in model.named_modules():
        if isinstance(module, torch.nn.Linear):
            in_f, out_f = module.in_features, module.out_features
        elif isinstance(module, Conv1D):
            in_f, out_f = module.weight.shape
        else:
            continue
        if module is output:
            output_name = name
        leaf = name.rsplit(".", 1)[-1]
        counts[leaf] = counts.get(leaf, 0) + 1
        shapes.setdefault(leaf, (int(in_f), int(out_f)))
    return counts, shapes, output_name


def describe_model(cfg: "RunConfig") -> tuple[ModelInfo, Any]:
    """Family, architecture and adaptable modules of the config's base model, plus the empty
    (meta-device) model itself, from config.json alone."""
    ref = resolve_model_ref(cfg)
    refuse_own_code(cfg, ref)  # describing never runs the model's code: built-in classes only
    hf_config = load_model_config(ref, False)
    kind = model_kind(hf_config, cfg.model.type)
    model = build_empty_model(ref, hf_config, kind, False)
    modules, shapes, output = adaptable_modules(model)
    arch = type(model).__name__
    from .family import type_warning

    positions = next((getattr(hf_config, n) for n in ("n_positions", "max_position_embeddings")
                      if isinstance(getattr(hf_config, n, None), int)), None)
    if getattr(hf_config, "model_type", "") in ("t5", "mt5", "umt5"):
        positions = None  # relative position buckets: no table, n_positions is only a hint
    info = ModelInfo(ref, kind, arch, modules, shapes, output, type_warning(cfg.model.type, hf_config),
                     positions, str(getattr(hf_config, "model_type", "")))
    return info, model


def load_tokenizer(ref: ModelRef, trust_remote_code: bool = False) -> Any:
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(ref.load_arg, local_files_only=_local_only(ref),
                                             trust_remote_code=trust_remote_code)
    except (OSError, ValueError) as exc:
        if ref.hub_id and not hub_reachable():
            raise UserError(_missing_model_message(ref)) from None
        raise UserError(f"cannot load the tokenizer of model '{ref}': "
                        f"{str(exc).splitlines()[0]}") from None


def load_model(ref: ModelRef, kind: str, trust_remote_code: bool = False, dtype: Any = None) -> Any:
    """Load the real weights through ``from_pretrained`` (float32 unless ``dtype`` says)."""
    import torch

    try:
        return _auto_class(kind).from_pretrained(
            ref.load_arg, local_files_only=_local_only(ref), trust_remote_code=trust_remote_code,
            dtype=dtype or torch.float32,
        )
    except OSError as exc:
        if ref.hub_id and not hub_reachable():
            raise UserError(_missing_model_message(ref)) from None
        raise UserError(f"cannot load model '{ref}': {str(exc).splitlines()[0]}") from None
