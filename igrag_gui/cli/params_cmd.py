"""``igrag params CONFIG``: trainable and total parameters from config.json alone."""

from __future__ import annotations

import argparse
import json

from .common import add_config_args, load_checked


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("params", help="trainable / total parameters of a run, without loading weights",
                       description="Build the base model from its config.json on the meta device "
                                   "(no weights), apply the config's PEFT method and report "
                                   "trainable and total parameters as PEFT counts them.")
    add_config_args(p)
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..core.params import count_parameters

    cfg, described = load_checked(args, scope=("model", "lora", "method"))
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
    print(f"method     {cfg.method}: r={cfg.lora.r}, alpha={cfg.lora.lora_alpha}, "
          f"dropout={cfg.lora.dropout}")
    print(f"modules    {stats.modules} adapted: {targets}")
    print(f"trainable  {stats.trainable:>15,}")
    print(f"total      {stats.total:>15,}")
    print(f"percent    {stats.percent:>14.2f}%")
    return 0
