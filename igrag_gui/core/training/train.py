"""The training engine: transformers' Trainer + PEFT on a validated RunConfig, reporting events.

What it adds to a plain Trainer script, and why:
- the loss is the true token-mean cross-entropy over the whole accumulated batch (and over all
  processes), so gradient accumulation and several processes change neither the logged loss nor
  the gradients (T5 under transformers 5 does not do this by itself);
- checkpoints are written to a staging folder and renamed into place, so a kill during a save
  never damages the previous checkpoint;
- COCO caption metrics (pycocoevalcap; ``training.metrics``) on the validation split at every
  evaluation, one generated caption per image (generation sharded over processes), and ``best/``
  by ``training.metric_for_best_model``;
- one callback (``training_callbacks.py``) turns Trainer hooks into ``events`` and honours a stop
  request at the next step;
- a NaN loss stops the run with a message instead of saving broken weights;
- ``training.report_to`` (TensorBoard, MLflow) through the Trainer's integrations, placed by
  ``trackers.py``.
"""

from __future__ import annotations

import math
import os
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from transformers.trainer_callback import PrinterCallback

from .checkpoints import (CHECKPOINT_RE, STAGING, check_resume_compatible, fsync_tree, latest_checkpoint,
                          replace_dir, resolve_resume, rotate)
from ..config import RunConfig, check_targets
from ..data import make_collator, read_examples, tokenize_examples
from ..data.checks import leakage_warning
from ..data.prepare import prepare_data, training_columns
from . import trainer_private
from ..errors import UserError
from ..task_state import Cancelled

from .events import Event, Failed, Finished, Message, Preparing, Sink
from ..methods import build_peft_config
from ..methods.builders import after_wrap
from ..methods.checks import target_key, unsupported, unsupported_message
from ..models.loading import load_model, load_tokenizer, model_kind, load_model_config, resolve_model_ref
# RunState, is_main_process and leave_process_group are the CLI's too (cli/train_cmd.py)
from . import trackers as tracking
from .precision import choose as choose_precision
from ..metrics.settings import caption_metric_plan
from .run_folder import claim_output_dir, save_final, trim_metrics, write_run_yaml
from .callbacks import (AdaLoraAllocation, EngineCallback, RunState, attach_trackers, is_main_process,  # noqa: F401
                                 leave_process_group, world)  # noqa: F401 - re-exported


# ---------------------------------------------------------------------------------- the loss
def token_mean_loss(outputs: Any, labels: Any, num_items_in_batch: Any = None, shift: bool = False) -> Any:
    """Summed token cross-entropy over the micro-batch, divided by the number of label tokens in
    the whole accumulated batch (``num_items_in_batch``, counted over all processes by the
    Trainer). Summed over the accumulation steps this is the true token mean."""
    import torch.nn.functional as F

    logits = outputs["logits"] if isinstance(outputs, dict) else outputs[0]
    if shift:
        extra = logits.shape[-2] - labels.shape[-1]
        if extra > 0:  # prompt tuning / P-tuning put virtual tokens before a causal model's input
            logits = logits[..., extra:, :]
        logits, labels = logits[..., :-1, :], labels[..., 1:]
    total = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), labels.reshape(-1),
                            ignore_index=-100, reduction="sum")
    count = num_items_in_batch if num_items_in_batch is not None else (labels != -100).sum()
    return total / count


