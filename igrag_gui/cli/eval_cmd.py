"""``igrag eval CONFIG``: COCO caption metrics of the base model and an adapter, side by side, on
the config's validation split.

It generates exactly as training's evaluation does (one caption per image, greedy,
``max_new_tokens`` = ``data.max_target_length``, prompts cut at ``data.max_source_length``, batches
of ``training.eval_batch_size``), so for the adapter a run saved it prints the scores that
training reported for it on the same split.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..core.files.bounded import json_loads
from ..core.errors import UserError
from .common import add_config_args, load_checked, warn


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="COCO caption metrics of the base model and an adapter on the validation split",
                       description="Generate one caption per validation image with the base model and with the "
                                   "adapter (default: the final adapter in the config's output_dir) as "
                                   "training's evaluation does, and print every COCO caption metric "
                                   "(pycocoevalcap, 0-1 scale) for each, side by side. Progress goes to stderr.")
    add_config_args(p)
    p.add_argument("--adapter", metavar="PATH", help="the adapter to score (default: output_dir's final adapter)")
    p.add_argument("--limit", type=int, metavar="N", help="only the first N validation images")
    p.add_argument("--metrics", metavar="LIST", help="comma-separated subset of bleu1,bleu2,bleu3,bleu4,meteor,"
                                                     "rouge_l,cider,spice; default all")
    p.add_argument("--csv", metavar="OUT", help="also write every prompt, reference and output to OUT (CSV)")
    p.add_argument("--results", metavar="DIR", help="also write each model's captions to DIR/<label>.json in "
                                                    "COCO results format (for IGRAG's evaluator or igrag score)")
    p.add_argument("--per-image", metavar="FILE", help="also write every image's scores for each model to FILE "
                                                       "(JSON, worst first by the adapter's CIDEr)")
    p.add_argument("--engine", choices=("auto", "transformers", "ct2"), default="auto",
                   help="what writes the captions: transformers (the adapter on the base, as training "
                        "evaluates), ct2 (the adapter merged into the base and converted with CTranslate2, "
                        "cached), or auto (default: ct2 where its greedy captions of the first images are "
                        "identical to transformers', else transformers); a label ct2 cannot run (prompt "
                        "tuning, a failed conversion) uses transformers and says why on stderr")
    p.add_argument("--quantization", metavar="TYPE",
                   help="CTranslate2 weights: int8, int8_float32, int16, float16, bfloat16, int8_float16, "
                        "int8_bfloat16 (default float32: the same greedy captions as transformers)")
    p.set_defaults(func=run)


def _default_adapter(output_dir: Path) -> Path | None:
    if not (output_dir / "adapter_config.json").is_file():
        return None
    weights = next((output_dir / n for n in ("adapter_model.safetensors", "adapter.safetensors")  # PEFT's, AdapterHub's
                    if (output_dir / n).is_file()), output_dir / "adapter_model.safetensors")
    run_yaml = output_dir / "run.yaml"
    if weights.is_file() and run_yaml.is_file() and run_yaml.stat().st_mtime > weights.stat().st_mtime + 1:
        warn(f"the adapter in {output_dir} is older than its run.yaml: the last run there was stopped or "
             f"failed before saving a final adapter, so this one is from an earlier run; pass --adapter "
             f"(a checkpoint-N or best/ folder) to score another")
    return output_dir


def reported_scores(folder: Path) -> tuple[dict[str, float], int, str] | None:
    """What training reported for the adapter in ``folder``: (metric -> value, step, which)."""
    from ..core.metrics import scores_of

    extra = folder / "igrag.json"  # best/ carries its own evaluation
    try:
        if extra.is_file():
            data = json_loads(extra.read_text(encoding="utf-8"))
            return scores_of(data), int(data["step"]), "the best evaluation"
        metrics = folder / "metrics.jsonl"
        if not metrics.is_file():
            return None
        last_eval, finished = None, None
        for line in metrics.read_text(encoding="utf-8").splitlines():
            try:
                event = json_loads(line)
            except ValueError:
                continue
            if event.get("event") == "eval":
                last_eval = event
            elif event.get("event") == "finished":
                finished = event
        if last_eval and finished and not finished.get("stopped") and last_eval.get("step") == finished.get("step"):
            return scores_of(last_eval), int(last_eval["step"]), "its last evaluation, on the final weights"
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return None


def run(args: argparse.Namespace) -> int:
    cfg, _ = load_checked(args, need_model=False, scope=("model", "data"))
    if args.limit is not None and args.limit < 1:
        raise UserError(f"--limit must be a positive whole number, got {args.limit}")
    from .score_cmd import parse_metrics

    metrics = parse_metrics(args.metrics)
    from ..core.playground.engines import check_request

    check_request(args.engine, args.quantization)
    if not cfg.val_file:
        raise UserError(f"{cfg.where('data.val_path')}: data.val_path is empty; igrag eval scores the "
                        f"validation split: set it (--set data.val_path=FILE)")
    from ..core.models.loading import own_code, resolve_model_ref
    from ..core.playground import Session, run_batch, training_eval_settings

    if cfg.model.trust_remote_code and own_code(resolve_model_ref(cfg)):
        warn(f"model '{cfg.model.base_model_path}' is defined by its own Python code (auto_map in its "
             f"config.json); model.trust_remote_code is true, so this command runs it")

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
        print(f"igrag: eval {done}/{total} images", file=sys.stderr, flush=True)

    result = run_batch(session, cfg.val_file, adapters, settings, limit=args.limit, progress=progress,
                       batch_size=batch_size, prompt_field=cfg.data.prompt_field,
                       caption_field=cfg.data.caption_field, metrics=metrics, engine=args.engine,
                       quantization=args.quantization,
                       say=lambda line: print(f"igrag: {line}", file=sys.stderr, flush=True))
    for line in result.engine_lines():
        print(f"igrag: {line}", file=sys.stderr)
    if result.truncated:
        warn(f"{result.truncated} of {len(result.rows)} prompts are longer than data.max_source_length="
             f"{cfg.data.max_source_length} tokens and were truncated (as in training)")
    print_table(result, metrics, cfg.val_file.resolve(),
                f"greedy, max_new_tokens {settings.max_new_tokens}, max_source_length "
                f"{cfg.data.max_source_length}, batch {batch_size}")
    if adapter is not None:
        reported = reported_scores(Path(adapter))
        if reported is not None:
            from ..core.metrics.names import describe

            values, step, which = reported
            print(f"  (training reported {describe(values)} at step {step}, {which}, on its validation split)")
    write_outputs(result, args)
    return 0


def print_table(result, metrics: list[str], source: Path, how: str) -> None:
    """Metrics as rows, models as columns, on pycocoevalcap's 0-1 scale."""
    from ..core.metrics import LABELS, format_score

    first = next(iter(result.scores.values()), None)
    tokens = "PTBTokenizer (Java)" if first is not None and first.tokenizer == "java" else "PTB tokens in Python"
    print(f"COCO caption metrics on {source} ({len(result.done)} images; {how}; {tokens}; 0-1 scale):")
    width = max(12, *(len(label) + 2 for label in result.labels))
    print("  " + " " * 8 + "".join(f"{label:>{width}}" for label in result.labels))
    reasons: dict[str, str] = {}
    for metric in metrics:
        cells = []
        for label in result.labels:
            scores = result.scores.get(label)
            reason = scores.unavailable.get(metric) if scores else None
            if reason:
                reasons[metric] = reason
            cells.append("n/a" if reason else format_score(scores.overall.get(metric) if scores else None))
        print(f"  {LABELS[metric]:<8}" + "".join(f"{c:>{width}}" for c in cells))
    for metric, reason in reasons.items():
        print(f"  {LABELS[metric]} n/a: {reason}")


def write_outputs(result, args: argparse.Namespace) -> None:
    if args.csv:
        print(f"igrag: wrote {result.to_csv(args.csv)}", file=sys.stderr)
    if args.results:
        folder = Path(args.results)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"--results: cannot create folder '{folder}': {exc.strerror or exc}") from None
        for label in result.labels:
            print(f"igrag: wrote {result.to_coco_results(folder / f'{label}.json', label)}", file=sys.stderr)
    if args.per_image:
        from ..core.metrics import LABELS

        worst_of = result.labels[-1]
        rows = [{"image_id": r.image_id, "references": r.references,
                 **{label: {"caption": r.outputs[label],
                            **{LABELS[m]: v for m, v in result.per_image(label, r).items()}}
                    for label in result.labels}}
                for r in result.worst_first(worst_of)]
        path = Path(args.per_image)
        try:
            path.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
        except OSError as exc:
            raise UserError(f"--per-image: cannot write '{path}': {exc.strerror or exc}") from None
        print(f"igrag: wrote {path} (worst first by {worst_of}'s CIDEr, or its first metric without CIDEr)", file=sys.stderr)
