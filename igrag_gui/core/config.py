"""The run configuration: the IGRAG YAML layout (`model`, `data`, `training`, `lora`) as dataclasses.

One ``RunConfig`` is what the form edits, what ``igrag`` commands read and what a training run
consumes. ``RunConfig.validate()`` is the one place that judges it: it returns every problem at
once, each tied to a field (``lora.r``) so the form can paint it beside the widget and the CLI can
print it with the file and line.

Loading never fails on a value (a wrong type is a problem for ``validate`` to report with the
others); it fails only when there is nothing to read: a missing file, broken YAML, a top level
that is not a mapping. Unknown keys are kept, warned about, and written back on save.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

import yaml

from .config_paths import PathBase, find_base
from .errors import UserError
from .methods.registry import METHODS
from .methods.sections import METHOD_SECTION_CLASSES

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
    seed: int = _spec(42, "Random seed for initialisation and data order.", int, min=0, max=2**32 - 1)
    fp16: bool = _spec(False, "Train in float16 mixed precision (CUDA GPUs only).", bool)
    bf16: bool = _spec(False, "Train in bfloat16 mixed precision (recent GPUs).", bool)
    report_to: str | list = _spec(
        "none", "Experiment trackers to report to ('none', 'tensorboard', 'wandb', or a list).",
        (str, list),
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


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a config: the field (``lora.r``), a sentence saying what is wrong and
    how to fix it, and whether it blocks a run (``error``) or only deserves a look (``warning``)."""

    field: str
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


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


