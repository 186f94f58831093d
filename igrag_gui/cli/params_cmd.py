"""``igrag params CONFIG``: trainable and total parameters from config.json alone."""

from __future__ import annotations

import argparse
import json
from typing import Any

from .common import add_config_args, load_checked


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("params", help="trainable / total parameters of a run, without loading weights",
                       description="Build the base model from its config.json on the meta device "
                                   "(no weights), apply the config's PEFT method and report "
                                   "trainable and total parameters as PEFT counts them.")
    add_config_args(p)
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.set_defaults(func=run)


def method_summary(cfg: Any) -> str:
    """The chosen method's settings in one line (``r=16, lora_alpha=32, ...``)."""
    import dataclasses

    body = getattr(cfg, cfg.method_section)
    return ", ".join(f"{f.name}={getattr(body, f.name)}" for f in dataclasses.fields(body)
                     if f.name not in ("target_modules", "prompt_tuning_init_text"))


def run(args: argparse.Namespace) -> int:
    from ..core.methods.params import count_parameters

    from ..core.methods import METHODS

    cfg, described = load_checked(args, scope=("model", "method", *METHODS), model_required=True)
    info, _ = described
    stats = count_parameters(cfg, described)
    if args.json:
        data = stats.to_json()
        data.update(model=str(info.ref), architecture=info.architecture, kind=info.kind,
                    method=cfg.method)
        print(json.dumps(data))
        return 0
    targets = ", ".join(f"{name} ({v['modules']})" for name, v in stats.by_module.items())
    print(f"model      {info.ref}  [{info.architecture}, {info.kind}]")
    print(f"method     {cfg.method}: {method_summary(cfg)}")
    print(f"modules    {stats.modules} adapted: {targets}")
    print(f"trainable  {stats.trainable:>15,}")
    print(f"total      {stats.total:>15,}")
    print(f"percent    {stats.percent:>14.2f}%")
    return 0
