"""Will it fit, and how long will it take? A short probe run on the real model, extrapolated.

The probe is the engine itself (``training.prepare``: the same model, PEFT wrap, collator, Trainer
and callbacks as ``igrag train``), run for a few optimizer steps in a temporary folder, so the
user's output_dir is never written. The first step is the worst batch the data can make (its
longest prompts and captions together: padding makes a batch as long as its longest example), so
its memory is the run's training peak; the next steps are drawn at random, as the run draws them,
and give the time per step: their mean (the run's total is a sum), over at least 4 steps and until
the timed steps add up to 5 s (at most 30: a short step is noisy). With
validation data, one evaluation batch of the longest examples (loss, then one batch of captions
generated) gives the evaluation's peak and time.

Memory is the process's own: on CUDA ``torch.cuda.max_memory_allocated`` (what the run's tensors
need at most), on the CPU the peak resident set (``ru_maxrss``). ``ru_maxrss`` never goes down, so
the probe must run in a fresh process, as ``igrag estimate`` does (the window runs that command).

The verdict compares the peak with what the device has (the GPU's total memory; on the CPU the
memory available when the probe started): ``fits`` under 85 %, ``tight`` up to 100 %, ``exceeds``
above. What would make it fit is extrapolated from the split the probe measures: memory held before
the first step (weights, data) stays, the rest (activations, gradients, optimizer) scales with the
batch's tokens.
"""

from __future__ import annotations

import math
import resource
import statistics
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from ..config import RunConfig
from ..errors import UserError
from ..task_state import TaskState

TIGHT, FITS = 1.0, 0.85  # share of the device's memory: above TIGHT exceeds, above FITS tight
# random steps timed after the worst batch and one warm-up step: at least MIN, then until they add up
# to TIMED_SECONDS, at most MAX
MIN_TIMED_STEPS, MAX_TIMED_STEPS, TIMED_SECONDS = 4, 30, 5.0
CHECKPOINTING_SHARE = 0.4  # activations kept with gradient checkpointing (a rough, usual figure)


@dataclass
class Suggestion:
    settings: dict[str, Any]  # the --set keys and values
    peak_mb: float  # the peak memory they are predicted to need
    note: str = ""


@dataclass
class Estimate:
    device: str  # "cuda" or "cpu": where the run would train
    device_name: str
    memory_kind: str  # what peak_mb measures
    peak_mb: float  # the run's predicted peak on the device (cuda: tensors; cpu: resident set)
    host_peak_mb: float  # the process's peak resident memory (on the CPU the same as peak_mb)
    train_peak_mb: float  # after the training steps
    eval_peak_mb: float | None  # after the evaluation probe (on the CPU the process's peak so far); None: no eval
    fixed_mb: float  # held before the first step: weights, data, the process itself
    budget_mb: float  # what the device has
    verdict: str  # fits, tight, exceeds
    seconds_per_step: float
    steps: int
    epochs: float
    examples: int
    effective_batch_size: int
    evaluations: int
    seconds_per_evaluation: float | None
    setup_seconds: float
    total_seconds: float
    probe_steps: int
    worst_batch: dict[str, int]  # the probe's longest batch: examples, source and target tokens
    suggestions: list[Suggestion] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Estimate":
        """What ``igrag estimate --json`` printed, as an ``Estimate`` again (the window reads the child's)."""
        return cls(**{**data, "suggestions": [Suggestion(**s) for s in data.get("suggestions", [])]})


def _rss_peak_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


def _rss_now_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def _verdict(peak: float, budget: float) -> str:
    share = peak / budget if budget > 0 else math.inf
    return "fits" if share <= FITS else "tight" if share <= TIGHT else "exceeds"


def _lengths(dataset: Any) -> tuple[list[int], list[int]]:
    import pyarrow.compute as pc

    if hasattr(dataset, "features") and isinstance(dataset.features, list):  # validation: lists in memory
        return [len(f["input_ids"]) for f in dataset.features], [len(f["labels"]) for f in dataset.features]
    table = dataset.data.table if hasattr(dataset.data, "table") else dataset.data
    return ([int(n) for n in pc.list_value_length(table.column("input_ids")).to_pylist()],
            [int(n) for n in pc.list_value_length(table.column("labels")).to_pylist()])


