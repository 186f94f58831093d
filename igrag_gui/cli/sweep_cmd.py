"""``igrag sweep SWEEP.yaml``: trials on Optuna, one crash-isolated ``igrag train`` child each."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from typing import Any


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sweep", help="search hyperparameters with Optuna, one training child per trial",
                       description="Run the trials of a sweep file one after another, each an 'igrag train' "
                                   "child in its own run folder; eval metrics go to Optuna as they come, so "
                                   "the median pruner stops hopeless trials. Ctrl+C stops after the current "
                                   "trial saves a checkpoint; --resume continues it. Several processes (or "
                                   "machines) given the same sweep file and storage share one study.")
    p.add_argument("sweep", help="the sweep YAML (config, space, sampler, trials, metric, direction, storage); "
                                 "with --report also the folder the sweep ran in")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE",
                   help="override a config value for every trial, as in igrag train (repeatable)")
    p.add_argument("--resume", action="store_true",
                   help="continue the sweep's study (or join it from another process or machine)")
    p.add_argument("--trials", type=int, metavar="N", help="the number of trials (overrides trials: in the file)")
    p.add_argument("--events", metavar="-", choices=["-"],
                   help="'-': write the sweep's events as JSON lines on stdout (for the window)")
    p.add_argument("--report", action="store_true",
                   help="run nothing: print Optuna's analyses of the sweep's study (parameter importance, history, "
                        "parallel coordinates, slices), as the Sweep page draws them")
    p.add_argument("--json", action="store_true", help="with --report: one JSON object")
    p.set_defaults(func=run)


def _fmt(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


class _Printer:
    """The sweep's events as terminal lines (stderr), or JSON lines on stdout with --events -."""

    def __init__(self, as_json: bool):
        self.as_json = as_json

    def __call__(self, event: dict[str, Any]) -> None:
        if self.as_json:
            sys.stdout.write(json.dumps(event) + "\n")
            sys.stdout.flush()
            return
        kind = event["event"]
        if kind == "sweep_started":
            line = (f"sweep '{event['study']}': {event['trials']} trials, {event['direction']} {event['metric']}; "
                    f"folder {event['folder']}")
        elif kind == "trial_started":
            params = " ".join(f"{k}={_fmt(v)}" for k, v in event["params"].items())
            line = f"trial {event['number']}: {params}"
        elif kind == "trial_report":
            line = f"  trial {event['number']} step {event['step']}: {_fmt(event['value'])}"
        elif kind == "trial_ended":
            value = f" {_fmt(event['value'])}" if event["value"] is not None else ""
            reason = f" ({event['reason']})" if event["reason"] else ""
            line = f"trial {event['number']}: {event['state']}{value}{reason} [{event['seconds']} s]"
        elif kind == "warning":  # a heartbeat that cannot be recorded, a trial started again
            line = f"igrag: warning: {event['message']}"
        else:
            return
        print(line, file=sys.stderr, flush=True)


def report(args: argparse.Namespace) -> int:
    from ..core.experiments.sweep_report import load_study, report as analyse, text_lines

    data = analyse(load_study(args.sweep))
    print(json.dumps(data) if args.json else "\n".join(text_lines(data)))
    return 0


def run(args: argparse.Namespace) -> int:
    from ..core.errors import UserError

    if args.report:
        return report(args)
    if args.json:
        raise UserError("--json goes with --report (a sweep's events as JSON: --events -)")
    from ..core.experiments.sweep import SweepControl, run_sweep
    from ..core.experiments.sweep_spec import load_sweep
    from ..core.experiments.tables import render

    if args.trials is not None and args.trials < 1:
        raise UserError(f"--trials {args.trials}: give at least 1")
    sweep = load_sweep(args.sweep, args.overrides, args.trials)
    for note in sweep.notes:
        print(f"igrag: warning: {note}", file=sys.stderr)
    control = SweepControl()

    def request_stop() -> None:
        if not control.task.cancelled():
            print("\nigrag: stopping after the current trial saves a checkpoint (Ctrl+C again to abort; "
                  "--resume continues)", file=sys.stderr, flush=True)
        control.request_stop()

    def on_sigint(signum: int, frame: Any) -> None:
        if control.task.cancelled():
            if control.child is not None:
                control.child.kill()
            raise KeyboardInterrupt
        request_stop()

    if args.events == "-":  # a child of the window: it says stop on stdin
        from ..core.training.stop_line import watch_stdin

        watch_stdin(request_stop)

    stop_signals = [signal.SIGINT, signal.SIGTERM] + ([signal.SIGBREAK] if hasattr(signal, "SIGBREAK") else [])
    previous = {sig: signal.signal(sig, on_sigint) for sig in stop_signals}
    try:
        rows = run_sweep(sweep, args.resume, _Printer(args.events == "-"), control)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if args.events == "-":
        return 0
    keys = list(sweep.space)
    spread = ["std", "n"] if sweep.seeds else []  # with seeds the value is the mean over them
    print(render(["rank", "trial", "state", f"{sweep.metric} mean" if sweep.seeds else sweep.metric, *spread, *keys,
                  "run", "reason"],
                 [[i, r["trial"], r["state"], r["value"], *([r["std"], r["n"]] if spread else []),
                   *[r["params"].get(k) for k in keys], r["run"], r["reason"]]
                  for i, r in enumerate(rows, 1)]))
    best = next((r for r in rows if r["state"] == "complete"), None)
    print(f"\nRanking written to {sweep.folder / 'sweep.csv'}.")
    print(f"Best run: {best['run']}" if best else "No trial completed.")
    if control.task.cancelled():
        print("The sweep was stopped; 'igrag sweep SWEEP.yaml --resume' continues it.", file=sys.stderr)
    return 0