# ---------------------------------------------------------------------------------- the trainer
def _trainer_class(kind: str) -> type:
    """Our Trainer: the transformers one (Seq2SeqTrainer for seq2seq) plus atomic checkpoints,
    NaN detection and caption metrics at evaluation."""
    from transformers import Seq2SeqTrainer, Trainer

    base = Seq2SeqTrainer if kind == "seq2seq" else Trainer

    class IgragTrainer(base):  # type: ignore[misc, valid-type]
        nan_step: int | None = None
        caption_images: list = []  # metrics.grouping.ImageGroup: one generated caption each
        caption_metrics: list = []
        caption_settings: dict = {}
        caption_unavailable: dict = {}

        def training_step(self, model, inputs, num_items_in_batch=None):
            loss = super().training_step(model, inputs, num_items_in_batch)
            if self.nan_step is None and not bool(loss.isfinite()):
                self.nan_step = self.state.global_step + 1
            return loss

        def _save_checkpoint(self, model, trial):
            """Write into ``.staging/`` and rename into place once complete."""
            run_dir = trainer_private.output_dir(self, trial)
            name = f"checkpoint-{self.state.global_step}"
            staging_root = run_dir / STAGING
            with trainer_private.checkpoints_written_to(self, staging_root):
                super()._save_checkpoint(model, trial)
            if self.args.should_save:
                staged = staging_root / name
                if self.state.best_global_step:
                    best = run_dir / f"checkpoint-{self.state.best_global_step}"
                    if self.state.best_global_step == self.state.global_step or best.is_dir():
                        self.state.best_model_checkpoint = str(best)
                        self.state.save_to_json(str(staged / "trainer_state.json"))
                fsync_tree(staged)
                replace_dir(staged, run_dir / name)
                rotate(run_dir, self.args.save_total_limit, self.state.best_model_checkpoint)
            if self.args.world_size > 1:
                import torch.distributed as dist

                dist.barrier()

        def _save(self, output_dir=None, state_dict=None):
            """Bottleneck adapters are saved in AdapterHub's layout, not as the whole model."""
            from ..methods import bottleneck

            if bottleneck.state_of(self.model) is None:
                return super()._save(output_dir, state_dict)
            if not self.args.should_save:
                return None
            import torch

            output_dir = output_dir or self.args.output_dir
            bottleneck.save(self.model, output_dir)
            if self.processing_class is not None:
                self.processing_class.save_pretrained(output_dir)
            torch.save(self.args, os.path.join(output_dir, "training_args.bin"))
            return None

        def _load_from_checkpoint(self, resume_from_checkpoint, model=None):
            from ..methods import bottleneck

            if bottleneck.state_of(model or self.model) is None:
                return super()._load_from_checkpoint(resume_from_checkpoint, model)
            bottleneck.load_weights(model or self.model, resume_from_checkpoint)
            return None

        def evaluation_loop(self, dataloader, description, prediction_loss_only=None, ignore_keys=None,
                            metric_key_prefix="eval"):
            output = super().evaluation_loop(dataloader, description, prediction_loss_only=prediction_loss_only,
                                             ignore_keys=ignore_keys, metric_key_prefix=metric_key_prefix)
            if self.caption_images and self.caption_metrics:
                for name, value in self._caption_scores().items():
                    output.metrics[f"{metric_key_prefix}_{name}"] = value
            return output

        def _caption_scores(self) -> dict[str, float]:
            """One caption per validation image (each process generates a shard; all gather the
            captions), scored by pycocoevalcap against all of the image's references."""
            from ..models.generation import generate_texts
            from ..metrics import score

            rank, size = world()
            images = self.caption_images
            s = self.caption_settings
            mine = generate_texts(self.model, s["tokenizer"], [g.prompt for g in images[rank::size]], s["kind"],
                                  s["max_source"], s["max_new_tokens"], s["batch_size"])
            shards = [mine]
            if size > 1:
                import torch.distributed as dist

                shards = [None] * size
                dist.all_gather_object(shards, mine)
            captions = {}
            for r, shard in enumerate(shards):
                for group, text in zip(images[r::size], shard):
                    captions[group.key] = text
            references = {g.key: g.references for g in images}
            scores = score(captions, references, self.caption_metrics)
            if rank == 0:  # what the corpus scores came from, for intervals (igrag runs compare)
                from ..metrics.eval_captions import write_eval_captions

                write_eval_captions(self.args.output_dir, self.state.global_step, captions, references,
                                    self.caption_metrics)
            self.caption_unavailable = scores.unavailable
            return {m: v for m, v in scores.overall.items() if v is not None}

    return IgragTrainer


# ---------------------------------------------------------------------------------- the run
@dataclass
class PreparedRun:
    """Everything built before the first step (kept apart so benchmarks can time the loop)."""

    trainer: Any
    callback: EngineCallback
    state: RunState
    resume: Path | None
    output_dir: Path


