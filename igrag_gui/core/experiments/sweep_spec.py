"""A sweep file (YAML): the base config, the space to search, and how to search it.

``load_sweep`` judges the whole file before any trial starts and reports every problem at once:
fields that do not exist, ranges whose low exceeds their high, values the field itself rejects
(checked by ``RunConfig.validate``, the form's own judge), a metric the config does not compute.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..config import SECTION_CLASSES, RunConfig, canonical_name, field_specs, load_config
from ..files.bounded import yaml_load
from ..errors import UserError
from .runs import metric_name

SAMPLERS = ("grid", "random", "tpe")
PRUNERS = ("median", "none")
PRUNER_ARGS = ("n_startup_trials", "n_warmup_steps", "interval_steps")
DIRECTIONS = ("maximize", "minimize")
KEYS = ("config", "space", "sampler", "trials", "metric", "direction", "storage", "folder", "pruner", "study",
        "launcher", "seeds")
MAX_SEED = 2**32 - 1  # training.seed's bound


@dataclass
class Range:
    low: float
    high: float
    log: bool = False
    step: float | None = None
    integer: bool = False


@dataclass
class Sweep:
    source: Path
    config: Path
    space: dict[str, list[Any] | Range]
    sampler: str = "tpe"
    trials: int = 10
    metric: str = "loss"
    direction: str = "minimize"
    storage: str = ""
    folder: Path = Path(".")
    pruner: str = "median"
    pruner_args: dict[str, int] = field(default_factory=dict)
    study: str = ""
    overrides: list[str] = field(default_factory=list)
    launcher: list[str] = field(default_factory=list)  # e.g. torchrun --nproc_per_node 4: a trial on several GPUs
    notes: list[str] = field(default_factory=list)  # warnings for the user (a --set the sweep does not use)
    # each setting trained once per seed (training.seed), its value the mean; empty: once, the config's seed
    seeds: list[int] = field(default_factory=list)

    def fingerprint(self) -> str:
        """What makes two sweep files the same study. Trials, storage, folder and ``--set`` may
        differ (another machine may need a smaller batch)."""
        space = {k: (v if isinstance(v, list) else vars(v)) for k, v in sorted(self.space.items())}
        what: dict[str, Any] = {"config": str(self.config.resolve()), "space": space, "metric": self.metric,
                                "direction": self.direction, "sampler": self.sampler}
        if self.seeds:  # a study's values are means over its seeds: other seeds, another study
            what["seeds"] = self.seeds
        text = json.dumps(what, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def grid(self) -> list[dict[str, Any]]:
        """Every combination of the listed values (the grid sampler's trials), in file order."""
        import itertools

        keys = list(self.space)
        values = [self.space[k] for k in keys]
        return [dict(zip(keys, combo)) for combo in itertools.product(*values)]  # type: ignore[arg-type]


def flow(value: Any) -> str:
    """A value as ``--set`` takes it (YAML flow style: ``[q, v]``, ``0.001``, ``true``)."""
    text = yaml.safe_dump(value, default_flow_style=True, width=1_000_000).strip()
    return text[:-3].strip() if text.endswith("...") else text


def canonical_field(key: str) -> str | None:
    """``lora.alpha`` -> ``lora.lora_alpha``; ``None`` when the config has no such field."""
    if key == "method":
        return key
    section, _, name = key.partition(".")
    found = canonical_name(section, name) if name else None
    return f"{section}.{found}" if found else None


def _field_kind(key: str) -> Any:
    if key == "method":
        return str
    section, name = key.split(".", 1)
    return next(f.metadata["kind"] for f in field_specs(section) if f.name == name)


def computed_metrics(cfg: RunConfig) -> list[str]:
    """The validation metrics a run of ``cfg`` reports (empty without validation data)."""
    if not cfg.data.val_path or cfg.training.eval_strategy == "no":
        return []
    chosen = getattr(cfg.training, "metrics", None)  # a list of metric names where the engine has one
    if isinstance(chosen, (list, tuple)) and chosen:
        return ["loss"] + [metric_name(str(m)) for m in chosen]
    return ["loss", "bleu4"]


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _parse_range(where: str, key: str, body: dict, problems: list[str]) -> Range | None:
    unknown = set(body) - {"low", "high", "log", "step"}
    if unknown:
        problems.append(f"{where}: space.{key}: unknown range key(s) {', '.join(sorted(map(str, unknown)))}; "
                        f"a range is {{low: ..., high: ..., log: true|false, step: ...}}")
        return None
    low, high, log, step = body.get("low"), body.get("high"), body.get("log", False), body.get("step")
    if not _number(low) or not _number(high):
        problems.append(f"{where}: space.{key}: a range needs numbers low and high, e.g. {{low: 1.0e-4, high: 3.0e-3}}")
        return None
    if low > high:
        problems.append(f"{where}: space.{key}: low {low:g} exceeds high {high:g}; swap them")
        return None
    if not isinstance(log, bool):
        problems.append(f"{where}: space.{key}: log must be true or false")
        return None
    if log and low <= 0:
        problems.append(f"{where}: space.{key}: a log range needs low above 0 (got {low:g})")
        return None
    if step is not None and (not _number(step) or step <= 0):
        problems.append(f"{where}: space.{key}: step must be a number above 0")
        return None
    if log and step is not None:
        problems.append(f"{where}: space.{key}: give either log: true or a step, not both "
                        f"(Optuna samples one or the other)")
        return None
    kind = _field_kind(key)
    integer = kind is int or (isinstance(kind, tuple) and int in kind and float not in kind)
    if integer and not (float(low).is_integer() and float(high).is_integer()):
        problems.append(f"{where}: space.{key}: is a whole number; give whole-number low and high")
        return None
    return Range(low, high, log, step, integer)


def _path_kind(key: str) -> str | None:
    if key == "method":
        return None
    section, name = key.split(".", 1)
    return next(f.metadata.get("path") for f in field_specs(section) if f.name == name)


def _rejected(cfg_path: Path, overrides: list[str], key: str, value: Any) -> list[str]:
    """What the config's own validation says about ``key`` set to ``value`` (nothing: accepted);
    a data file in the space must also exist."""
    try:
        cfg, _ = load_config(cfg_path, overrides + [f"{key}={flow(value)}"])
    except UserError as exc:
        return exc.lines
    files = _path_kind(key) == "file"
    return [p.message for p in cfg.validate(check_files=files) if p.field == key and p.severity == "error"]


def load_sweep(path: str | Path, overrides: list[str] | None = None, trials: int | None = None) -> Sweep:
    """Read and judge a sweep file; raise ``UserError`` with every problem, one per line."""
    source = Path(path)
    if not source.is_file():
        raise UserError(f"sweep file '{source}' does not exist; see docs/experiments.md for its layout")
    try:
        raw = yaml_load(source.read_text(encoding="utf-8"), str(source))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else str(source)
        raise UserError(f"{where}: YAML syntax error: {getattr(exc, 'problem', None) or exc}; fix the file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read sweep file '{source}': {exc}") from None
    if not isinstance(raw, dict):
        raise UserError(f"{source}: a sweep file is a mapping with config, space, sampler, trials, metric")
    where = str(source)
    overrides, notes = _trial_overrides(list(overrides or []), source)
    problems: list[str] = []
    for key in raw:
        if key not in KEYS:
            problems.append(f"{where}: unknown key '{key}'; a sweep file has {', '.join(KEYS)}")
    if not raw.get("config"):
        raise UserError(*problems, f"{where}: config: missing; name the base run's YAML, "
                                   f"e.g. config: configs/demo.yaml")
    config_path = (source.parent / str(raw["config"])).expanduser()
    base, _ = load_config(config_path, overrides)  # a missing or broken base config stops here
    base_errors = [p for p in base.validate(check_files=False) if p.severity == "error"]
    problems += [f"{config_path}: {p}" for p in base_errors]

    sampler = raw.get("sampler", "tpe")
    if sampler not in SAMPLERS:
        problems.append(f"{where}: sampler: '{sampler}' is not a sampler; use one of {', '.join(SAMPLERS)}")
    pruner, pruner_args = raw.get("pruner", "median"), {}
    if isinstance(pruner, dict):  # {name: median, n_startup_trials: 5, n_warmup_steps: 0, interval_steps: 1}
        pruner_args = {k: v for k, v in pruner.items() if k != "name"}
        pruner = pruner.get("name", "median")
        bad = [k for k, v in pruner_args.items() if k not in PRUNER_ARGS or not isinstance(v, int) or v < 0]
        if bad:
            problems.append(f"{where}: pruner: {', '.join(map(str, bad))}: the median pruner takes whole numbers "
                            f"{', '.join(PRUNER_ARGS)}")
    if pruner not in PRUNERS:
        problems.append(f"{where}: pruner: '{pruner}' is not a pruner; use one of {', '.join(PRUNERS)}")
    count = trials if trials is not None else raw.get("trials", 10)
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        problems.append(f"{where}: trials: must be a whole number of at least 1, got {count!r}")

    computed = computed_metrics(base)
    metric = metric_name(str(raw.get("metric", "loss")))
    if metric not in computed:
        problems.append(f"{where}: metric: '{metric}' is not computed by {config_path.name}; "
                        + (f"it computes {', '.join(computed)}" if computed else
                           "it has no validation data (set data.val_path and an eval_strategy)"))
    direction = raw.get("direction", "minimize" if metric == "loss" else "maximize")
    if direction not in DIRECTIONS:
        problems.append(f"{where}: direction: '{direction}' must be maximize or minimize")

    space: dict[str, list[Any] | Range] = {}
    body = raw.get("space")
    if not isinstance(body, dict) or not body:
        problems.append(f"{where}: space: give at least one field to vary, e.g. lora.r: [4, 8, 16]")
        body = {}
    for key, values in body.items():
        key = str(key)
        name = canonical_field(key)
        if name == OUTPUT_DIR:
            problems.append(f"{where}: space: '{key}' cannot be varied: each trial trains in its own folder "
                            f"under the sweep's folder (set folder: to move them)")
            continue
        if name is None:
            section = key.split(".")[0]
            hint = (f"section '{section}' has {', '.join(f.name for f in field_specs(section))}"
                    if section in SECTION_CLASSES else
                    f"fields are section.key with sections {', '.join(SECTION_CLASSES)}, or method")
            problems.append(f"{where}: space: '{key}' is not a config field; {hint}")
            continue
        if isinstance(values, list):
            if not values:
                problems.append(f"{where}: space.{key}: the list of values is empty")
                continue
            candidates, entry = values, list(values)
        elif isinstance(values, dict):
            found = _parse_range(where, name, values, problems)
            if found is None:
                continue
            if sampler == "grid":
                problems.append(f"{where}: space.{key}: the grid sampler needs a list of values, not a range")
                continue
            entry = found
            candidates = [int(found.low), int(found.high)] if found.integer else [found.low, found.high]
        else:
            problems.append(f"{where}: space.{key}: give a list of values ([4, 8]) or a range ({{low: 1, high: 8}})")
            continue
        if _path_kind(name) == "file" and isinstance(entry, list):
            # data files in the space are relative to the sweep file, as its config: is
            entry = candidates = [str((source.parent / v).expanduser().resolve()) if isinstance(v, str) and v else v
                                  for v in entry]
        for value in candidates:
            for message in _rejected(config_path, overrides, name, value):
                problems.append(f"{where}: space.{key}: value {flow(value)} is rejected: {message}")
        space[name] = entry
    seeds = raw.get("seeds") or []
    if "seeds" in raw and not _seed_list(seeds):
        problems.append(f"{where}: seeds: give a list of different whole numbers from 0 to {MAX_SEED}, "
                        f"e.g. seeds: [1, 2, 3] (each setting is trained once per seed)")
    elif "seeds" in raw and "training.seed" in space:
        problems.append(f"{where}: seeds: training.seed is also in space; vary it in one place")
    if problems:
        raise UserError(*problems)

    launcher = raw.get("launcher") or []
    if isinstance(launcher, str):
        import shlex

        launcher = shlex.split(launcher)
    if not isinstance(launcher, list) or not all(isinstance(w, str) for w in launcher):
        raise UserError(f"{where}: launcher: give a command such as 'torchrun --nproc_per_node 4'")
    folder = (source.parent / str(raw["folder"])).expanduser() if raw.get("folder") else source.parent / source.stem
    storage = str(raw.get("storage") or f"sqlite:///{(folder / 'sweep.db').resolve()}")
    if storage.startswith("sqlite:///") and not storage.startswith("sqlite:////"):
        # a relative SQLite file means one beside the sweep file, as the config's paths do
        storage = f"sqlite:///{(source.parent / storage[len('sqlite:///'):]).resolve()}"
    return Sweep(source=source, config=config_path, space=space, sampler=sampler, trials=int(count),
                 metric=metric, direction=direction, storage=storage, folder=folder.resolve(), pruner=pruner,
                 pruner_args=pruner_args,
                 study=str(raw.get("study") or source.stem), overrides=overrides, launcher=launcher,
                 notes=[n.format(folder=folder.resolve()) for n in notes], seeds=[int(x) for x in seeds])


OUTPUT_DIR = "training.output_dir"


def _trial_overrides(overrides: list[str], source: Path) -> tuple[list[str], list[str]]:
    """The ``--set`` items that reach every trial, and a note for each one dropped: an output_dir
    would send every trial into the same folder (each trial has its own, ``trial-NNN``)."""
    kept, notes = [], []
    for item in overrides:
        if "=" in item and canonical_field(item.split("=", 1)[0].strip()) == OUTPUT_DIR:
            notes.append(f"--set {item} is not used: each trial trains in its own folder under {{folder}} "
                         f"(trial-000, trial-001, ...); set folder: in {source.name} to put them elsewhere")
            continue
        kept.append(item)
    return kept, notes


def _seed_list(value: Any) -> bool:
    return (isinstance(value, list) and bool(value) and len(set(value)) == len(value)
            and all(isinstance(x, int) and not isinstance(x, bool) and 0 <= x <= MAX_SEED for x in value))
