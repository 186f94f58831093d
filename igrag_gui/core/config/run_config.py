"""``RunConfig``: a whole run (the IGRAG sections, the PEFT method), read from and written to YAML,
and judged in one place, ``validate()``."""

from __future__ import annotations

import copy
import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from .path_base import PathBase, find_base
from ..methods.registry import METHODS
from ..methods.sections import METHOD_SECTION_CLASSES
from .report_to import problems as tracker_problems
from .field_checks import _check_field, _coerce, _describe, _type_notes
from ..errors import Problem
from .yaml_round_trip import round_trip
from .fields import (SECTION_CLASSES, SECTIONS, DataSection, LoraSection, ModelSection, TrainingSection,
                     _alias_map, field_specs)
from ..models.ref import looks_like_local_path


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
        spellings, and leaves its paths as written (``yaml_round_trip.round_trip``)."""
        path = Path(path)
        if self.layout is not None:  # IGRAG's prompt-tuning layout: written back in its own words
            root = self.layout.root_for(path)
            rebased = self.rebased(root)
            text = rebased.to_yaml()
        else:
            same = self.source is not None and path.resolve() == Path(self.source).resolve()
            rebased = self.copy() if same else self.rebased(path.parent)
            kept = round_trip(self.text, rebased.to_dict(), RunConfig().to_dict()) if self.text is not None else None
            text = kept if kept is not None else rebased.to_yaml()
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

    def overrides_since(self, saved: "RunConfig") -> list[str]:
        """The ``--set`` items that make ``saved`` into this config (see ``overrides``)."""
        from .overrides import overrides_since

        return overrides_since(self, saved)

    # ---------------------------------------------------------------------------------- paths
    @property
    def path_base(self) -> PathBase:
        """Where relative paths start, and why (see ``path_base``)."""
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
                "method", f"'{self.method}' is not a supported tuning method; use one of: {', '.join(METHODS)}"))
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
        from ..methods.checks import method_checks

        problems.extend(method_checks(self, typed_ok, model))
        if check_files:
            from .disk_checks import file_problems

            problems.extend(file_problems(self, typed_ok))
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
            from ..metrics.settings import metric_problems

            out.extend(Problem(key, text, severity) for key, text, severity in
                       metric_problems(t.metrics, t.metric_for_best_model))
        if "training.report_to" in ok:
            out.extend(Problem("training.report_to", text) for text in tracker_problems(t.report_to))
        if "lora.target_modules" in ok and self.method == "lora" and isinstance(self.lora.target_modules, str) \
                and self.lora.target_modules != "all-linear":
            out.append(Problem("lora.target_modules", f"must be a list of module names such as "
                                                      f"[q, v] (or 'all-linear'), got the string "
                                                      f"'{self.lora.target_modules}'"))
        return out


def yaml_text(data: dict[str, Any]) -> str:
    """A fresh YAML file for ``data`` (no file to keep the look of)."""
    import yaml  # loading a config does not need PyYAML's writer (nor, when cached, its reader)

    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=None)


def format_problem(cfg: RunConfig, problem: Problem) -> str:
    """One line for stderr: ``file:line: field: message``."""
    return f"{cfg.where(problem.field)}: {problem}"