@dataclass
class RunConfig:
    """A whole run: the four IGRAG sections, the PEFT method, and what loading learned.

    ``source`` is the YAML file it came from (relative paths start at ``path_base``);
    ``unknown`` keeps keys we do not know, per section (``""`` for the top level), so that a
    load/save round trip loses nothing; ``spellings`` remembers an alias a file used
    (``alpha`` for ``lora_alpha``) so that saving writes it back the same way.
    """

    model: ModelSection = field(default_factory=ModelSection)
    data: DataSection = field(default_factory=DataSection)
    training: TrainingSection = field(default_factory=TrainingSection)
    lora: LoraSection = field(default_factory=LoraSection)
    method: str = "lora"
    method_sections: dict[str, Any] = field(
        default_factory=lambda: {m: cls() for m, cls in METHOD_SECTION_CLASSES.items()})
    source: Path | None = None
    unknown: dict[str, dict[str, Any]] = field(default_factory=dict)
    spellings: dict[str, str] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    load_problems: list[Problem] = field(default_factory=list)
    text: str | None = None  # the file as read, so that saving changes only what was edited
    given_sections: set[str] = field(default_factory=set)
    layout: Any = None            # another layout the file is in (IGRAG's prompt tuning), to save back
    path_root: Path | None = None  # where that layout's relative paths start, if not the file's folder

    def __getattr__(self, name: str) -> Any:
        """``cfg.ia3`` and the other method sections, kept in ``method_sections``."""
        if name in METHOD_SECTION_CLASSES and "method_sections" in self.__dict__:
            return self.__dict__["method_sections"][name]
        raise AttributeError(name)

    @property
    def method_section(self) -> str:
        """The YAML section of the chosen method (``lora`` for LoRA and for an unknown method)."""
        return self.method if self.method in METHOD_SECTION_CLASSES else "lora"

    @property
    def active_sections(self) -> tuple[str, ...]:
        """The sections a run reads: model, data, training and the chosen method's."""
        return ("model", "data", "training", self.method_section)

    @property
    def learning_rate(self) -> float:
        """The rate a run uses: the method section's own for methods other than LoRA."""
        if self.method_section != "lora":
            return getattr(self, self.method_section).learning_rate
        return self.training.learning_rate

    # ----------------------------------------------------------------------- reading and writing
    @classmethod
    def from_dict(cls, raw: dict[str, Any], source: Path | None = None) -> "RunConfig":
        """Build a config from the YAML layout, keeping bad values for ``validate`` to judge."""
        cfg = cls(source=Path(source) if source else None)
        for key, value in raw.items():
            key = str(key)
            if key == "method":
                cfg.method = value
                cfg.spellings["method"] = "method"
            elif key in SECTION_CLASSES:
                if value is None:
                    continue
                if not isinstance(value, dict):
                    cfg.load_problems.append(Problem(
                        key, f"must be a mapping of keys to values (for example 'r: 16' under "
                             f"'{key}:'), got {_describe(value)}",
                    ))
                    continue
                cfg._fill_section(key, value)
                cfg.given_sections.add(key)
            else:
                cfg.unknown.setdefault("", {})[key] = value
        return cfg

    def _fill_section(self, section: str, values: dict[str, Any]) -> None:
        target = getattr(self, section)
        names = {f.name: f for f in field_specs(section)}
        aliases = _alias_map(section)
        seen: dict[str, str] = {}
        for key, value in values.items():
            key = str(key)
            name = aliases.get(key, key)
            if name not in names:
                self.unknown.setdefault(section, {})[key] = value
                continue
            if name in seen:
                self.load_problems.append(Problem(
                    f"{section}.{name}",
                    f"is given twice, as '{seen[name]}' and '{key}'; keep one of them",
                ))
                continue
            seen[name] = key
            if key != name:
                self.spellings[f"{section}.{name}"] = key
            meta = names[name].metadata
            setattr(target, name, _coerce(value, meta["kind"], meta.get("choices", ())))

    def to_dict(self) -> dict[str, Any]:
        """The YAML layout, known keys in their order, unknown keys after them, aliases kept."""
        out: dict[str, Any] = {}
        if self.method != "lora" or "method" in self.spellings:
            out["method"] = self.method
        written = [s for s in SECTION_CLASSES
                   if s in SECTIONS or s == self.method_section or s in self.given_sections]
        for section in written:
            body: dict[str, Any] = {}
            for f in field_specs(section):
                key = self.spellings.get(f"{section}.{f.name}", f.name)
                body[key] = copy.deepcopy(getattr(getattr(self, section), f.name))
            body.update(copy.deepcopy(self.unknown.get(section, {})))
            out[section] = body
        out.update(copy.deepcopy(self.unknown.get("", {})))
        return out

    def to_yaml(self) -> str:
        if self.layout is not None:
            return self.layout.render(self)
        return yaml_text(self.to_dict())

    def save(self, path: str | os.PathLike) -> Path:
        """Write the YAML to ``path`` (atomically), rebasing relative paths onto its folder.

        Saving over the file it came from keeps that file's comments, order, quoting and key
        spellings, and leaves its paths as written (``config_yaml.round_trip``)."""
        from .config_yaml import round_trip

        path = Path(path)
        if self.layout is not None:  # IGRAG's prompt-tuning layout: written back in its own words
            root = self.layout.root_for(path)
            rebased = self.rebased(root)
            text = rebased.to_yaml()
        else:
            same = self.source is not None and path.resolve() == Path(self.source).resolve()
            rebased = self.copy() if same else self.rebased(path.parent)
            text = round_trip(self.text, rebased.to_dict()) if self.text is not None else rebased.to_yaml()
        rebased.text = text
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
        self.__dict__.update(rebased.__dict__)
        self.source = path
        if self.layout is not None:
            self.path_root = root
        return path

    def rebased(self, folder: Path) -> "RunConfig":
        """A copy whose relative paths mean the same files when read from ``folder``."""
        clone = copy.deepcopy(self)
        if self.base_dir.resolve() == Path(folder).resolve():
            return clone
        for section, f in self._path_fields():
            value = getattr(getattr(self, section), f.name)
            if not isinstance(value, str) or not value or Path(value).expanduser().is_absolute():
                continue
            if f.metadata["path"] == "model" and not looks_like_local_path(value, self.base_dir):
                continue
            absolute = (self.base_dir / value).resolve()
            setattr(getattr(clone, section), f.name, os.path.relpath(absolute, Path(folder).resolve()))
        return clone

    def copy(self) -> "RunConfig":
        return copy.deepcopy(self)

    # ---------------------------------------------------------------------------------- paths
    @property
    def path_base(self) -> PathBase:
        """Where relative paths start, and why (see ``config_paths``)."""
        return find_base(self.source.parent if self.source else None,
                         (("data.train_path", self.data.train_path), ("data.val_path", self.data.val_path)))

    @property
    def base_dir(self) -> Path:
        """Folder that relative paths are relative to: the config file's, or the nearest folder
        above it holding the data; the working folder for a config with no file."""
        if self.path_root is not None:
            return self.path_root
        return self.path_base.folder

    def resolve_path(self, value: str) -> Path:
        path = Path(value).expanduser()
        return path if path.is_absolute() else (self.base_dir / path)

    def _path_fields(self) -> Iterator[tuple[str, dataclasses.Field]]:
        for section in SECTIONS:
            for f in field_specs(section):
                if "path" in f.metadata:
                    yield section, f

    @property
    def train_file(self) -> Path:
        return self.resolve_path(self.data.train_path)

    @property
    def val_file(self) -> Path | None:
        return self.resolve_path(self.data.val_path) if self.data.val_path else None

    @property
    def output_path(self) -> Path:
        return self.resolve_path(self.training.output_dir)

    def where(self, key: str) -> str:
        """``file:line`` of a key when it came from a file, for messages."""
        if self.source is None:
            return "<config>"
        line = self.lines.get(key) or self.lines.get(key.split(".")[0])
        return f"{self.source}:{line}" if line else str(self.source)

    # ----------------------------------------------------------------------------- judgement
    def validate(self, model: Any = None, check_files: bool = True) -> list[Problem]:
        """Every problem with this config, errors and warnings, each tied to a field.

        ``model`` (a ``models.ModelInfo``, read from the base model's config.json) enables the
        target-module check; ``check_files`` the checks that look at the disk (model folder,
        data files, output folder).
        """
        problems = list(self.load_problems)
        if self.method not in METHODS:
            problems.append(Problem(
                "method", f"'{self.method}' is not a supported PEFT method; use one of: {', '.join(METHODS)}"))
        for section in sorted(self.given_sections - set(self.active_sections) - set(SECTIONS[:3])):
            keys = [f.name for f in field_specs(section)]
            problems.append(Problem(section, f"is ignored while method is '{self.method}' (its "
                                             f"{', '.join(keys[:4])}{', ...' if len(keys) > 4 else ''} "
                                             f"apply to {section} only)", severity="warning"))
        typed_ok: set[str] = set()
        for section in self.active_sections:
            for f in field_specs(section):
                key = f"{section}.{f.name}"
                found = _check_field(key, getattr(getattr(self, section), f.name), f.metadata)
                problems.extend(found)
                if not found:
                    typed_ok.add(key)
        problems.extend(self._cross_checks(typed_ok))
        if "model.type" in typed_ok:
            problems.extend(_type_notes(self.model.type, model))
        from .methods.checks import method_checks

        problems.extend(method_checks(self, typed_ok, model))
        if check_files:
            problems.extend(self._file_checks(typed_ok))
        return problems

    def errors(self, **kwargs: Any) -> list[Problem]:
        return [p for p in self.validate(**kwargs) if p.severity == "error"]

    def _cross_checks(self, ok: set[str]) -> list[Problem]:
        t = self.training
        out: list[Problem] = []
        if {"training.fp16", "training.bf16"} <= ok and t.fp16 and t.bf16:
            out.append(Problem("training.bf16", "fp16 and bf16 are both true; choose one precision "
                                                "(set the other to false)"))
        if "training.eval_strategy" in ok and t.eval_strategy != "no" and not self.data.val_path:
            out.append(Problem("data.val_path", f"is empty but training.eval_strategy is "
                                                f"'{t.eval_strategy}'; give a validation file or set "
                                                f"eval_strategy to 'no'"))
        if {"training.max_steps", "training.num_train_epochs"} <= ok and t.max_steps == 0:
            out.append(Problem("training.max_steps", "is 0, so nothing would train; use -1 to train "
                                                     "for num_train_epochs, or a positive step count"))
        if "training.learning_rate" in ok and t.learning_rate > 0.1 and self.method_section == "lora":
            out.append(Problem("training.learning_rate", f"{t.learning_rate:g} is unusually high (LoRA usually "
                                                         f"trains at 1e-4 to 1e-3); training may diverge",
                               severity="warning"))
        if {"training.metrics", "training.metric_for_best_model"} <= ok:
            from .metrics.settings import metric_problems

            out.extend(Problem(key, text, severity) for key, text, severity in
                       metric_problems(t.metrics, t.metric_for_best_model))
        if "lora.target_modules" in ok and self.method == "lora" and isinstance(self.lora.target_modules, str) \
                and self.lora.target_modules != "all-linear":
            out.append(Problem("lora.target_modules", f"must be a list of module names such as "
                                                      f"[q, v] (or 'all-linear'), got the string "
                                                      f"'{self.lora.target_modules}'"))
        return out

    def _file_checks(self, ok: set[str]) -> list[Problem]:
        out: list[Problem] = []
        if "model.base_model_path" in ok:
            value = self.model.base_model_path
            if looks_like_local_path(value, self.base_dir):
                folder = self.resolve_path(value)
                if not folder.exists():
                    from .model_stand_in import missing_folder_problem

                    severity, message = missing_folder_problem(folder)
                    out.append(Problem("model.base_model_path", message, severity))
                else:
                    from .model_folder import folder_problem

                    problem = folder_problem(folder)
                    if problem:
                        out.append(Problem("model.base_model_path", problem))
        for key, required in (("data.train_path", True), ("data.val_path", False)):
            section, name = key.split(".")
            value = getattr(self.data, name)
            if key not in ok or (not value and not required):
                continue
            if not value:
                out.append(Problem(key, "is empty; give the path of a JSONL, CSV or JSON file"))
                continue
            path = self.resolve_path(value)
            if not path.exists():
                base = self.path_base
                where = base.not_found(value) if not Path(value).expanduser().is_absolute() \
                    else f"file '{path}' does not exist"
                out.append(Problem(key, f"{where}; check the path"))
            elif path.is_dir():
                out.append(Problem(key, f"'{path}' is a folder; give the data file itself"))
        if "training.output_dir" in ok:
            out.extend(_check_output_dir(self.output_path))
        return out


