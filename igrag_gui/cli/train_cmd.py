"""``igrag train CONFIG``: LoRA training with live progress, stop (Ctrl+C) and resume."""

from __future__ import annotations

import argparse
import signal
import sys
from typing import Any

from ..core.errors import UserError
from .common import add_config_args, load_checked


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train a LoRA adapter on the config's data",
                       description="Train with transformers' Trainer and PEFT. Ctrl+C stops at the next "
                                   "step and saves a resumable checkpoint. Runs under torchrun and "
                                   "accelerate launch too (only rank 0 writes).")
    add_config_args(p)
    p.add_argument("--max-steps", type=int, metavar="N", help="stop after N optimizer steps")
    p.add_argument("--resume", nargs="?", const=True, default=None, metavar="CHECKPOINT",
                   help="continue the latest checkpoint in output_dir, or the one named")
    p.add_argument("--scratch", action="store_true",
                   help="mark this run as a scratch run: a later new run into the same output_dir "
                        "replaces it (to the trash) instead of being refused (the self-test's runs)")
    p.add_argument("--events", metavar="FILE",
                   help="also write every event as a JSON line to FILE ('-' for stdout, which then "
                        "carries nothing else); a line 'stop' on stdin then stops like Ctrl+C")
    p.set_defaults(func=run)


class _JsonLines:
    def __init__(self, stream: Any):
        self.stream = stream

    def __call__(self, event: Any) -> None:
        self.stream.write(event.to_json() + "\n")
        self.stream.flush()


def run(args: argparse.Namespace) -> int:
    cfg, _ = load_checked(args, runs_model_code=True)
    from ..core.training.events import Failed
    from ..core.training.train import RunState, is_main_process, leave_process_group, train

    if not args.resume and is_main_process():  # before torch loads; prepare checks again, and marks
        from ..core.files.output_folders import fresh_run_refusal

        reason = fresh_run_refusal(cfg.output_path)
        if reason:
            raise UserError(f"training.output_dir: {reason}")
    from .progress import TerminalProgress

    sinks: list[Any] = []
    if is_main_process():
        # with events on stdout the parent words them; stderr keeps only the step lines
        sinks.append(TerminalProgress(steps_only=args.events == "-"))
        if args.events == "-":
            sinks.append(_JsonLines(sys.stdout))
        elif args.events:
            sinks.append(_JsonLines(open(args.events, "a", encoding="utf-8")))
    state = RunState()

    def request_stop() -> None:
        if not state.task.cancelled() and is_main_process():
            print("\nigrag: stopping at the next step and saving a checkpoint (Ctrl+C again to abort)",
                  file=sys.stderr, flush=True)
        state.task.cancel()

    def on_sigint(signum: int, frame: Any) -> None:
        if state.task.cancelled():
            raise KeyboardInterrupt  # a second Ctrl+C: leave now, without saving
        request_stop()

    if args.events == "-":  # a child of the window or a sweep: its parent says stop on stdin
        from ..core.training.stop_line import watch_stdin

        watch_stdin(request_stop)

    stop_signals = [signal.SIGINT, signal.SIGTERM] + ([signal.SIGBREAK] if hasattr(signal, "SIGBREAK") else [])
    previous = {sig: signal.signal(sig, on_sigint) for sig in stop_signals}
    finished = False
    try:
        closing = train(cfg, lambda e: [s(e) for s in sinks], state, max_steps=args.max_steps,
                        resume=args.resume, scratch=args.scratch)
        finished = True
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        leave_process_group(finished)
    if isinstance(closing, Failed):
        raise UserError(closing.message)
    return 0
