"""A data file through the base model and adapters: outputs side by side, corpus BLEU-4 each.

With ``training_eval_settings(cfg)`` the run generates exactly as training's BLEU evaluation
does (greedy, ``max_new_tokens = data.max_target_length``, prompts cut at
``data.max_source_length``, batches of ``training.eval_batch_size`` in file order), so the adapter's
BLEU-4 here equals what training reported for it on the same split.
"""

from __future__ import annotations

import csv
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from ..bleu import corpus_bleu
from ..errors import UserError
from .session import BASE_LABEL, EMPTY_PROMPT
from .settings import GenerationSettings

if TYPE_CHECKING:  # pragma: no cover
    from ..config import RunConfig
    from .session import Session

BUSY_BATCH = "a batch run is using the model; cancel it or wait for it to finish"


@dataclass
class BatchRow:
    line: int  # the record's line in the file
    prompt: str
    reference: str
    outputs: dict[str, str] = field(default_factory=dict)  # label ("base" or adapter name) -> text
    truncated: bool = False


@dataclass
class BatchResult:
    path: Path
    labels: list[str]
    rows: list[BatchRow]
    bleu: dict[str, float]  # label -> corpus BLEU-4 (0-100) over the rows done
    seconds: float = 0.0
    cancelled: bool = False

    @property
    def done(self) -> list[BatchRow]:
        """Rows that went through every label (all of them unless cancelled)."""
        return [r for r in self.rows if len(r.outputs) == len(self.labels)]

    @property
    def truncated(self) -> int:
        return sum(r.truncated for r in self.rows)

    def to_csv(self, path: str | os.PathLike) -> Path:
        """Rows as CSV (UTF-8): line, prompt, reference, one column per label, truncated;
        written to a temporary file and renamed into place."""
        path = Path(path)
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            with tmp.open("w", encoding="utf-8", newline="") as fh:
                writer = csv.writer(fh)
                writer.writerow(["line", "prompt", "reference", *self.labels, "truncated"])
                for r in self.done:
                    writer.writerow([r.line, r.prompt, r.reference, *(r.outputs[label] for label in self.labels),
                                     "yes" if r.truncated else ""])
            os.replace(tmp, path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise UserError(f"cannot write '{path}': {exc.strerror or exc}; choose a folder you can "
                            f"write to") from None
        return path


def training_eval_settings(cfg: "RunConfig") -> tuple[GenerationSettings, int]:
    """The settings and batch size of training's BLEU evaluation for ``cfg``."""
    return GenerationSettings(max_new_tokens=cfg.data.max_target_length), cfg.training.eval_batch_size


def run_batch(session: "Session", path: str | os.PathLike, adapters: Sequence[str | None] | None = None,
              settings: GenerationSettings | None = None, limit: int | None = None,
              progress: Callable[[int, int], None] | None = None,
              cancelled: Callable[[], bool] | None = None, *, batch_size: int = 16,
              prompt_field: str = "prompt", caption_field: str = "caption") -> BatchResult:
    """Every record of ``path`` (JSONL, CSV or a JSON list; the first ``limit``) through each of
    ``adapters`` (None: the base model; default: the base and every attached adapter).

    Works batch by batch, each batch through every label before the next, so a cancel
    (``cancelled()`` is polled between batches) leaves rows that all labels have done and BLEU
    scores that compare. ``progress(done, total)`` after each batch. Holds the session's model
    for the whole run (see ``Session``'s thread-safety notes).
    """
    from ..data import read_examples

    start_time = time.perf_counter()
    settings = settings or GenerationSettings()
    problems = settings.validate()
    if problems:
        raise UserError(*problems)
    wanted = [None, *session.adapters] if adapters is None else list(adapters)
    if not wanted:
        raise UserError("nothing to run: choose the base model or an adapter")
    for a in wanted:
        session._known(a)
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise UserError(f"limit must be a positive whole number, got {limit!r}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise UserError(f"batch size must be a positive whole number, got {batch_size!r}")
    path = Path(path)
    examples = read_examples(path, prompt_field, caption_field)[:limit]
    rows = []
    for ex in examples:
        if not ex.prompt.strip():
            raise UserError(f"{path}:{ex.line}: {EMPTY_PROMPT}")
        rows.append(BatchRow(ex.line, ex.prompt, ex.caption, truncated=session.prepare_prompt(ex.prompt).truncated))
    labels = [session.label(a) for a in wanted]
    if len(set(labels)) != len(labels):
        raise UserError(f"each label may run once, got {', '.join(labels)}")
    stopped = False
    with session._lock.hold(BUSY_BATCH):
        for start in range(0, len(rows), batch_size):
            if cancelled is not None and cancelled():
                stopped = True
                break
            chunk = rows[start:start + batch_size]
            for adapter, label in zip(wanted, labels):
                texts = session._generate_unlocked([r.prompt for r in chunk], settings, adapter, batch_size,
                                                   seed_offset=start)
                for row, text in zip(chunk, texts):
                    row.outputs[label] = text
            if progress is not None:
                progress(start + len(chunk), len(rows))
    result = BatchResult(path, labels, rows, {}, cancelled=stopped)
    done = result.done
    result.bleu = {label: corpus_bleu([r.outputs[label] for r in done], [r.reference for r in done])
                   for label in labels} if done else {}
    result.seconds = time.perf_counter() - start_time
    return result


__all__ = ["BASE_LABEL", "BatchResult", "BatchRow", "run_batch", "training_eval_settings"]
