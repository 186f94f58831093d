"""``igrag``: subcommands, and the one place that turns errors into exit codes.

A user's mistake prints ``igrag: error: ...`` lines on stderr and exits 2; a bug exits 1 and
names the log file holding its traceback. Never a traceback on the terminal.
"""

from __future__ import annotations

import argparse
import sys
from typing import Callable, Sequence

from .. import __version__
from ..core.files.bounded import mask_secrets
from ..core.errors import ERROR_PREFIX, UserError, as_user_error
from ..core.logs import log_exception
from . import (convert_cmd, data_cmd, estimate_cmd, eval_cmd, generate_cmd, inspect_cmd, merge_cmd, params_cmd,
               runs_cmd, score_cmd, sweep_cmd, train_cmd, validate_cmd)

COMMANDS: list[tuple[str, Callable[[argparse._SubParsersAction], None]]] = [
    ("params", params_cmd.register),
    ("validate", validate_cmd.register),
    ("data", data_cmd.register),
    ("train", train_cmd.register),
    ("estimate", estimate_cmd.register),
    ("inspect", inspect_cmd.register),
    ("generate", generate_cmd.register),
    ("eval", eval_cmd.register),
    ("score", score_cmd.register),
    ("merge", merge_cmd.register),
    ("convert", convert_cmd.register),
    ("runs", runs_cmd.register),
    ("sweep", sweep_cmd.register),
]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line plus where to look, exit 2
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="igrag", description="LoRA fine-tuning of Hugging Face models with PEFT, "
                                               "headless. The desktop app is igrag-gui.")
    parser.add_argument("--version", action="version", version=f"igrag {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for _, register in COMMANDS:
        register(sub)
    return parser


def _quiet_libraries() -> None:
    """Library deprecation chatter is for us, not for the user's terminal."""
    import warnings

    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)


def main(argv: Sequence[str] | None = None) -> int:
    from ..core.training.allocator import keep_freed_memory

    keep_freed_memory()  # at process entry, before any tensor: every entry point, once
    from ..core.ranks import die_with_parent, launched_by_launcher

    if launched_by_launcher():  # a rank of torchrun / accelerate: it ends when its launcher ends
        die_with_parent()
    _quiet_libraries()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except UserError as exc:
        for line in exc.lines:
            print(f"{ERROR_PREFIX}{line}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("igrag: interrupted", file=sys.stderr)
        from igrag_gui.core import torch_thread

        torch_thread.abandon_at_exit(130)  # a model job still running must not be unwound at exit
        return 130
    except BrokenPipeError:  # `igrag ... | head` closed the pipe: not an error of ours
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # Python must not fail flushing stdout at exit
        return 1
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        user = as_user_error(exc)  # a full disk, a read-only folder, a damaged weights file
        if user is not None:
            for line in user.lines:
                print(f"{ERROR_PREFIX}{line}", file=sys.stderr)
            return 2
        path = log_exception(exc, context=f"igrag {' '.join(sys.argv[1:] if argv is None else argv)}")
        first = mask_secrets(str(exc).splitlines()[0]) if str(exc) else ""
        print(f"igrag: internal error: {type(exc).__name__}: {first}"
              f" (this is a bug; the traceback is in {path})", file=sys.stderr)
        return 1


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
