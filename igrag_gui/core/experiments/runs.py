"""One training run as read back from its folder: ``run.yaml``, ``metrics.jsonl`` and a label.

A run folder is any folder holding ``metrics.jsonl`` (the engine writes it there, with
``run.yaml`` beside it). Metrics are read generically from every numeric ``eval_*`` key of the
evaluation events, so runs from newer engines (CIDEr, METEOR, ...) and older ones (``eval_bleu``)
read alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml

from ..files.bounded import json_loads, yaml_load
from ..errors import UserError

LABEL_FILE = "label.txt"
METRICS_FILE = "metrics.jsonl"
# old engines wrote BLEU-4 as eval_bleu
METRIC_ALIASES = {"bleu": "bleu4"}
LOWER_IS_BETTER = {"loss"}


def metric_name(key: str) -> str:
    """``eval_bleu4`` -> ``bleu4``; ``eval_bleu`` (old runs) -> ``bleu4``; ``eval_loss`` -> ``loss``."""
    name = key[len("eval_"):] if key.startswith("eval_") else key
    return METRIC_ALIASES.get(name, name)


def better(metric: str, a: float, b: float) -> bool:
    """Whether ``a`` beats ``b`` for ``metric`` (loss: lower; every caption metric: higher)."""
    return a < b if metric in LOWER_IS_BETTER else a > b


@dataclass
class Point:
    step: int
    epoch: float
    examples: int
    value: float


@dataclass
class Run:
    """What a run folder says about itself."""

    path: Path
    config: dict[str, Any] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    label: str = ""

    @property
    def name(self) -> str:
        return self.label or self.path.name

    def _first(self, kind: str) -> dict[str, Any] | None:
        return next((e for e in self.events if e.get("event") == kind), None)

    def _last(self, kinds: Iterable[str]) -> dict[str, Any] | None:
        kinds = set(kinds)
        return next((e for e in reversed(self.events) if e.get("event") in kinds), None)

    @property
    def effective_batch(self) -> int:
        started = self._first("started") or {}
        return int(started.get("effective_batch_size") or 1)

    @property
    def method(self) -> str:
        return str(self.config.get("method") or "lora")

    @property
    def seed(self) -> int | None:
        """The run's ``training.seed``: from its started event, else its ``run.yaml``."""
        started = self._first("started") or {}
        value = started.get("seed", (self.config.get("training") or {}).get("seed"))
        return int(value) if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def trainable(self) -> int | None:
        started = self._first("started")
        return int(started["trainable"]) if started and "trainable" in started else None

    @property
    def status(self) -> str:
        """``finished``, ``stopped``, ``failed``, or ``incomplete`` (still running, or killed)."""
        closing = self._last(("finished", "failed"))
        if closing is None:
            return "incomplete"
        if closing["event"] == "failed":
            return "failed"
        return "stopped" if closing.get("stopped") else "finished"

    @property
    def steps(self) -> int:
        return max((int(e["step"]) for e in self.events if isinstance(e.get("step"), (int, float))), default=0)

    @property
    def seconds(self) -> float | None:
        closing = self._last(("finished",))
        if closing and closing.get("seconds"):
            return float(closing["seconds"])
        last = self._last(("log",))
        return float(last["elapsed"]) if last and last.get("elapsed") is not None else None

    @property
    def samples_per_second(self) -> float | None:
        closing = self._last(("finished",))
        if closing and closing.get("train_samples_per_second"):
            return float(closing["train_samples_per_second"])
        last = self._last(("log",))
        return float(last["samples_per_second"]) if last and last.get("samples_per_second") else None

    def _point(self, e: dict[str, Any], value: float) -> Point:
        step = int(e.get("step") or 0)
        return Point(step, float(e.get("epoch") or 0.0), step * self.effective_batch, value)

    def series(self) -> dict[str, list[Point]]:
        """Every curve: ``train_loss``, ``learning_rate``, and each validation metric by name. A
        resumed run continues from its checkpoint's step: what the stopped attempt logged after
        that step is replaced by what the resumed one logs (as ``RunHistory`` draws it live)."""
        out: dict[str, list[Point]] = {}
        for e in self.events:
            kind = e.get("event")
            if kind == "started" and _number(e.get("start_step")):
                cut = int(e["start_step"])
                for name, points in out.items():
                    out[name] = [p for p in points if p.step <= cut]
            elif kind == "log":
                for key, name in (("loss", "train_loss"), ("learning_rate", "learning_rate")):
                    if _number(e.get(key)) is not None:
                        out.setdefault(name, []).append(self._point(e, float(e[key])))
            elif kind == "eval":
                for key, value in e.items():
                    if key.startswith("eval_") and _number(value) is not None:
                        out.setdefault(metric_name(key), []).append(self._point(e, float(value)))
        return out

    def metrics(self) -> dict[str, dict[str, float]]:
        """``{metric: {"best": ..., "last": ...}}`` over the validation evaluations."""
        result: dict[str, dict[str, float]] = {}
        for name, points in self.series().items():
            if name in ("train_loss", "learning_rate"):
                continue
            values = [p.value for p in points if not math.isnan(p.value)]
            if not values:
                continue
            best = min(values) if name in LOWER_IS_BETTER else max(values)
            result[name] = {"best": best, "last": values[-1]}
        return result

    def summary(self) -> dict[str, Any]:
        """The results-table row (JSON-ready)."""
        return {"run": str(self.path), "name": self.name, "method": self.method, "trainable": self.trainable,
                "seed": self.seed, "steps": self.steps, "seconds": self.seconds, "samples_per_second": self.samples_per_second,
                "status": self.status, "metrics": self.metrics()}


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def is_run(folder: Path) -> bool:
    return (folder / METRICS_FILE).is_file()


