"""A data file through the base model and adapters: captions side by side, COCO metrics each.

Rows sharing an ``image_id`` are one image (its captions are the references; the first row's
prompt is captioned once), as in training's evaluation. With ``training_eval_settings(cfg)`` the
run generates exactly as training's evaluation does (greedy, ``max_new_tokens =
data.max_target_length``, prompts cut at ``data.max_source_length``, batches of
``training.eval_batch_size`` images in file order), so an adapter's scores here equal what
training reported for it on the same split.
"""

from __future__ import annotations

import csv
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from ..errors import UserError
from ..metrics.coco import Scores, score, worst_first
from ..metrics.names import METRICS
from .session import BASE_LABEL, EMPTY_PROMPT
from .settings import GenerationSettings

if TYPE_CHECKING:  # pragma: no cover
    from ..config import RunConfig
    from ..task_state import TaskState
    from .session import Session

BUSY_BATCH = "a batch run is using the model; cancel it or wait for it to finish"


@dataclass
class BatchRow:
    """One image: its prompt, its reference captions and each label's caption."""

    line: int  # the image's first record's line in the file
    prompt: str
    references: list[str]
    outputs: dict[str, str] = field(default_factory=dict)  # label ("base" or adapter name) -> text
    truncated: bool = False
    image_id: Any = None  # the file's image_id, or "line N" for a record without one

    @property
    def reference(self) -> str:
        return " | ".join(self.references)


