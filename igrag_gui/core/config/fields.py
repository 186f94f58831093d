"""The config's fields: the four IGRAG sections as dataclasses whose metadata carries each field's
help text (the form's tooltip), type and rules, plus the method sections taken from PEFT's schema."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from ..methods.sections import METHOD_SECTION_CLASSES

SECTIONS = ("model", "data", "training", "lora")
MODEL_TYPES = ("auto", "seq2seq", "causal")
STRATEGIES = ("no", "steps", "epoch")
LORA_BIAS = ("none", "all", "lora_only")


def _spec(default: Any, help: str, kind: type | tuple, **rules: Any) -> Any:
    """A dataclass field whose metadata carries the help text (the form's tooltip), the expected
    type, and the rules ``validate`` applies (min, max, choices, path kinds, aliases)."""
    meta = {"help": help, "kind": kind, **rules}
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=meta)
    return field(default=default, metadata=meta)


# Aliases: the IGRAG scripts and PEFT spell two LoRA keys differently; both are accepted.
@dataclass
class ModelSection:
    base_model_path: str = _spec(
        "google/flan-t5-base",
        "The base model: a local folder with config.json and weights, or a Hugging Face id "
        "(e.g. google/flan-t5-base) found in the local Hugging Face cache.",
        str, path="model",
    )
    type: str = _spec(
        "auto",
        "Model family: 'seq2seq' (T5, FLAN-T5, BART), 'causal' (GPT-2, Llama), 'auto' to read it "
        "from the model's own config, or a family name such as flan-t5, bart, gpt2 or llama.",
        str, choices=MODEL_TYPES, open_choices=True, aliases=("model_type",),
    )
    trust_remote_code: bool = _spec(
        False,
        "Run Python code shipped with the model (needed by some custom architectures). "
        "Only enable it for models you trust.",
        bool,
    )


@dataclass
class DataSection:
    train_path: str = _spec(
        "data/train.jsonl",
        "Training data: JSONL with one object per line holding the prompt and caption fields "
        "(CSV and JSON lists work too).",
        str, path="file",
    )
    val_path: str = _spec(
        "data/val.jsonl",
        "Validation data in the same format; evaluated per eval_strategy (loss and training.metrics). "
        "Rows sharing an image_id are one image with several reference captions.",
        str, path="file", optional=True,
    )
    prompt_field: str = _spec("prompt", "Name of the input text field in each record.", str)
    caption_field: str = _spec("caption", "Name of the target text field in each record.", str)
    max_source_length: int = _spec(
        512, "Longest prompt in tokens; longer prompts are truncated (FLAN-T5 was trained on 512).",
        int, min=1, max=1_000_000,
    )
    max_target_length: int = _spec(
        64, "Longest caption in tokens, for training labels and for generation at evaluation.",
        int, min=1, max=1_000_000,
    )


@dataclass
class TrainingSection:
    output_dir: str = _spec(
        "outputs/lora",
        "Folder for checkpoints, the final adapter, run.yaml and metrics.jsonl.",
        str, path="output",
    )
    num_train_epochs: float = _spec(
        3.0, "Passes over the training data (ignored when max_steps is set).",
        float, min_exclusive=0, max=1_000_000,
    )
    max_steps: int = _spec(
        -1, "Stop after this many optimizer steps; -1 trains for num_train_epochs.",
        int, min=-1,
    )
    train_batch_size: int = _spec(8, "Examples per device per forward pass.", int, min=1, max=65_536)
    eval_batch_size: int = _spec(8, "Examples per device per evaluation batch.", int, min=1, max=65_536)
    gradient_accumulation_steps: int = _spec(
        1, "Forward passes summed into one optimizer step (effective batch = batch x this x devices).",
        int, min=1, max=65_536,
    )
    learning_rate: float = _spec(
        3e-4, "Peak learning rate of the linear schedule (LoRA usually wants 1e-4 to 1e-3).",
        float, min_exclusive=0,
    )
    weight_decay: float = _spec(0.0, "AdamW weight decay.", float, min=0, max=10)
    warmup_steps: int = _spec(0, "Steps of linear learning-rate warm-up.", int, min=0)
    logging_steps: int = _spec(10, "Log loss and learning rate every this many steps.", int, min=1)
    eval_strategy: str = _spec(
        "epoch", "When to evaluate on val_path: 'no', every 'steps', or every 'epoch'.",
        str, choices=STRATEGIES,
    )
    eval_steps: int = _spec(100, "Steps between evaluations when eval_strategy is 'steps'.", int, min=1)
    metrics: list = _spec(
        ["bleu4", "cider"],
        "Caption metrics computed on the validation split at each evaluation, by pycocoevalcap: "
        "bleu1, bleu2, bleu3, bleu4, meteor, rouge_l, cider, spice (METEOR and SPICE need Java).",
        (list, str),
    )
    metric_for_best_model: str = _spec(
        "bleu4", "The metric whose highest value best/ keeps (one of training.metrics; IGRAG's 'bleu' "
        "means bleu4).", str,
    )
    save_strategy: str = _spec(
        "epoch", "When to save a checkpoint: 'no', every 'steps', or every 'epoch'.",
        str, choices=STRATEGIES,
    )
    save_steps: int = _spec(100, "Steps between checkpoints when save_strategy is 'steps'.", int, min=1)
    save_total_limit: int | None = _spec(
        3, "Keep at most this many checkpoints (oldest deleted first; the best one is kept); "
        "empty keeps all.",
        (int, type(None)), min=1,
    )
    early_stopping_patience: int | None = _spec(
        None, "Stop when the best-model metric has not improved for this many evaluations "
        "(transformers' EarlyStoppingCallback); empty never stops early.",
        (int, type(None)), min=1,
    )
    group_by_length: bool = _spec(
        False, "Batch examples of similar prompt length together (transformers' length-grouped "
        "sampler, still shuffled), so less padding is computed; data order then differs from an "
        "unshuffled-by-length run with the same seed.",
        bool,
    )
    gradient_checkpointing: bool = _spec(
        False, "Recompute activations in the backward pass instead of keeping them (transformers' gradient "
        "checkpointing, non-reentrant): much less memory for long inputs, steps about a third slower.",
        bool,
    )
    seed: int = _spec(42, "Random seed for initialisation, dropout and data order; the same seed repeats a run exactly (recorded in the run's started event).", int, min=0, max=2**32 - 1)
    fp16: bool = _spec(False, "Train in float16 mixed precision (CUDA GPUs only).", bool)
    bf16: bool = _spec(False, "Train in bfloat16 mixed precision (recent GPUs, and CPUs with native bf16: AVX512_BF16, AMX or Arm BF16; elsewhere fp32).", bool)
    report_to: list = _spec(
        [], "Experiment trackers that also record the run, through their own libraries: "
        "tensorboard (event files in the run folder's tensorboard/), mlflow (MLFLOW_TRACKING_URI, "
        "else mlflow.db beside the run folder). Empty (or 'none') records to igrag's own files only. "
        "Needs pip install \"igrag-gui[trackers]\".",
        (list, str),
    )


@dataclass
class LoraSection:
    r: int = _spec(16, "LoRA rank: the inner dimension of the low-rank update B·A.", int, min=1, max=65_536)
    lora_alpha: float = _spec(
        32, "LoRA scaling numerator: the update is scaled by lora_alpha / r.",
        float, min_exclusive=0, max=1_000_000, aliases=("alpha",),
    )
    dropout: float = _spec(
        0.1, "Dropout on the LoRA branch's input, in [0, 1).",
        float, min=0, max_exclusive=1, aliases=("lora_dropout",),
    )
    target_modules: list = _spec(
        ["q", "v"],
        "Names of the Linear modules that get LoRA (FLAN-T5: q, k, v, o, wi_0, wi_1, wo), "
        "or 'all-linear'.",
        (list, str), nonempty=True,
    )
    bias: str = _spec("none", "Which biases to train: 'none', 'all' or 'lora_only'.", str, choices=LORA_BIAS)
    use_rslora: bool = _spec(False, "Rank-stabilised LoRA: scale by lora_alpha / sqrt(r).", bool)
    use_dora: bool = _spec(False, "DoRA: weight-decomposed LoRA (adds a magnitude vector per module).", bool)
    init_lora_weights: bool | str = _spec(
        True, "How PEFT initialises A and B: true (B zero, A Kaiming), 'gaussian', 'pissa' or "
        "'olora' (from the base weights' SVD / QR; they change the base weights saved with a merge).",
        (bool, str), choices_or_bool=("gaussian", "pissa", "olora", "orthogonal"),
    )


SECTION_CLASSES = {
    "model": ModelSection,
    "data": DataSection,
    "training": TrainingSection,
    "lora": LoraSection,
    **METHOD_SECTION_CLASSES,  # adalora, ia3, ..., p_tuning: from PEFT's schema (methods/sections.py)
}




def field_specs(section: str) -> list[dataclasses.Field]:
    """The fields of one section, in order, with their metadata (help, kind, rules)."""
    return list(dataclasses.fields(SECTION_CLASSES[section]))


def field_help(key: str) -> str:
    """The help text of ``section.name``, for tooltips and ``--help``."""
    section, name = key.split(".", 1)
    for f in field_specs(section):
        if f.name == name:
            return f.metadata["help"]
    raise KeyError(key)


def _alias_map(section: str) -> dict[str, str]:
    return {a: f.name for f in field_specs(section) for a in f.metadata.get("aliases", ())}


def canonical_name(section: str, key: str) -> str | None:
    """A section's field name for ``key`` or one of its aliases; ``None`` when there is none."""
    if section not in SECTION_CLASSES:
        return None
    name = _alias_map(section).get(key, key)
    return name if name in {f.name for f in field_specs(section)} else None
