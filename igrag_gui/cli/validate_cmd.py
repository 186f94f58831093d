"""``igrag validate CONFIG``: every problem of a config at once, before any weights load."""

from __future__ import annotations

import argparse

from .common import add_config_args, load_checked


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="check a config (values, files, model modules)",
                       description="Check every value of a config, the files it names and the "
                                   "base model's module names, reading config.json only.")
    add_config_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    cfg, described = load_checked(args)
    if described is None:  # a model with its own code: never run here (the warning said so)
        print(f"{cfg.source}: ok (model modules not checked, method {cfg.method})")
    else:
        info = described[0]
        print(f"{cfg.source}: ok ({info.architecture}, {info.kind}, method {cfg.method})")
    print(f"paths: {cfg.path_base.describe()}")
    return 0