def load_run(folder: str | Path) -> Run:
    """Read one run folder; lines cut short by a kill are skipped."""
    path = Path(folder).expanduser()
    if not path.is_dir():
        raise UserError(f"run folder '{path}' does not exist; give a folder holding metrics.jsonl "
                        f"(list them with 'igrag runs FOLDER')")
    if not is_run(path):
        raise UserError(f"'{path}' is not a run folder (it has no metrics.jsonl); give the output_dir "
                        f"of a training run")
    events = []
    for line in (path / METRICS_FILE).read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            item = json_loads(line)
        except ValueError:
            continue
        if isinstance(item, dict):
            events.append(item)
    config: dict[str, Any] = {}
    if (path / "run.yaml").is_file():
        try:
            loaded = yaml_load((path / "run.yaml").read_text(encoding="utf-8"), str(path / "run.yaml"))
            config = loaded if isinstance(loaded, dict) else {}
        except (yaml.YAMLError, UnicodeDecodeError, UserError):
            config = {}
    label_file = path / LABEL_FILE
    label = label_file.read_text(encoding="utf-8").strip() if label_file.is_file() else ""
    return Run(path.resolve(), config, events, label)


def find_runs(folders: Iterable[str | Path], depth: int = 2) -> list[Path]:
    """Run folders among ``folders`` and below them (``depth`` levels: a sweep's trials are one
    level under its folder), newest first, each once."""
    found: set[Path] = set()

    def visit(folder: Path, left: int) -> None:
        if is_run(folder):
            found.add(folder.resolve())
        if left <= 0:
            return
        try:
            children = [c for c in folder.iterdir() if c.is_dir() and not c.name.startswith((".", "checkpoint-"))]
        except OSError:
            return
        for child in children:
            visit(child, left - 1)

    for folder in folders:
        folder = Path(folder).expanduser()
        if folder.is_dir():
            visit(folder, depth)
    return sorted(found, key=lambda p: (p / METRICS_FILE).stat().st_mtime, reverse=True)


def config_run_folders(cfg: Any) -> list[Path]:
    """Where a config's runs live: its ``output_dir`` and the folder beside it (its neighbours)."""
    return [cfg.output_path, cfg.output_path.parent]


def config_runs(cfg: Any) -> list[Path]:
    """Run folders at a config's ``output_dir`` and beside it, newest first."""
    return find_runs(config_run_folders(cfg), depth=1)


def set_label(folder: str | Path, label: str) -> None:
    """Rename a run for display: the label is kept in the run folder (empty removes it)."""
    path = Path(folder) / LABEL_FILE
    label = " ".join(label.split())
    if label:
        path.write_text(label + "\n", encoding="utf-8")
    else:
        path.unlink(missing_ok=True)


def delete_run(folder: str | Path) -> None:
    """Send a run folder to the system's trash (recoverable); refuse anything that is not a run."""
    path = Path(folder)
    if not is_run(path):
        raise UserError(f"'{path}' is not a run folder (no metrics.jsonl); nothing was deleted")
    from send2trash import send2trash
    from send2trash.exceptions import TrashPermissionError

    try:
        send2trash(str(path))
    except (TrashPermissionError, OSError) as exc:
        raise UserError(f"cannot move '{path}' to the trash ({exc}); delete it by hand if you are sure") from None
