"""What every config-taking command shares: loading, overrides, checking, reporting."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..core.config import Problem, RunConfig, format_problem, load_config
from ..core.errors import UserError


def add_config_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", help="the run's YAML config (model, data, training, lora)")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="SECTION.KEY=VALUE",
                        help="override one config value, e.g. --set lora.r=8 (repeatable); "
                             "paths given here are relative to the current folder")


def warn(line: str) -> None:
    print(f"igrag: warning: {line}", file=sys.stderr)


def load_checked(args: argparse.Namespace, need_model: bool = True,
                 scope: tuple[str, ...] | None = None, runs_model_code: bool = False,
                 model_required: bool = False) -> tuple[RunConfig, Any]:
    """Load the config, then report every problem at once before any weights load.

    ``scope`` limits the judgement to the sections a command uses (``params`` needs no data).
    Returns the config and, when ``need_model``, ``(ModelInfo, None)`` (``model_facts.model_info``:
    cached by config.json's content, so a model seen before costs no torch import); None instead
    when the model brings its own Python code, which checking never runs: a warning says so, and
    ``runs_model_code`` (train) says that the command will run it; ``model_required`` (params,
    which counts the built model) makes it the one error instead.
    """
    from ..core.models.loading import ModelCodeNotRun

    cfg, warnings = load_config(args.config, args.overrides)
    for line in warnings:
        warn(line)

    def judged(found: list[Problem]) -> list[Problem]:
        return [p for p in found if scope is None or p.field.split(".")[0] in scope]

    problems = judged(cfg.validate())
    described = None
    blocked = any(p.field in ("model.base_model_path", "model.type", "model.trust_remote_code")
                  and p.severity == "error" for p in problems)
    if need_model and not blocked:
        from ..core.models.facts import model_info

        try:
            described = (model_info(cfg), None)  # from the cache when seen before: no torch
        except ModelCodeNotRun as exc:
            if model_required:
                problems += [Problem("model.base_model_path", line) for line in exc.lines]
            elif runs_model_code:
                warn(f"model '{cfg.model.base_model_path}' is defined by its own Python code (auto_map in its "
                     f"config.json); model.trust_remote_code is true, so this command runs it")
            else:
                warn(exc.lines[0])
        except UserError as exc:
            problems += [Problem("model.base_model_path", line) for line in exc.lines]
        else:
            problems = judged(cfg.validate(model=described[0]))
    errors = [p for p in problems if p.severity == "error"]
    for p in problems:
        if p.severity != "error":
            warn(format_problem(cfg, p))
    if errors:
        raise UserError(*(format_problem(cfg, p) for p in errors))
    return cfg, described