def yaml_text(data: dict[str, Any]) -> str:
    """A fresh YAML file for ``data`` (no file to keep the look of)."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=None)


# ------------------------------------------------------------------------------ field checks
def _describe(value: Any) -> str:
    if isinstance(value, str):
        return f"the text '{value}'"
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a yes/no value)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return f"a list ({value!r})"
    return repr(value)


_KIND_WORDS = {int: "a whole number", float: "a number", bool: "true or false", str: "text",
               list: "a list", type(None): "empty"}


def _kind_ok(value: Any, kind: type | tuple) -> bool:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    for k in kinds:
        if k is int and isinstance(value, int) and not isinstance(value, bool):
            return True
        if k is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            return True
        if k not in (int, float) and isinstance(value, k):
            return True
    return False


def _coerce(value: Any, kind: type | tuple, choices: tuple = ()) -> Any:
    """Undo YAML 1.1's two surprises: ``2e-4`` (no dot) loads as text, and ``eval_strategy: no``
    loads as false; a number and the word "no" are meant."""
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if value is False and "no" in choices:
        return "no"
    if float in kinds and isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return value
        return number if math.isfinite(number) else value
    return value


def _check_field(key: str, value: Any, meta: dict) -> list[Problem]:
    kind = meta["kind"]
    if not _kind_ok(value, kind):
        kinds = kind if isinstance(kind, tuple) else (kind,)
        want = " or ".join(_KIND_WORDS[k] for k in kinds)
        example = {"lora.r": " such as 16"}.get(key, "")
        return [Problem(key, f"must be {want}{example}, got {_describe(value)}")]
    if isinstance(value, float) and not math.isfinite(value):
        return [Problem(key, f"must be a finite number, got {value}")]
    if "choices_or_bool" in meta and isinstance(value, str) and value not in meta["choices_or_bool"]:
        return [Problem(key, f"must be true, false or one of {', '.join(meta['choices_or_bool'])}, got '{value}'")]
    if "choices" in meta and value not in meta["choices"] and not meta.get("open_choices"):
        return [Problem(key, f"must be one of {', '.join(meta['choices'])}, got '{value}'")]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        lo, hi = meta.get("min"), meta.get("max")
        lo_x, hi_x = meta.get("min_exclusive"), meta.get("max_exclusive")
        if lo_x is not None and value <= lo_x:
            return [Problem(key, f"must be greater than {lo_x}, got {value}")]
        if lo is not None and value < lo:
            return [Problem(key, f"must be at least {lo}, got {value}")]
        if hi_x is not None and value >= hi_x:
            return [Problem(key, f"must be at least {lo or 0} and below {hi_x}, got {value}")]
        if hi is not None and value > hi:
            return [Problem(key, f"must be at most {hi}, got {value}")]
    if meta.get("nonempty") and isinstance(value, list):
        if not value:
            return [Problem(key, "is empty; name at least one module, e.g. [q, v] for T5 models")]
        bad = [v for v in value if not isinstance(v, str) or not v.strip()]
        if bad:
            return [Problem(key, f"must hold module names as text, got {bad[0]!r}")]
    if meta.get("path") in ("file", "output", "model") and isinstance(value, str) \
            and not value.strip() and not meta.get("optional"):
        return [Problem(key, "is empty; give a path")]
    return []


def _type_notes(word: str, model: Any) -> list[Problem]:
    """A family name config.json contradicts, or a word we do not know: warnings, not errors."""
    from .model_family import family_kind

    note = getattr(model, "type_note", None) if model is not None else None
    if note is None and model is None and family_kind(word) is None:
        note = (f"'{word}' is not a model family igrag knows (such as seq2seq, causal, flan-t5, "
                f"gpt2); the kind is read from the model's config.json")
    return [Problem("model.type", note, severity="warning")] if note else []


def _check_output_dir(path: Path) -> list[Problem]:
    if path.exists() and not path.is_dir():
        return [Problem("training.output_dir", f"'{path}' is a file, not a folder; choose a folder "
                                               f"for checkpoints")]
    probe = path
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not os.access(probe, os.W_OK | os.X_OK):
        return [Problem("training.output_dir", f"cannot write to '{probe}' (permission denied); "
                                               f"choose a folder you can write to")]
    return []


# ----------------------------------------------------------------------------- target modules
# Names from other architectures that users carry over to T5 (and back).
_TARGET_ALIASES = {
    "q_proj": "q", "k_proj": "k", "v_proj": "v", "o_proj": "o", "out_proj": "o",
    "query": "q", "key": "k", "value": "v", "dense": "o",
    "q": "q_proj", "k": "k_proj", "v": "v_proj", "o": "o_proj",
    "gate_proj": "wi_0", "up_proj": "wi_1", "down_proj": "wo",
    "fc1": "wi", "fc2": "wo", "c_attn": "q", "c_proj": "o",
}


def suggest_module(name: str, available: Iterable[str]) -> list[str]:
    """Likely meant module names for a target the model lacks (``q_proj`` on T5 gives ``q``)."""
    import difflib

    available = list(dict.fromkeys(available))
    hits: list[str] = []
    alias = _TARGET_ALIASES.get(name)
    if alias in available:
        hits.append(alias)
    head = name.split("_")[0]
    hits += [a for a in available if a == head or a.split("_")[0] == name]
    hits += difflib.get_close_matches(name, available, n=3, cutoff=0.5)
    return list(dict.fromkeys(hits))[:3]


def check_targets(targets: Any, module_names: Iterable[str]) -> list[Problem]:
    """Each configured target must name a module the base model really has."""
    names = list(dict.fromkeys(module_names))
    if isinstance(targets, str):
        return []  # 'all-linear' (or a PEFT regex), resolved by PEFT itself
    leaf_names = set(names)
    missing = [t for t in targets if t not in leaf_names and not any(n.endswith("." + t) for n in names)]
    out = []
    for t in missing:
        hint = suggest_module(t, names)
        did_you_mean = f"did you mean {' or '.join(repr(h) for h in hint)}? " if hint else ""
        out.append(Problem("lora.target_modules", f"the model has no module named '{t}'; "
                                                  f"{did_you_mean}its modules are: {', '.join(names)}"))
    return out


# ----------------------------------------------------------------------------- model refs
def looks_like_local_path(value: str, base_dir: Path) -> bool:
    """Whether ``model.base_model_path`` names a folder (else a Hugging Face id).

    A value that exists on disk is a folder; so is anything that cannot be a hub id (absolute,
    ``./``, ``~``, backslashes, more than one slash).
    """
    if not value:
        return False
    path = Path(value).expanduser()
    if path.is_absolute() or value.startswith((".", "~")) or "\\" in value or value.count("/") > 1:
        return True
    if (base_dir / path).exists():
        return True
    import re
    return re.fullmatch(r"[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?", value) is None


# ----------------------------------------------------------------------------- loading files
# libyaml's loader parses the same YAML into the same values ~9x faster (it matters at start-up);
# its error messages are vaguer, so a file that fails is parsed again by the Python loader.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _safe_load(text: str) -> Any:
    """``yaml.safe_load``, fast when the text is valid; raises the Python loader's errors."""
    try:
        return yaml.load(text, Loader=_SafeLoader)
    except yaml.YAMLError:
        return yaml.safe_load(text)


