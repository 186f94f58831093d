"""``igrag eval CONFIG``: BLEU-4 of the base model and an adapter on the config's validation split.

It generates exactly as training's evaluation does (greedy, ``max_new_tokens`` =
``data.max_target_length``, prompts cut at ``data.max_source_length``, batches of
``training.eval_batch_size``), so for the adapter a run saved it prints the BLEU-4 that training
reported for it on the same split.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..core.errors import UserError
from .common import add_config_args, load_checked, warn


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="BLEU-4 of the base model and an adapter on the validation split",
                       description="Generate for every validation example with the base model and with the "
                                   "adapter (default: the final adapter in the config's output_dir) as "
                                   "training's evaluation does, and print corpus BLEU-4 for each. "
                                   "Progress goes to stderr.")
    add_config_args(p)
    p.add_argument("--adapter", metavar="PATH", help="the adapter to score (default: output_dir's final adapter)")
    p.add_argument("--limit", type=int, metavar="N", help="only the first N validation examples")
    p.add_argument("--csv", metavar="OUT", help="also write every prompt, reference and output to OUT (CSV)")
    p.set_defaults(func=run)


def _default_adapter(output_dir: Path) -> Path | None:
    if not (output_dir / "adapter_config.json").is_file():
        return None
    weights, run_yaml = output_dir / "adapter_model.safetensors", output_dir / "run.yaml"
    if weights.is_file() and run_yaml.is_file() and run_yaml.stat().st_mtime > weights.stat().st_mtime + 1:
        warn(f"the adapter in {output_dir} is older than its run.yaml: the last run there was stopped or "
             f"failed before saving a final adapter, so this one is from an earlier run; pass --adapter "
             f"(a checkpoint-N or best/ folder) to score another")
    return output_dir


def reported_bleu(folder: Path) -> tuple[float, int, str] | None:
    """What training reported for the adapter in ``folder``: (BLEU-4, step, which)."""
    extra = folder / "igrag.json"  # best/ carries its own evaluation
    try:
        if extra.is_file():
            data = json.loads(extra.read_text(encoding="utf-8"))
            return float(data["eval_bleu"]), int(data["step"]), "the best evaluation"
        metrics = folder / "metrics.jsonl"
        if not metrics.is_file():
            return None
        last_eval, finished = None, None
        for line in metrics.read_text(encoding="utf-8").splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("event") == "eval":
                last_eval = event
            elif event.get("event") == "finished":
                finished = event
        if last_eval and finished and not finished.get("stopped") and last_eval.get("step") == finished.get("step"):
            return float(last_eval["eval_bleu"]), int(last_eval["step"]), "its last evaluation, on the final weights"
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return None


def run(args: argparse.Namespace) -> int:
    cfg, _ = load_checked(args, need_model=False, scope=("model", "data"))
    if args.limit is not None and args.limit < 1:
        raise UserError(f"--limit must be a positive whole number, got {args.limit}")
    if not cfg.val_file:
        raise UserError(f"{cfg.where('data.val_path')}: data.val_path is empty; igrag eval scores the "
                        f"validation split: set it (--set data.val_path=FILE)")
    from ..core.models import resolve_model_ref
    from ..core.playground import Session, run_batch, training_eval_settings

    adapter = Path(args.adapter) if args.adapter else _default_adapter(cfg.output_path)
    if adapter is None:
        warn(f"{cfg.output_path} holds no final adapter yet; scoring the base model only (train first, "
             f"or pass --adapter)")
    session = Session.load(resolve_model_ref(cfg).load_arg, max_source_length=cfg.data.max_source_length,
                           trust_remote_code=cfg.model.trust_remote_code)
    adapters: list[str | None] = [None]
    if adapter is not None:
        adapters.append(session.add_adapter(adapter, warn=warn))
    settings, batch_size = training_eval_settings(cfg)

    def progress(done: int, total: int) -> None:
        print(f"igrag: eval {done}/{total} examples", file=sys.stderr, flush=True)

    result = run_batch(session, cfg.val_file, adapters, settings, limit=args.limit, progress=progress,
                       batch_size=batch_size, prompt_field=cfg.data.prompt_field,
                       caption_field=cfg.data.caption_field)
    if result.truncated:
        warn(f"{result.truncated} of {len(result.rows)} prompts are longer than data.max_source_length="
             f"{cfg.data.max_source_length} tokens and were truncated (as in training)")
    print(f"BLEU-4 on {cfg.val_file.resolve()} ({len(result.rows)} examples; greedy, max_new_tokens "
          f"{settings.max_new_tokens}, max_source_length {cfg.data.max_source_length}, batch {batch_size}):")
    width = max(len(label) for label in result.labels)
    for label in result.labels:
        print(f"  {label:<{width}}  {result.bleu[label]:7.4f}")
    if adapter is not None:
        reported = reported_bleu(Path(adapter))
        if reported is not None:
            bleu, step, which = reported
            print(f"  (training reported {bleu:.4f} at step {step}, {which}, on its validation split)")
    if args.csv:
        path = result.to_csv(args.csv)
        print(f"wrote {path}", file=sys.stderr)
    return 0