def worst_batch(sources: list[int], targets: list[int], size: int) -> list[int]:
    """Indices of the batch padding makes longest: the longest prompt's and the longest caption's
    examples together, then the longest others (by prompt + caption)."""
    order = sorted(range(len(sources)), key=lambda i: (sources[i] + targets[i], i), reverse=True)
    first = [max(range(len(sources)), key=lambda i: sources[i]), max(range(len(targets)), key=lambda i: targets[i])]
    picked = list(dict.fromkeys(first + order))
    return picked[:size]


def _evaluations(cfg: RunConfig, steps: int, epochs: float, has_val: bool) -> int:
    t = cfg.training
    if not has_val or t.eval_strategy == "no":
        return 0
    if t.eval_strategy == "steps":
        return steps // t.eval_steps
    return max(1, math.ceil(epochs))


def _step_clock(cuda: bool, task: TaskState | None) -> Any:
    """A TrainerCallback that times each optimizer step (begin to end, as the benchmark times the
    run's) and notes the memory held when training begins; a cancelled ``task`` stops the probe."""
    import torch
    from transformers import TrainerCallback

    class StepClock(TrainerCallback):
        def __init__(self) -> None:
            self.times: list[float] = []
            self.fixed_mb = 0.0
            self._start = 0.0

        def on_train_begin(self, args, state, control, **kw):
            self.fixed_mb = (torch.cuda.memory_allocated() / 2**20) if cuda else _rss_now_mb()

        def on_step_begin(self, args, state, control, **kw):
            self._start = time.perf_counter()

        def on_step_end(self, args, state, control, **kw):
            if cuda:
                torch.cuda.synchronize()
            self.times.append(time.perf_counter() - self._start)
            timed = self.times[2:]
            if len(timed) >= MIN_TIMED_STEPS and sum(timed) >= TIMED_SECONDS:
                control.should_training_stop = True  # enough to time: the probe ends here
            if task is not None:
                task.set_progress(0.2 + 0.6 * min(1.0, len(timed) / MIN_TIMED_STEPS,
                                                  sum(timed) / TIMED_SECONDS))
                if task.cancelled():
                    control.should_training_stop = True

    return StepClock()


def _probe_config(cfg: RunConfig, folder: str, steps: int) -> RunConfig:
    probe = cfg.copy()
    probe.training.output_dir = folder
    probe.training.max_steps = steps
    if probe.training.eval_strategy != "no":  # validation data loaded, never evaluated during the probe
        probe.training.eval_strategy, probe.training.eval_steps = "steps", 1_000_000_000
    probe.training.save_strategy = "no"
    probe.training.logging_steps = 1_000_000
    probe.training.early_stopping_patience = None
    if hasattr(probe.training, "report_to"):
        probe.training.report_to = "none"
    return probe