@dataclass
class BatchResult:
    path: Path
    labels: list[str]
    rows: list[BatchRow]
    scores: dict[str, Scores]  # label -> COCO metrics over the images done (0-1 scale)
    seconds: float = 0.0
    cancelled: bool = False
    engines: dict[str, tuple[str, str]] = field(default_factory=dict)  # label -> (engine, why: one line)

    def engine_lines(self) -> list[str]:
        """One line per label: which engine wrote its captions and why."""
        return [f"engine for {label}: {engine} ({why})" for label, (engine, why) in self.engines.items()]

    @property
    def done(self) -> list[BatchRow]:
        """Rows that went through every label (all of them unless cancelled)."""
        return [r for r in self.rows if len(r.outputs) == len(self.labels)]

    @property
    def truncated(self) -> int:
        return sum(r.truncated for r in self.rows)

    def overall(self, label: str) -> dict[str, float | None]:
        return self.scores[label].overall if label in self.scores else {}

    def per_image(self, label: str, row: BatchRow) -> dict[str, float]:
        """``label``'s scores for one image (empty until scored)."""
        return self.scores[label].per_image.get(row.image_id, {}) if label in self.scores else {}

    def worst_first(self, label: str) -> list[BatchRow]:
        """The images done, ``label``'s worst first (by CIDEr where computed): where it fails."""
        by_id = {r.image_id: r for r in self.done}
        return [by_id[i] for i in worst_first(self.scores[label])] if label in self.scores else self.done

    def to_coco_results(self, path: str | os.PathLike, label: str) -> Path:
        """``label``'s captions in COCO results format (``[{"image_id", "caption"}]``), which
        IGRAG's evaluator and ``igrag score`` read."""
        from ..metrics.files import write_results

        return write_results(path, {r.image_id: r.outputs[label] for r in self.done})

    def to_csv(self, path: str | os.PathLike) -> Path:
        """Rows as CSV (UTF-8): line, image_id, prompt, references (joined by " | "), one column per
        label, truncated; written to a temporary file and renamed into place."""
        path = Path(path)
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            with tmp.open("w", encoding="utf-8", newline="") as fh:
                writer = csv.writer(fh)
                writer.writerow(["line", "image_id", "prompt", "references", *self.labels, "truncated"])
                for r in self.done:
                    writer.writerow([r.line, r.image_id, r.prompt, r.reference, *(r.outputs[label] for label in self.labels),
                                     "yes" if r.truncated else ""])
            os.replace(tmp, path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise UserError(f"cannot write '{path}': {exc.strerror or exc}; choose a folder you can "
                            f"write to") from None
        return path


def training_eval_settings(cfg: "RunConfig") -> tuple[GenerationSettings, int]:
    """The settings and batch size of training's evaluation for ``cfg``."""
    return GenerationSettings(max_new_tokens=cfg.data.max_target_length), cfg.training.eval_batch_size


def run_batch(session: "Session", path: str | os.PathLike, adapters: Sequence[str | None] | None = None,
              settings: GenerationSettings | None = None, limit: int | None = None,
              progress: Callable[[int, int], None] | None = None, *, state: "TaskState | None" = None,
              batch_size: int = 16,
              prompt_field: str = "prompt", caption_field: str = "caption",
              metrics: Sequence[str] = METRICS, java: bool | None = None, engine: str = "transformers",
              quantization: str | None = None, say: Callable[[str], None] | None = None) -> BatchResult:
    """Every image of ``path`` (JSONL, CSV or a JSON list; the first ``limit`` images) through
    each of ``adapters`` (None: the base model; default: the base and every attached adapter),
    scored with ``metrics`` (pycocoevalcap; METEOR and SPICE need Java).

    ``engine`` (``auto``, ``transformers`` or ``ct2``, with ``quantization`` for CTranslate2; see
    ``engines``) picks what writes each label's captions; ``result.engines`` says which did and
    why, and ``say`` gets a line while a model is being converted. Metrics and files are the same
    whatever the engine.

    Works batch by batch, each batch through every label before the next, so a cancel
    (``state.cancelled()`` is read between batches) leaves images that all labels have done and
    scores that compare. After each batch: ``progress(done, total)`` and ``state``'s progress and
    status. Holds the session's model for the whole run (``session.exclusive``).
    """
    from ..data import read_examples
    from ..metrics.grouping import group_by_image

    start_time = time.perf_counter()
    settings = settings or GenerationSettings()
    problems = settings.validate()
    if problems:
        raise UserError(*problems)
    wanted = [None, *session.adapters] if adapters is None else list(adapters)
    if not wanted:
        raise UserError("nothing to run: choose the base model or an adapter")
    for a in wanted:
        session.check_adapter(a)
    from .engines import check_request, images_per_step, prepare

    check_request(engine, quantization)
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise UserError(f"limit must be a positive whole number, got {limit!r}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise UserError(f"batch size must be a positive whole number, got {batch_size!r}")
    path = Path(path)
    examples = read_examples(path, prompt_field, caption_field)
    rows = []
    for group in group_by_image(examples)[:limit]:
        if not group.prompt.strip():
            raise UserError(f"{path}:{group.lines[0]}: {EMPTY_PROMPT}")
        rows.append(BatchRow(group.lines[0], group.prompt, group.references, image_id=group.key,
                             truncated=session.prepare_prompt(group.prompt).truncated))
    labels = [session.label(a) for a in wanted]
    if len(set(labels)) != len(labels):
        raise UserError(f"each label may run once, got {', '.join(labels)}")
    stopped = False
    with session.exclusive(BUSY_BATCH) as use:
        if state is not None and engine != "transformers":
            state.set_status("preparing the caption engine…")
        runners = prepare(session, use, wanted, settings, engine, quantization, say)
        start = 0
        while start < len(rows):
            if state is not None and state.cancelled():
                stopped = True
                break
            chunk = rows[start:start + images_per_step(runners, batch_size)]
            for runner, label in zip(runners, labels):
                texts = runner.generate(use, [r.prompt for r in chunk], settings, batch_size, start)
                for row, text in zip(chunk, texts):
                    row.outputs[label] = text
            done = start = start + len(chunk)
            if progress is not None:
                progress(done, len(rows))
            if state is not None:
                state.set_progress(done / len(rows))
                state.set_status(f"{done:,} of {len(rows):,} images through {len(labels)} model(s)…")
    result = BatchResult(path, labels, rows, {}, cancelled=stopped,
                         engines={label: (r.engine, r.reason) for label, r in zip(labels, runners)})
    done = result.done
    references = {r.image_id: r.references for r in done}
    result.scores = {label: score({r.image_id: r.outputs[label] for r in done}, references, metrics, java)
                     for label in labels} if done else {}
    result.seconds = time.perf_counter() - start_time
    return result


__all__ = ["BASE_LABEL", "BatchResult", "BatchRow", "run_batch", "training_eval_settings"]