def prepare(cfg: RunConfig, sink: Sink, state: RunState | None = None, max_steps: int | None = None,
            resume: str | bool | None = None, scratch: bool = False) -> PreparedRun:
    """Load model, tokenizer and data, wrap with PEFT, and build the Trainer. ``scratch``: mark
    the run folder so that a later new run may replace it (the self-test's runs)."""
    import torch
    from peft import get_peft_model
    from transformers import Seq2SeqTrainingArguments, TrainingArguments
    from transformers.utils import logging as hf_logging

    from .allocator import keep_freed_memory

    keep_freed_memory()  # before the model loads: every step reuses the last one's memory

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()

    state = state or RunState()
    rank, size = world()
    main = rank == 0
    errors = cfg.errors()
    if errors:
        raise UserError(*(str(p) for p in errors))
    output_dir = cfg.output_path.resolve()
    resume_path = resolve_resume(cfg, resume)
    if resume_path is not None:
        check_resume_compatible(resume_path, cfg)
    if main:
        claim_output_dir(output_dir, resume_path, scratch)
        try:
            output_dir.mkdir(parents=True, exist_ok=True)
            probe = output_dir / ".write-test"
            probe.write_text("")
            probe.unlink()
        except OSError as exc:
            raise UserError(f"training.output_dir: cannot write to '{output_dir}' ({exc.strerror}); "
                            f"choose a folder you can write to") from None
        shutil.rmtree(output_dir / STAGING, ignore_errors=True)  # left by a killed run
        leak = leakage_warning(cfg.train_file, cfg.val_file, cfg.data.prompt_field, cfg.data.caption_field)
        if leak:  # before anything loads: the first thing the user reads
            sink(Message("warning", leak, topic="leakage"))

    ref = resolve_model_ref(cfg)
    hf_config = load_model_config(ref, cfg.model.trust_remote_code)
    kind = model_kind(hf_config, cfg.model.type)
    reason = unsupported(cfg.method, kind, str(getattr(hf_config, "model_type", "")))
    if reason:
        raise UserError(f"method: {unsupported_message(cfg.method, kind, reason)}")
    fp16, bf16, precision = choose_precision(cfg, sink if main else (lambda e: None),
                                             cuda=torch.cuda.is_available())
    trackers = tracking.check(cfg.training.report_to)  # a missing package stops here, before the model loads
    if main and "mlflow" in trackers:
        tracking.open_mlflow(tracking.tracking_uri(output_dir))  # and a store that cannot be opened
    if main and trackers:
        sink(Message("note", tracking.destinations(trackers, output_dir)))

    tokenizer = load_tokenizer(ref, cfg.model.trust_remote_code)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    limits = (cfg.data.max_source_length, cfg.data.max_target_length)
    # Streamed into a memory-mapped Arrow file, cached; rank 0 prepares, the others wait for it.
    train_data = prepare_data(cfg.train_file, tokenizer, kind, *limits, cfg.data.prompt_field,
                              cfg.data.caption_field, rank=rank, world_size=size,
                              state=state.task.part(on_detail=(lambda step: sink(Preparing(**asdict(step)))) if main else None))
    evaluate = cfg.training.eval_strategy != "no"
    val_examples = (read_examples(cfg.val_file, cfg.data.prompt_field, cfg.data.caption_field)
                    if evaluate and cfg.val_file else [])
    val_data = tokenize_examples(val_examples, tokenizer, kind, *limits, source=cfg.val_file) if val_examples else None
    if main:
        for data in (train_data, val_data):
            for text in (data.warnings if data else []):
                sink(Message("warning", text))

    from transformers import set_seed

    # training.seed decides everything random in a run: weights the base model initialises
    # itself, the PEFT initialisation (seeded again just before it is built), the Trainer's
    # dropout (its own set_seed(seed)) and the data order (data_seed)
    set_seed(cfg.training.seed)
    base = load_model(ref, kind, cfg.model.trust_remote_code)
    from ..models.loading import adaptable_modules

    key = target_key(cfg)
    targets = getattr(getattr(cfg, key.split(".")[0]), "target_modules") if key else None
    problems = check_targets(targets, adaptable_modules(base)[0]) if isinstance(targets, list) else []
    if problems:
        raise UserError(*(f"{key}: {p.message}" for p in problems))
    collator = make_collator(tokenizer, base, kind)
    set_seed(cfg.training.seed)  # the same seed gives the same PEFT initialisation
    t = cfg.training
    caption_metrics, best_metric = caption_metric_plan(cfg)
    if main and val_data:
        from ..metrics.java import NO_JAVA
        from ..metrics.settings import metric_names

        for name in metric_names(t.metrics):
            if name not in caption_metrics:
                sink(Message("warning", f"training.metrics: {name.upper()} {NO_JAVA}; it is left out of this "
                                        f"run's evaluations"))
    steps = max_steps if max_steps and max_steps > 0 else t.max_steps
    per_epoch = math.ceil(len(train_data) / (t.train_batch_size * size) / t.gradient_accumulation_steps)
    total_steps = steps if steps and steps > 0 else math.ceil(per_epoch * float(t.num_train_epochs))
    if cfg.method == "adapter":  # ours: the adapters join the model itself (no PEFT wrapper)
        from ..methods import bottleneck

        bottleneck.add_adapters(base, bottleneck.build(cfg.adapter, base))
        model = base
        trainable, total = bottleneck.count(model)
    else:
        model = get_peft_model(base, build_peft_config(cfg, kind, total_steps=total_steps,
                                                       tokenizer_path=str(ref.load_arg)))
        after_wrap(model, cfg, tokenizer)
        trainable, total = model.get_nb_trainable_parameters()

    use_cpu = not torch.cuda.is_available()
    args_class = Seq2SeqTrainingArguments if kind == "seq2seq" else TrainingArguments
    args = args_class(
        output_dir=str(output_dir),
        num_train_epochs=float(t.num_train_epochs),
        max_steps=steps if steps and steps > 0 else -1,
        per_device_train_batch_size=t.train_batch_size,
        per_device_eval_batch_size=t.eval_batch_size,
        gradient_accumulation_steps=t.gradient_accumulation_steps,
        learning_rate=float(cfg.learning_rate),
        weight_decay=float(t.weight_decay),
        warmup_steps=t.warmup_steps,
        lr_scheduler_type="linear",
        logging_steps=t.logging_steps,
        logging_first_step=True,
        logging_nan_inf_filter=False,
        eval_strategy=t.eval_strategy if val_data else "no",
        eval_steps=t.eval_steps,
        save_strategy=t.save_strategy,
        save_steps=t.save_steps,
        save_total_limit=t.save_total_limit,
        metric_for_best_model=best_metric if val_data else None,
        greater_is_better=True,
        seed=t.seed,
        data_seed=t.seed,
        fp16=fp16,
        bf16=bf16,
        use_cpu=use_cpu,
        ddp_backend=("gloo" if use_cpu else "nccl") if size > 1 else None,
        ddp_find_unused_parameters=False if size > 1 else None,
        report_to=trackers,  # the Trainer's own integrations (core/training/trackers.py places them)
        run_name=output_dir.name,
        disable_tqdm=True,
        log_level="error",
        prediction_loss_only=True,
        remove_unused_columns=False,
        dataloader_num_workers=0,
        dataloader_pin_memory=not use_cpu,
        average_tokens_across_devices=True,
        # length-grouped batches (transformers' LengthGroupedSampler, lengths read from input_ids)
        train_sampling_strategy="group_by_length" if t.group_by_length else "random",
        **_checkpointing(args_class, bool(t.gradient_checkpointing)),
    )
    effective = t.train_batch_size * t.gradient_accumulation_steps * size
    metrics_path = output_dir / "metrics.jsonl" if main else None
    started = dict(trainable=int(trainable), total=int(total), percent=round(100 * trainable / total, 4),
                   num_train_examples=len(train_data), num_val_examples=len(val_data or []),
                   effective_batch_size=effective, world_size=size, device="cpu" if use_cpu else "cuda",
                   precision=precision, resumed_from=str(resume_path) if resume_path else None,
                   output_dir=str(output_dir))
    started["method"] = cfg.method
    started["seed"] = int(t.seed)
    callback = EngineCallback(sink, state, metrics_path, started, effective)
    shift = kind == "causal"
    trainer = _trainer_class(kind)(
        model=model, args=args, train_dataset=training_columns(train_data), eval_dataset=val_data,
        data_collator=collator, processing_class=tokenizer,
        callbacks=[callback, *_early_stopping(t, val_data, sink, main)]
                  + ([AdaLoraAllocation()] if cfg.method == "adalora" else []),
        compute_loss_func=lambda outputs, labels, num_items_in_batch=None:
            token_mean_loss(outputs, labels, num_items_in_batch, shift=shift),
    )
    callback.trainer = trainer
    if main:
        attach_trackers(trainer, trackers, output_dir, started)
    trainer.remove_callback(PrinterCallback)  # our events replace its raw dict prints
    from ..metrics.grouping import group_by_image

    callback.best_metric = best_metric
    trainer.caption_images = group_by_image(val_examples) if val_data else []
    trainer.caption_metrics = caption_metrics
    trainer.caption_settings = dict(tokenizer=tokenizer, kind=kind, max_source=limits[0],
                                 max_new_tokens=limits[1], batch_size=t.eval_batch_size)
    if main:
        write_run_yaml(cfg, output_dir)
        if metrics_path is not None:
            if resume_path is not None:
                trim_metrics(metrics_path, int(CHECKPOINT_RE.match(resume_path.name).group(1))
                              if CHECKPOINT_RE.match(resume_path.name) else 0)
            else:
                metrics_path.unlink(missing_ok=True)
    return PreparedRun(trainer, callback, state, resume_path, output_dir)