def _key_lines(text: str) -> dict[str, int]:
    """``section.key`` to its 1-based line, from the YAML node tree (for messages)."""
    lines: dict[str, int] = {}
    try:
        root = yaml.compose(text, Loader=_SafeLoader)
    except yaml.YAMLError:
        return lines
    if not isinstance(root, yaml.MappingNode):
        return lines
    for key_node, value_node in root.value:
        section = str(key_node.value)
        lines[section] = key_node.start_mark.line + 1
        if isinstance(value_node, yaml.MappingNode):
            aliases = _alias_map(section) if section in SECTION_CLASSES else {}
            for k, _ in value_node.value:
                name = aliases.get(str(k.value), str(k.value))
                lines[f"{section}.{name}"] = k.start_mark.line + 1
    return lines


def apply_overrides(raw: dict[str, Any], overrides: Iterable[str]) -> dict[str, Any]:
    """Apply ``--set section.key=value`` strings; values parse as YAML (``r=8``, ``fp16=true``)."""
    raw = copy.deepcopy(raw)
    for item in overrides:
        if item.split("=", 1)[0].strip() == "method" and "=" in item:
            raw["method"] = item.split("=", 1)[1].strip()
            continue
        if "=" not in item or "." not in item.split("=", 1)[0]:
            raise UserError(f"--set {item}: expected section.key=value, e.g. --set lora.r=8")
        dotted, text = item.split("=", 1)
        section, key = dotted.split(".", 1)
        if section not in SECTION_CLASSES:
            raise UserError(f"--set {item}: there is no section '{section}'; sections are "
                            f"{', '.join(SECTION_CLASSES)} (and --set method=NAME)")
        known = {f.name for f in field_specs(section)} | set(_alias_map(section))
        if key not in known:
            raise UserError(f"--set {item}: section '{section}' has no key '{key}'; its keys are "
                            f"{', '.join(f.name for f in field_specs(section))}")
        try:
            value = yaml.safe_load(text) if text.strip() else ""
        except yaml.YAMLError:
            value = text
        body = raw.get(section)
        if not isinstance(body, dict):
            body = raw[section] = {}
        canonical = _alias_map(section).get(key, key)
        value = _cwd_relative(section, canonical, value)
        for existing in [k for k in body if _alias_map(section).get(str(k), str(k)) == canonical]:
            key = existing  # overwrite whichever spelling the file used
        body[key] = value
    return raw


