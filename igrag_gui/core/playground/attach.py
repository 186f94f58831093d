"""Before an adapter touches the session's model: can it generate with this base, and does it fit?

Three questions, each answered with one sentence when the answer is no:

1. Is it an adapter at all (``adapter_config.json`` with a PEFT type this PEFT knows)?
2. Can it generate with this base? Its ``task_type`` must be the base's kind of language model
   (``SEQ_2_SEQ_LM`` for T5, ``CAUSAL_LM`` for GPT-style models); a classification, question
   answering or feature-extraction adapter cannot, and neither can a prompt-learning adapter
   without a task type. LoRA-family adapters saved without a task type are accepted.
3. Was it made for this base? Every tensor must land on a module this model has, with the
   shapes it has (LoRA ``A``/``B`` against the Linear layer's in/out features, saved modules
   against the module's own weights); a prompt-learning adapter's token dimension, layers and
   heads must be this model's. A mismatch is refused naming both base models.

``base_model_name_or_path`` differing while every shape fits is **a warning, not a refusal**: the
field records where the base was when the adapter was trained (an absolute path on another
machine, a hub id for what is now a local copy), so it differs for many adapters that are right,
and no check on names can prove a model the same; shapes are what can be checked. The warning
says that outputs mean nothing if the weights are another model's.

Nothing here imports torch at import time; the weights file is read as a safetensors header only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import UserError

PEFT_PREFIX = "base_model.model."
GENERATIVE_TASKS = {"seq2seq": "SEQ_2_SEQ_LM", "causal": "CAUSAL_LM"}
TASK_WORDS = {
    "SEQ_CLS": "sequence classification",
    "TOKEN_CLS": "token classification",
    "QUESTION_ANS": "question answering",
    "FEATURE_EXTRACTION": "feature extraction",
    "SEQ_2_SEQ_LM": "sequence-to-sequence language model",
    "CAUSAL_LM": "causal language model",
}
KIND_WORDS = {"seq2seq": "a sequence-to-sequence (encoder-decoder) model",
              "causal": "a causal (decoder-only) model"}
GENERIC_FOLDER = re.compile(r"^(best|final|adapter|checkpoint-\d+|\.?)$")


@dataclass
class AdapterMeta:
    """What an adapter's files say, read before anything loads."""

    given: Path
    folder: Path
    config: dict[str, Any]
    peft_type: str
    task_type: str | None
    base_model: str | None
    is_prompt_learning: bool
    weights: Path | None
    tensors: dict[str, tuple[int, ...]] | None  # None: pickle weights, not read ahead
    peft_config: Any = None  # the PEFT config object
    warnings: list[str] = field(default_factory=list)

    @property
    def num_params(self) -> int | None:
        if self.tensors is None:
            return None
        total = 0
        for shape in self.tensors.values():
            n = 1
            for d in shape:
                n *= d
            total += n
        return total


def default_name(folder: Path) -> str:
    """A PEFT adapter name from the folder: ``runs/demo`` -> ``demo``, ``runs/demo/best`` ->
    ``demo-best``; only letters, digits, ``-`` and ``_`` (PEFT keys modules by it)."""
    name = folder.name
    if GENERIC_FOLDER.match(name) and folder.parent.name:
        name = f"{folder.parent.name}-{name}" if name else folder.parent.name
    name = re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_") or "adapter"
    return name


