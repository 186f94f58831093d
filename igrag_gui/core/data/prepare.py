"""Training data at any size: streamed, tokenized in batches into a memory-mapped Arrow file,
cached, with progress from the first second and a stop that works at every batch.

Memory stays bounded by one batch of rows whatever the file's size: rows are read a line at a
time, tokenized ``BATCH`` at a time and appended to an Arrow stream on disk; training reads that
file memory-mapped through Hugging Face ``datasets``. The entry is kept in the cache
(``cache.py``) under a key of the file's bytes, the tokenizer and the limits, so the next run or
sweep trial on the same data opens it at once. Under torchrun, rank 0 prepares and the other
ranks wait for its entry (or its error) instead of tokenizing the same file again.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import UserError
from ..task_state import TaskState
from .progress import PrepareProgress
from .cache import cache_key, cache_root, file_digest, unwritable_reason
from .cache_admin import human, mark_used, size_limit, trim
from .records import iter_examples, estimate_rows
from .tokenize import tokenize_batch, truncation_warnings

BATCH = 2000
REPORT_EVERY = 0.25  # seconds between progress events
DATA_FILE, META_FILE, ERROR_SUFFIX = "data.arrow", "meta.json", ".error"


@dataclass
class PreparedData:
    """A tokenized data file, memory-mapped: ``dataset`` holds input_ids and labels per row,
    ``lengths()`` the untruncated token lengths (for histograms)."""

    dataset: Any
    count: int
    truncated_prompts: int
    truncated_captions: int
    source: Path
    folder: Path
    from_cache: bool
    warnings: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return self.count

    def lengths(self) -> tuple[Any, Any]:
        """(prompt lengths, caption lengths) as numpy arrays, read from the Arrow file."""
        table = self.dataset.data
        return (table.column("prompt_length").to_numpy(), table.column("caption_length").to_numpy())


@dataclass
class _Reporter:
    state: TaskState
    name: str
    start: float = field(default_factory=time.monotonic)
    last: float = 0.0

    def __call__(self, phase: str, done: int = 0, total: int = 0, force: bool = False,
                 rate: float | None = None) -> None:
        now = time.monotonic()
        self.state.raise_if_cancelled()
        if not self.state.watched or (not force and now - self.last < REPORT_EVERY):
            return
        self.last = now
        self.state.report(PrepareProgress(file=self.name, phase=phase, done=done, total=total,
                              rate=None if rate is None else round(rate, 1), elapsed=round(now - self.start, 3)))


def prepare_data(path: Path, tokenizer: Any, kind: str, max_source: int, max_target: int,
                 prompt_field: str = "prompt", caption_field: str = "caption", state: TaskState | None = None,
                 rank: int = 0, world_size: int = 1,
                 root: Path | None = None, build: bool = True) -> PreparedData | None:
    """The prepared form of ``path``: from the cache when its key matches, else built (and cached).

    ``build=False`` only looks (the Data page's counts): it returns None when there is no entry.
    ``state`` hears each step (``PrepareProgress``) and carries the stop request. Raises
    ``UserError`` for bad data (naming the line) and ``task_state.Cancelled`` on a stop.
    """
    path = Path(path)
    state = state or TaskState()
    tell = _Reporter(state, path.name)
    tell("reading", 0, 0, force=True)
    try:
        size = path.stat().st_size
    except OSError:
        estimate_rows(path)  # raises the one-line error (missing file, folder, unreadable)
        raise
    digest = file_digest(path, lambda done, total: tell("reading", done, total), state)
    key = cache_key(digest, tokenizer, kind, prompt_field, caption_field, max_source, max_target)
    root = Path(root) if root is not None else cache_root()
    entry = root / key
    damaged = None
    if (entry / META_FILE).is_file():
        data, damaged = _open_cached(entry, path)
        if data is not None:
            mark_used(entry)
            tell("cached", data.count, data.count, force=True)
            return data
    if not build:
        return None
    limit = size_limit()  # a bad IGRAG_DATA_CACHE_MAX is refused before the work, not after
    warnings: list[str] = []
    if damaged:
        warnings.append(f"the prepared copy of {path.name} in the data cache was damaged ({damaged}); "
                        f"prepared it again")
    problem = unwritable_reason(root)
    if problem is not None:
        warnings.append(f"the data cache folder '{root}' cannot be written ({problem}); preparing "
                        f"{path.name} without a cache, so the next run prepares it again (set "
                        f"IGRAG_DATA_CACHE to a folder you can write to)")
        entry = Path(tempfile.mkdtemp(prefix="igrag-data-")) / key
        atexit.register(shutil.rmtree, entry.parent, True)
    elif rank != 0 and world_size > 1:
        return _wait_for_rank0(entry, path, tell, size, rank)
    try:
        _build(entry, path, tokenizer, kind, max_source, max_target, prompt_field, caption_field, tell, size)
    except UserError as exc:
        if world_size > 1 and problem is None:
            _write_error(entry, str(exc))
        raise
    data = _open_entry(entry, path, from_cache=False)
    tell("done", data.count, data.count, force=True)
    if problem is None:
        trimmed = trim(root, limit, keep=entry)
        if trimmed.removed:
            freed = sum(e.bytes for e in trimmed.removed)
            warnings.append(f"the data cache was over its {human(limit)} limit: removed {len(trimmed.removed)} "
                            f"prepared file(s) used least recently ({human(freed)}); IGRAG_DATA_CACHE_MAX sets "
                            f"the limit, igrag data cache lists what it holds")
    data.warnings = warnings + data.warnings
    return data


def _build(entry: Path, path: Path, tokenizer: Any, kind: str, max_source: int, max_target: int,
           prompt_field: str, caption_field: str, tell: _Reporter, size: int) -> None:
    """Stream rows into ``entry`` (written in a staging folder, renamed into place when whole)."""
    import pyarrow as pa

    total = estimate_rows(path)
    schema = pa.schema([("input_ids", pa.list_(pa.int32())), ("labels", pa.list_(pa.int32())),
                        ("prompt_length", pa.int32()), ("caption_length", pa.int32())])
    staging = entry.parent / f"{entry.name}.tmp-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    count = truncated_p = truncated_c = 0
    start = time.monotonic()
    tell("tokenizing", 0, total, force=True)
    try:
        with pa.OSFile(str(staging / DATA_FILE), "wb") as sink, pa.ipc.new_stream(sink, schema) as writer:
            prompts: list[str] = []
            captions: list[str] = []

            def flush() -> None:
                nonlocal count, truncated_p, truncated_c
                b = tokenize_batch(prompts, captions, tokenizer, kind, max_source, max_target)
                writer.write_batch(pa.record_batch([b.input_ids, b.labels, b.prompt_lengths, b.caption_lengths],
                                                   schema=schema))
                count += len(prompts)
                truncated_p += sum(n > max_source for n in b.prompt_lengths)
                truncated_c += sum(n > max_target for n in b.caption_lengths)
                prompts.clear()
                captions.clear()
                elapsed = time.monotonic() - start
                tell("tokenizing", count, max(total, count), rate=count / elapsed if elapsed > 0 else None)

            for example in iter_examples(path, prompt_field, caption_field):
                prompts.append(example.prompt)
                captions.append(example.caption)
                if len(prompts) >= BATCH:
                    flush()
            if prompts:
                flush()
        meta = {"source": str(path), "rows": count, "data_bytes": (staging / DATA_FILE).stat().st_size,
                "truncated_prompts": truncated_p,
                "truncated_captions": truncated_c, "max_source": max_source, "max_target": max_target,
                "seconds": round(time.monotonic() - start, 3), "bytes": size}
        (staging / META_FILE).write_text(json.dumps(meta), encoding="utf-8")
        try:
            os.replace(staging, entry)
        except OSError:  # another process put the same entry in place first: theirs is as good
            if not (entry / META_FILE).is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _open_cached(entry: Path, source: Path) -> tuple[PreparedData | None, str | None]:
    """A cached entry, checked against what its meta file recorded when it was whole (row count,
    data file size); a damaged one (a disk error, a file cut short or edited by hand) is removed,
    with the reason, so that it is prepared again rather than trained on. The cache is ours alone:
    removing an entry loses nothing that cannot be rebuilt."""
    try:
        data = _open_entry(entry, source, from_cache=True)
        meta = json.loads((entry / META_FILE).read_text(encoding="utf-8"))
        recorded = meta.get("data_bytes")
        actual = (entry / DATA_FILE).stat().st_size
        if recorded is not None and int(recorded) != actual:
            raise ValueError(f"{DATA_FILE} is {actual:,} bytes, {int(recorded):,} when written")
        if len(data.dataset) != data.count:
            raise ValueError(f"{len(data.dataset):,} rows, {data.count:,} when written")
        return data, None
    except Exception as exc:  # noqa: BLE001 - anything unreadable in our own cache means: rebuild it
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        shutil.rmtree(entry, ignore_errors=True)
        return None, reason[:200]


def _open_entry(entry: Path, source: Path, from_cache: bool) -> PreparedData:
    from datasets import Dataset

    meta = json.loads((entry / META_FILE).read_text(encoding="utf-8"))
    dataset = Dataset.from_file(str(entry / DATA_FILE))  # memory-mapped, nothing read yet
    rows, cut_p, cut_c = int(meta["rows"]), int(meta["truncated_prompts"]), int(meta["truncated_captions"])
    return PreparedData(dataset, rows, cut_p, cut_c, source, entry, from_cache,
                        truncation_warnings(source.name, rows, cut_p, cut_c, meta["max_source"], meta["max_target"]))


def training_columns(data: PreparedData) -> Any:
    """The dataset the Trainer reads: token ids only (the length columns stay for statistics)."""
    return data.dataset.select_columns(["input_ids", "labels"])


def _write_error(entry: Path, message: str) -> None:
    try:
        entry.parent.joinpath(entry.name + ERROR_SUFFIX).write_text(message, encoding="utf-8")
    except OSError:
        pass


def _wait_for_rank0(entry: Path, path: Path, tell: _Reporter, size: int, rank: int = 1) -> PreparedData:
    """Ranks other than 0 wait for rank 0's entry, or raise the error it met. The wait lasts while
    rank 0 shows signs of life (its staging file grows) and ends after ``IGRAG_RANK_WAIT_S``
    seconds of silence with one line naming rank 0 (``ranks.no_answer``): never forever."""
    from ..ranks import no_answer, wait_limit

    limit = wait_limit()
    error = entry.parent / (entry.name + ERROR_SUFFIX)
    last_sign, seen = time.monotonic(), None
    while True:
        if (entry / META_FILE).is_file():
            return _open_entry(entry, path, from_cache=False)
        if error.is_file():  # the same key means the same bytes, so the same error
            raise UserError(error.read_text(encoding="utf-8"))
        sign = _rank0_progress(entry)
        if sign != seen:
            last_sign, seen = time.monotonic(), sign
        elif time.monotonic() - last_sign > limit:
            raise no_answer(rank, 0, limit, f"prepare {path.name} (in the data cache '{entry.parent}')")
        tell("waiting", 0, size)
        time.sleep(min(0.1, limit / 4))


def _rank0_progress(entry: Path) -> tuple | None:
    """What rank 0's preparation looks like now (its staging files and their sizes), or None."""
    found = []
    for staging in entry.parent.glob(f"{entry.name}.tmp-*"):
        try:
            found.append((staging.name, (staging / DATA_FILE).stat().st_size))
        except OSError:
            found.append((staging.name, -1))
    return tuple(sorted(found)) or None