def estimate(cfg: RunConfig, state: TaskState | None = None) -> Estimate:
    """Probe ``cfg`` on this machine and predict the whole run (see the module's docstring)."""
    import psutil

    errors = cfg.errors()
    if errors:
        raise UserError(*(str(p) for p in errors))
    budget_host = psutil.virtual_memory().available / 2**20  # before anything loads
    started = time.perf_counter()
    folder = tempfile.mkdtemp(prefix="igrag-estimate-")
    try:
        return _estimate(cfg, state, folder, budget_host, started)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _estimate(cfg: RunConfig, state: TaskState | None, folder: str, budget_host: float, started: float) -> Estimate:
    import torch

    from .events import Message
    from .train import prepare

    def status(text: str, progress: float) -> None:
        if state is not None:
            state.raise_if_cancelled()
            state.set_status(text)
            state.set_progress(progress)

    cuda = torch.cuda.is_available()
    t = cfg.training
    micro = t.train_batch_size
    per_step = micro * t.gradient_accumulation_steps
    probe_steps = 2 + MAX_TIMED_STEPS  # at most: the clock ends the probe sooner
    notes: list[str] = []
    status("Loading the model and data…", 0.05)
    run = prepare(_probe_config(cfg, folder, probe_steps),
                  lambda e: notes.append(e.text) if isinstance(e, Message) else None)
    trainer = run.trainer
    data = trainer.train_dataset
    sources, targets = _lengths(data)
    examples = len(sources)
    worst = worst_batch(sources, targets, micro)
    import random

    rng = random.Random(t.seed)
    drawn = [rng.randrange(examples) for _ in range((probe_steps - 1) * per_step)]
    # the worst micro-batch fills the whole first step (each of its accumulated passes)
    trainer.train_dataset = data.select(worst * t.gradient_accumulation_steps + drawn)
    trainer.args.train_sampling_strategy = "sequential"
    clock = _step_clock(cuda, state)
    trainer.add_callback(clock)
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    setup_seconds = time.perf_counter() - started
    status("Probing the first steps…", 0.2)
    trainer.train()
    if state is not None:
        state.raise_if_cancelled()
    train_peak = (torch.cuda.max_memory_allocated() / 2**20) if cuda else _rss_peak_mb()
    timed = clock.times[2:] or clock.times[1:] or clock.times
    seconds_per_step = statistics.fmean(timed)

    eval_peak, eval_seconds, val_n = None, None, 0
    full = cfg.training.eval_strategy != "no" and cfg.val_file is not None
    if full:
        status("Probing one evaluation batch…", 0.85)
        eval_peak, eval_seconds, val_n = _probe_evaluation(cfg, trainer, cuda)
    host_peak = _rss_peak_mb()
    peak = max(train_peak, eval_peak or 0.0) if cuda else host_peak

    from .callbacks import world

    size = world()[1]
    total_steps = t.max_steps if t.max_steps and t.max_steps > 0 else math.ceil(
        math.ceil(examples / (micro * size) / t.gradient_accumulation_steps) * float(t.num_train_epochs))
    per_epoch = max(1, math.ceil(examples / (micro * size) / t.gradient_accumulation_steps))
    epochs = total_steps / per_epoch
    evaluations = _evaluations(cfg, total_steps, epochs, val_n > 0)
    total = setup_seconds + total_steps * seconds_per_step + evaluations * (eval_seconds or 0.0)
    if cuda:
        budget = torch.cuda.mem_get_info()[1] / 2**20
        name, kind = torch.cuda.get_device_name(), "CUDA tensors at most (torch.cuda.max_memory_allocated)"
    else:
        budget, name, kind = budget_host, "CPU", "the process's peak resident memory (ru_maxrss)"
    verdict = _verdict(peak, budget)
    fixed = clock.fixed_mb
    if t.group_by_length:
        notes.append("training.group_by_length batches similar lengths together; the time per step was "
                     "measured on randomly drawn batches and may be high")
    result = Estimate(
        device="cuda" if cuda else "cpu", device_name=name, memory_kind=kind, peak_mb=round(peak, 1),
        host_peak_mb=round(host_peak, 1), train_peak_mb=round(train_peak, 1),
        eval_peak_mb=round(eval_peak, 1) if eval_peak is not None else None, fixed_mb=round(fixed, 1),
        budget_mb=round(budget, 1), verdict=verdict, seconds_per_step=round(seconds_per_step, 4),
        steps=total_steps, epochs=round(epochs, 3), examples=examples, effective_batch_size=per_step * size,
        evaluations=evaluations, seconds_per_evaluation=round(eval_seconds, 3) if eval_seconds is not None else None,
        setup_seconds=round(setup_seconds, 2), total_seconds=round(total, 1), probe_steps=len(clock.times),
        worst_batch={"examples": len(worst), "source_tokens": max(sources[i] for i in worst),
                     "target_tokens": max(targets[i] for i in worst)},
        notes=notes)
    if verdict != "fits":
        result.suggestions = suggestions(cfg, fixed, train_peak, eval_peak, budget)
    status("Done", 1.0)
    return result


