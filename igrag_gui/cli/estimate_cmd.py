"""``igrag estimate CONFIG``: will the run fit in memory, and how long will it take?"""

from __future__ import annotations

import argparse
import json

from .common import add_config_args, load_checked


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("estimate", help="predict a run's peak memory and time from a short probe",
                       description="Train the config's real model for a few steps at the run's batch shapes (the "
                                   "first on the longest batch the data makes) in a temporary folder, then "
                                   "predict the run's peak memory (CUDA tensors on a GPU, resident memory on the "
                                   "CPU), its time per step and in all, a verdict (fits / tight / exceeds) against "
                                   "this device's memory, and settings that would make it fit. Nothing is written "
                                   "into the config's output_dir.")
    add_config_args(p)
    p.add_argument("--json", action="store_true", help="print one JSON object instead of lines")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..core.training.estimate import estimate, summary

    cfg, _ = load_checked(args)
    result = estimate(cfg)
    if args.json:
        print(json.dumps(result.to_json()))
        return 0
    for line in summary(result):
        print(line)
    for note in result.notes:
        print(f"note: {note}")
    return 0