def read_adapter(path: str | Path) -> AdapterMeta:
    """The adapter's config (through PEFT's own config class) and its tensor shapes."""
    from ..adapters.config_file import read_adapter_config
    from ..adapters.locate import locate
    from ..files.safetensors_header import read_header

    files = locate(path)
    if files.config is None:
        raise UserError(f"'{files.given}' has no adapter_config.json beside its weights, so PEFT cannot "
                        f"tell what kind of adapter it is; give the folder save_pretrained wrote")
    if files.weights is None:
        raise UserError(f"'{files.folder}' has adapter_config.json but no adapter_model.safetensors; "
                        f"give the folder save_pretrained wrote, with its weights")
    raw = read_adapter_config(files.config)
    from ..methods.bottleneck_section import PEFT_TYPE as BOTTLENECK, is_bottleneck_document

    if is_bottleneck_document(raw):  # AdapterHub's layout: igrag's own bottleneck adapters load it
        return AdapterMeta(given=Path(path), folder=files.folder, config=raw, peft_type=BOTTLENECK,
                           task_type=None, base_model=raw.get("model_name") or None, is_prompt_learning=False,
                           weights=files.weights, tensors=None, peft_config=None)
    peft_type = raw.get("peft_type")
    if not isinstance(peft_type, str):
        raise UserError(f"{files.config}: no 'peft_type' field, so this is not a PEFT adapter config; "
                        f"give the adapter_config.json that save_pretrained wrote")
    from peft.mapping import PEFT_TYPE_TO_CONFIG_MAPPING

    config_class = PEFT_TYPE_TO_CONFIG_MAPPING.get(peft_type)
    if config_class is None:
        import peft

        raise UserError(f"{files.config}: peft_type '{peft_type}' is unknown to the installed PEFT "
                        f"{peft.__version__}; it may come from a newer PEFT (pip install -U peft)")
    try:
        peft_config = config_class.from_pretrained(str(files.folder))
    except (TypeError, ValueError) as exc:
        raise UserError(f"{files.config}: PEFT cannot read this {peft_type} config "
                        f"({str(exc).splitlines()[0]}); save the adapter again with save_pretrained") from None
    tensors = None
    if files.weights_format == "safetensors":
        header = read_header(files.weights)
        tensors = {name: entry.shape for name, entry in header.tensors.items()}
    task = raw.get("task_type")
    return AdapterMeta(given=Path(path), folder=files.folder, config=raw, peft_type=peft_type,
                       task_type=task if isinstance(task, str) else None,
                       base_model=raw.get("base_model_name_or_path") or None,
                       is_prompt_learning=bool(peft_config.is_prompt_learning), weights=files.weights,
                       tensors=tensors, peft_config=peft_config)


# ------------------------------------------------------------------------------------ can it generate
def check_task(meta: AdapterMeta, kind: str, base_label: str) -> None:
    """Refuse an adapter whose task cannot generate text with a ``kind`` base model."""
    want = GENERATIVE_TASKS[kind]
    task = meta.task_type
    if task == want or (task is None and not meta.is_prompt_learning):
        return
    if task is None:
        raise UserError(f"adapter '{meta.given}' is a {meta.peft_type} adapter saved without a task_type, "
                        f"so PEFT cannot generate text with it; prompt-learning adapters must be "
                        f"trained with task_type {want} for '{base_label}', {KIND_WORDS[kind]}")
    words = TASK_WORDS.get(task, task)
    raise UserError(f"adapter '{meta.given}' is a {words} adapter (task_type {task}); it cannot generate "
                    f"text with '{base_label}', {KIND_WORDS[kind]}: open an adapter trained with "
                    f"task_type {want}")


# ------------------------------------------------------------------------------------ does it fit
@dataclass
class ModuleTable:
    """The pristine base model's modules (taken before any adapter wraps them): names, and for
    Linear / Conv1D / Embedding layers their (in, out) sizes; plus every parameter's shape."""

    names: set[str]
    linear: dict[str, tuple[int, int]]
    embedding: dict[str, tuple[int, int]]
    params: dict[str, tuple[int, ...]]

    @classmethod
    def of(cls, model: Any) -> "ModuleTable":
        import torch
        from transformers.pytorch_utils import Conv1D

        names, linear, embedding = set(), {}, {}
        for name, module in model.named_modules():
            names.add(name)
            if isinstance(module, torch.nn.Linear):
                linear[name] = (module.in_features, module.out_features)
            elif isinstance(module, Conv1D):
                linear[name] = (int(module.weight.shape[0]), int(module.weight.shape[1]))
            elif isinstance(module, torch.nn.Embedding):
                embedding[name] = (module.num_embeddings, module.embedding_dim)
        params = {n: tuple(p.shape) for n, p in model.named_parameters(remove_duplicate=False)}
        return cls(names, linear, embedding, params)

    def owner(self, key: str) -> tuple[str | None, list[str]]:
        """The module a saved tensor belongs to (longest module-name prefix) and the rest."""
        parts = key.split(".")
        for i in range(len(parts) - 1, 0, -1):
            candidate = ".".join(parts[:i])
            if candidate in self.names:
                return candidate, parts[i:]
        return None, parts