def _cwd_relative(section: str, name: str, value: Any) -> Any:
    """A path typed on the command line means a path from the current folder, not from the
    config file's: make it absolute before it joins the config."""
    meta = next(f.metadata for f in field_specs(section) if f.name == name)
    if "path" not in meta or not isinstance(value, str) or not value:
        return value
    if meta["path"] == "model" and not looks_like_local_path(value, Path.cwd()):
        return value
    return str((Path.cwd() / Path(value).expanduser()).resolve())


def load_config(path: str | os.PathLike, overrides: Iterable[str] = ()) -> tuple[RunConfig, list[str]]:
    """Read a YAML config. Returns the config and warnings (unknown keys kept as they are).

    Raises ``UserError`` only when there is nothing to read; value problems are left to
    ``RunConfig.validate`` so that all of them are reported together.
    """
    path = Path(path)
    if not path.exists():
        raise UserError(f"config file '{path}' does not exist; check the path, or start from "
                        f"configs/lora_config.yaml")
    if path.is_dir():
        raise UserError(f"'{path}' is a folder; give the YAML config file inside it")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not a text file (byte {exc.start} is not UTF-8); a config is "
                        f"a YAML text file") from None
    except OSError as exc:
        raise UserError(f"cannot read config file '{path}': {exc.strerror}") from None
    try:
        raw = _safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        what = exc.problem or exc.context or "invalid YAML"
        raise UserError(f"{where}: YAML syntax error: {what}; fix the file (check indentation, "
                        f"colons and quotes)") from None
    except yaml.YAMLError as exc:
        raise UserError(f"{path}: YAML syntax error: {exc}") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise UserError(f"{path}: the top level must be a mapping with sections "
                        f"{', '.join(SECTIONS)}, got {_describe(raw)}")
    from .layouts import igrag_prompt_tuning as igrag_pt

    layout = None
    if igrag_pt.detect(raw):
        layout = igrag_pt.PromptTuningLayout(text, path)
        raw = layout.to_ours(raw)
    raw = apply_overrides(raw, overrides)
    cfg = RunConfig.from_dict(raw, source=path)
    cfg.lines = _key_lines(text)
    cfg.text = text
    if layout is not None:
        cfg.path_root = igrag_pt.repo_root(path)
        cfg.lines = layout.lines(cfg.lines)
        layout.loaded = RunConfig.from_dict(layout.to_ours(_safe_load(text)), source=path).to_dict()
        cfg.layout = layout
    warnings = [
        f"{cfg.where(f'{s}.{k}' if s else k)}: unknown key '{(s + '.') if s else ''}{k}' is kept "
        f"as it is but not used"
        for s, body in cfg.unknown.items() for k in body
    ]
    return cfg, warnings


def format_problem(cfg: RunConfig, problem: Problem) -> str:
    """One line for stderr: ``file:line: field: message``."""
    return f"{cfg.where(problem.field)}: {problem}"
