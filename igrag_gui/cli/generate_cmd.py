"""``igrag generate``: stream a model's answer to one prompt, with adapters, side by side."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..core.errors import UserError
from .common import warn


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("generate", help="generate text from a prompt with a base model and adapters",
                       description="Load a base model (and adapters attached to it, one copy of the base "
                                   "in memory) and stream the answer to PROMPT on stdout. First-token "
                                   "latency and tokens/s go to stderr.")
    p.add_argument("prompt", metavar="PROMPT", help="the prompt text; '-' reads it from stdin")
    p.add_argument("--base", required=True, metavar="MODEL",
                   help="base model: a folder with config.json, a Hugging Face id in the local cache, "
                        "or 'demo' for the bundled demo model")
    p.add_argument("--adapter", action="append", default=[], metavar="PATH",
                   help="an adapter folder (PEFT save_pretrained output); repeat with --side-by-side "
                        "to compare several")
    p.add_argument("--side-by-side", action="store_true",
                   help="the same prompt and seed through the base model and each adapter, labelled")
    g = p.add_argument_group("generation settings")
    g.add_argument("--max-new-tokens", type=int, default=40, metavar="N", help="at most N new tokens (40)")
    g.add_argument("--sample", action="store_true", help="sample instead of greedy decoding")
    g.add_argument("--temperature", type=float, default=1.0, metavar="T", help="sampling temperature (1.0)")
    g.add_argument("--top-p", type=float, default=1.0, metavar="P", help="nucleus sampling mass (1.0: off)")
    g.add_argument("--top-k", type=int, default=50, metavar="K", help="sample from the K likeliest (50; 0: off)")
    g.add_argument("--beams", type=int, default=1, metavar="N", help="beam search with N beams (no streaming)")
    g.add_argument("--repetition-penalty", type=float, default=1.0, metavar="R", help="1.0: none")
    g.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (0)")
    p.set_defaults(func=run)


def settings_from(args: argparse.Namespace) -> Any:
    from ..core.playground.settings import GenerationSettings

    settings = GenerationSettings(max_new_tokens=args.max_new_tokens, do_sample=args.sample,
                                  temperature=args.temperature, top_p=args.top_p, top_k=args.top_k,
                                  num_beams=args.beams, repetition_penalty=args.repetition_penalty,
                                  seed=args.seed)
    problems = settings.validate()
    if problems:
        raise UserError(*problems)
    if not args.sample and any(getattr(args, k) != d for k, d in
                               (("temperature", 1.0), ("top_p", 1.0), ("top_k", 50))):
        warn("--temperature, --top-p and --top-k only apply with --sample; decoding greedily")
    return settings


def read_prompt(value: str) -> str:
    if value != "-":
        return value
    data = sys.stdin.buffer.read()
    try:
        return data.decode("utf-8-sig").rstrip("\n")
    except UnicodeDecodeError as exc:
        raise UserError(f"stdin: not UTF-8 text (byte {exc.start}); pipe the prompt as UTF-8") from None


def run(args: argparse.Namespace) -> int:
    from ..core.playground import EMPTY_PROMPT, Session
    from ..resources import demo_model_path

    settings = settings_from(args)
    if len(args.adapter) > 1 and not args.side_by_side:
        raise UserError("several --adapter given: add --side-by-side to compare them, or give one")
    prompt = read_prompt(args.prompt)
    if not prompt.strip():  # before minutes of loading
        raise UserError(EMPTY_PROMPT)
    session = Session.load(args.base, demo_folder=demo_model_path())
    names = [session.add_adapter(path, warn=warn) for path in args.adapter]
    prepared = session.prepare_prompt(prompt)
    if prepared.truncated:
        warn(session.truncation_warning(prepared.n_tokens))
    runs: list[str | None] = [None, *names] if args.side_by_side else (names or [None])
    for adapter in runs:
        label = session.label(adapter)
        if args.side_by_side:
            sys.stdout.write(f"[{label}] ")
            sys.stdout.flush()
        stream = session.stream(prompt, settings, adapter)
        try:
            for piece in stream:
                sys.stdout.write(piece)
                sys.stdout.flush()
        except KeyboardInterrupt:
            stream.stop()
            sys.stdout.write("\n")
            raise
        sys.stdout.write("\n")
        sys.stdout.flush()
        s = stream.stats
        first = "-" if s.first_token_s is None else f"{s.first_token_s:.3f} s"
        where = f"{label}: " if args.side_by_side else ""
        print(f"igrag: {where}first token {first}, {s.new_tokens} tokens in {s.seconds:.2f} s, "
              f"{s.tokens_per_s:.1f} tokens/s", file=sys.stderr, flush=True)
    return 0