def _checkpointing(args_class: type, on: bool) -> dict[str, Any]:
    """``training.gradient_checkpointing`` in the installed transformers' words (5.x later renamed it
    activation checkpointing); non-reentrant, so PEFT's frozen inputs need no gradient."""
    import dataclasses

    name = "activation_checkpointing" if "activation_checkpointing" in {
        f.name for f in dataclasses.fields(args_class)} else "gradient_checkpointing"
    return {name: on, f"{name}_kwargs": {"use_reentrant": False} if on else None}


def _early_stopping(t: Any, val_data: Any, sink: Sink, main: bool) -> list[Any]:
    """transformers' EarlyStoppingCallback on the best-model metric, when asked for and possible."""
    if not t.early_stopping_patience:
        return []
    if not val_data:
        if main:
            sink(Message("warning", "training.early_stopping_patience needs validation data (data.val_path and "
                                    "an eval_strategy); this run will not stop early"))
        return []
    from transformers import EarlyStoppingCallback

    return [EarlyStoppingCallback(early_stopping_patience=int(t.early_stopping_patience))]


def train(cfg: RunConfig, sink: Sink, state: RunState | None = None, max_steps: int | None = None,
          resume: str | bool | None = None, scratch: bool = False) -> Event:
    """Run training to the end, a stop request, or a failure; return the closing event
    (``Finished`` or ``Failed``), which has also gone to ``sink``."""
    start = time.monotonic()
    try:
        run = prepare(cfg, sink, state, max_steps, resume, scratch)
    except Cancelled:
        closing_stop = Finished(step=0, output_dir=str(cfg.output_path.resolve()), stopped=True,
                                seconds=round(time.monotonic() - start, 3))
        if is_main_process():
            sink(closing_stop)
        return closing_stop
    trainer, main = run.trainer, is_main_process()
    try:
        result = trainer.train(resume_from_checkpoint=str(run.resume) if run.resume else None)
    except Exception as exc:  # noqa: BLE001 - out-of-memory and friends become a message
        closing = _failure_from_exception(exc, trainer, run)
        if closing is None:
            raise
        if main:
            run.callback._emit(closing)
        return closing
    step = trainer.state.global_step
    last = latest_checkpoint(run.output_dir)
    if run.state.nan_step is not None:
        closing: Event = Failed(
            message=(f"the training loss became NaN at step {run.state.nan_step}; lower "
                     f"training.learning_rate (now {cfg.training.learning_rate:g}) and resume or restart"
                     + (f"; the last good checkpoint is {last}" if last else "")),
            step=run.state.nan_step, checkpoint=str(last) if last else None)
    else:
        if not run.state.stopped and main:
            save_final(trainer.model, run.output_dir)
        closing = Finished(
            step=step, output_dir=str(run.output_dir), stopped=run.state.stopped,
            checkpoint=str(last) if last else None,
            best_checkpoint=str(run.state.best_dir) if run.state.best_dir else None,
            best_score=run.state.best_score, best_metric=run.callback.best_metric, seconds=round(time.monotonic() - start, 3),
            train_samples_per_second=result.metrics.get("train_samples_per_second"))
    if main:
        run.callback._emit(closing)
    return closing


def _failure_from_exception(exc: Exception, trainer: Any, run: PreparedRun) -> Failed | None:
    import torch

    last = latest_checkpoint(run.output_dir)
    where = f"; the last good checkpoint is {last}" if last else ""
    if isinstance(exc, torch.OutOfMemoryError) or "out of memory" in str(exc).lower():
        return Failed(message=("out of memory at step "
                               f"{trainer.state.global_step}; lower training.train_batch_size (and raise "
                               f"gradient_accumulation_steps to keep the effective batch) or "
                               f"data.max_source_length{where}"),
                      step=trainer.state.global_step, checkpoint=str(last) if last else None,
                      details=str(exc))
    from ..errors import as_user_error

    user = as_user_error(exc)  # a full disk while saving a checkpoint, a folder made read-only
    if user is not None:
        return Failed(message=user.lines[0] + where, step=trainer.state.global_step,
                      checkpoint=str(last) if last else None, details=str(exc))
    return None