def _misfit(table: ModuleTable, key: str, shape: tuple[int, ...]) -> str | None:
    """Why one saved tensor does not fit this model, or None when it does (or we cannot tell)."""
    if not key.startswith(PEFT_PREFIX) and key.startswith("base_model.") and key.count(".") == 1:
        return None  # the tuner's own shared tensors (VeRA's vera_A / vera_B projections)
    name = key[len(PEFT_PREFIX):] if key.startswith(PEFT_PREFIX) else key
    owner, rest = table.owner(name)
    if owner is None:
        return f"it changes module '{name.rsplit('.', 2)[0]}', which this model does not have"
    leaf = rest[0]
    if owner in table.linear and len(shape) == 2:
        n_in, n_out = table.linear[owner]
        if leaf.startswith("lora_A") and shape[1] != n_in:
            return f"{owner} takes {shape[1]} inputs in the adapter's base and {n_in} here"
        if leaf.startswith("lora_B") and shape[0] != n_out:
            return f"{owner} gives {shape[0]} outputs in the adapter's base and {n_out} here"
    if owner in table.embedding and len(shape) == 2:
        n_emb, dim = table.embedding[owner]
        if leaf.startswith("lora_embedding_A") and shape[1] != n_emb:
            return f"{owner} has {shape[1]} embeddings in the adapter's base and {n_emb} here"
        if leaf.startswith("lora_embedding_B") and shape[0] != dim:
            return f"{owner} is {shape[0]}-dimensional in the adapter's base and {dim} here"
    if len(rest) == 1:  # a whole saved module's own weight (modules_to_save)
        mine = table.params.get(f"{owner}.{leaf}")
        if mine is not None and tuple(mine) != tuple(shape):
            return (f"{owner}.{leaf} is {'x'.join(map(str, shape))} in the adapter's base and "
                    f"{'x'.join(map(str, mine))} here")
    return None


def _refusal(meta: AdapterMeta, base_label: str, why: str) -> UserError:
    made_for = f"'{meta.base_model}'" if meta.base_model else "another base model (its config names none)"
    return UserError(f"adapter '{meta.given}' was made for base model {made_for}, not for "
                     f"'{base_label}': {why}; open it with its own base model")


def check_fits(meta: AdapterMeta, table: ModuleTable, hf_config: Any, base_label: str) -> None:
    """Refuse an adapter whose tensors (or prompt dimensions) do not fit this base model."""
    if meta.is_prompt_learning:
        _check_prompt_dims(meta, hf_config, base_label)
        return
    if not meta.tensors:
        return
    problems = [why for key, shape in meta.tensors.items() if (why := _misfit(table, key, shape))]
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise _refusal(meta, base_label, f"its tensors do not fit this model: {problems[0]}{more}")


def _check_prompt_dims(meta: AdapterMeta, hf_config: Any, base_label: str) -> None:
    import copy

    from peft.utils.other import _prepare_prompt_learning_config

    probe = copy.deepcopy(meta.peft_config)
    for name in ("token_dim", "num_layers", "num_attention_heads"):
        setattr(probe, name, None)
    try:
        expected = _prepare_prompt_learning_config(probe, hf_config)
    except (ValueError, KeyError, TypeError):
        return  # PEFT cannot tell either; loading will say
    checks = [("token_dim", "token dimension")]
    if meta.peft_type == "PREFIX_TUNING":
        checks += [("num_layers", "number of layers"), ("num_attention_heads", "number of attention heads")]
    for name, words in checks:
        theirs, ours = getattr(meta.peft_config, name, None), getattr(expected, name, None)
        if theirs is not None and ours is not None and theirs != ours:
            raise _refusal(meta, base_label, f"its virtual tokens need a {words} of {theirs} and this "
                                             f"model's is {ours}")


# ------------------------------------------------------------------------------------ same base?
def _canonical(value: str) -> str:
    path = Path(value).expanduser()
    if path.exists():
        return str(path.resolve())
    return value.rstrip("/")


def base_name_warning(meta: AdapterMeta, base_label: str) -> str | None:
    """A warning when the adapter names another base model but every shape fits (see above)."""
    if not meta.base_model:
        return None
    if _canonical(meta.base_model) == _canonical(base_label):
        return None
    return (f"adapter '{meta.given}' records base model '{meta.base_model}' but this session's base is "
            f"'{base_label}'; every tensor fits, so it is attached, but its outputs mean nothing unless "
            f"'{base_label}' holds the same weights")