def _probe_evaluation(cfg: RunConfig, trainer: Any, cuda: bool) -> tuple[float | None, float | None, int]:
    """One evaluation of the longest validation batch (loss, then one batch of generated
    captions): (peak MB, predicted seconds for a whole evaluation, validation examples)."""
    import torch

    val = trainer.eval_dataset
    images = list(trainer.caption_images)
    if val is None:  # eval_strategy set but the validation file had no examples
        return None, None, 0
    size = cfg.training.eval_batch_size
    sources, targets = _lengths(val)
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    subset = [val[i] for i in worst_batch(sources, targets, size)]
    trainer.caption_images = []
    begin = time.perf_counter()
    trainer.evaluate(eval_dataset=subset)
    loss_seconds = time.perf_counter() - begin
    caption_seconds = 0.0
    if images and trainer.caption_metrics:
        trainer.caption_images = sorted(images, key=lambda g: len(g.prompt), reverse=True)[:size]
        begin = time.perf_counter()
        trainer.evaluate(eval_dataset=subset)
        caption_seconds = max(0.0, time.perf_counter() - begin - loss_seconds)
    trainer.caption_images = images
    peak = (torch.cuda.max_memory_allocated() / 2**20) if cuda else _rss_peak_mb()
    seconds = (loss_seconds * math.ceil(len(sources) / size)
               + caption_seconds * math.ceil(len(images) / size))
    return peak, seconds, len(sources)


def suggestions(cfg: RunConfig, fixed: float, train_peak: float, eval_peak: float | None,
                budget: float) -> list[Suggestion]:
    """Settings predicted to fit ``budget``, each alone, from the measured split: ``fixed`` stays,
    the rest scales with the batch's tokens (and a share of it with gradient checkpointing)."""
    t, d = cfg.training, cfg.data
    moving = max(0.0, train_peak - fixed)
    goal = budget * FITS
    found: list[Suggestion] = []
    factor = 2
    while t.train_batch_size // factor >= 1:
        need = fixed + moving / factor
        if need <= goal:
            found.append(Suggestion({"training.train_batch_size": t.train_batch_size // factor,
                                     "training.gradient_accumulation_steps": t.gradient_accumulation_steps * factor},
                                    round(need, 1), "the same effective batch, in smaller passes"))
            break
        factor *= 2
    if not getattr(t, "gradient_checkpointing", False):
        need = fixed + moving * CHECKPOINTING_SHARE
        if need <= goal:
            found.append(Suggestion({"training.gradient_checkpointing": True}, round(need, 1),
                                    "recomputes activations in the backward pass: steps take about a third longer"))
    for share in (0.75, 0.5, 0.25):
        need = fixed + moving * share
        if need <= goal:
            found.append(Suggestion({"data.max_source_length": max(8, int(d.max_source_length * share))},
                                    round(need, 1), "longer prompts are cut at this length"))
            break
    if eval_peak is not None and eval_peak > goal:
        smaller = max(1, t.eval_batch_size // max(2, math.ceil((eval_peak - fixed) / max(1.0, goal - fixed))))
        found.append(Suggestion({"training.eval_batch_size": smaller}, round(min(eval_peak, goal), 1),
                                "the evaluation's batch is its own peak"))
    if not found:
        found.append(Suggestion({}, round(fixed, 1), "the model alone takes most of the memory: a smaller base "
                                                    "model, or a device with more memory"))
    return found


def describe_seconds(seconds: float) -> str:
    """``3.2 s``, ``4 min 10 s``, ``2 h 05 min``."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def summary(est: Estimate) -> list[str]:
    """The estimate in a few lines (the terminal and the Train tab say the same)."""
    word = {"fits": "fits", "tight": "is tight", "exceeds": "does not fit"}[est.verdict]
    lines = [f"Memory: {est.peak_mb:,.0f} MB of {est.budget_mb:,.0f} MB on {est.device_name} — {word} "
             f"({100 * est.peak_mb / max(est.budget_mb, 1):.0f} %)",
             f"Time: {est.seconds_per_step:.3f} s per step x {est.steps} steps"
             + (f" + {est.evaluations} evaluation(s) of {describe_seconds(est.seconds_per_evaluation or 0)}"
                if est.evaluations else "") + f" ≈ {describe_seconds(est.total_seconds)}"]
    for s in est.suggestions:
        sets = " ".join(f"--set {k}={str(v).lower() if isinstance(v, bool) else v}" for k, v in s.settings.items())
        lines.append(f"To fit: {sets or '(no setting)'} -> about {s.peak_mb:,.0f} MB ({s.note})")
    return lines

