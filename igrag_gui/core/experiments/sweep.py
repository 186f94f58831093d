"""Run a sweep on Optuna: each trial an ``igrag train`` child in its own run folder.

Optuna owns the search (samplers, the median pruner, RDB storage shared by any number of
``igrag sweep`` processes); this module turns a trial into a training child and the child's eval
events into ``trial.report`` calls, stopping a pruned child through the engine's normal stop path.
A trial that fails is told to Optuna as FAIL with its reason (user attribute ``reason``); a trial
stopped by the user is requeued so that ``--resume`` continues it from its checkpoint.
"""

from __future__ import annotations

import math
import os
import socket
import statistics
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from filelock import FileLock

from ..files.bounded import mask_secrets
from ..errors import UserError
from ..task_state import TaskState
from .child import Child, child_argv
from .heartbeat import Heartbeat, fail_stale_trials, storage_options
from .runs import better, load_run, metric_name
from .sweep_ranking import counts, ranking, replaced, write_csv
from .sweep_spec import Range, Sweep, flow
from .sweep_tracking import SweepTracker

Sink = Callable[[dict[str, Any]], None]
MARKER = "sweep.json"
PRIMITIVE = (bool, int, float, str, type(None))


@dataclass
class SweepControl:
    """Stop requests from the CLI's Ctrl+C handler or the window (any thread)."""

    task: TaskState = field(default_factory=TaskState)  # its cancel request is the sweep's stop
    child: Child | None = None

    def request_stop(self) -> None:
        self.task.cancel()
        if self.child is not None:
            self.child.stop()


def _quiet_optuna() -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)


def open_storage(url: str) -> Any:
    """Optuna's RDB storage for ``url``; a URL that cannot be opened is the user's to fix (its
    messages show the URL with its password masked: ``user:***@host``)."""
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"storage '{mask_secrets(url)}' cannot be opened: cannot create folder '{path.parent}' "
                            f"({exc.strerror}); choose a folder you can write to") from None
        # two processes starting on one new SQLite file both create Optuna's tables and stamp the
        # schema version: the loser fails ("UNIQUE constraint failed: alembic_version.version_num"),
        # so processes on this machine take turns; the retry below covers other machines
        with FileLock(str(path) + ".lock", timeout=300):
            return _rdb_storage(url, {"connect_args": {"timeout": 120}})
    return _rdb_storage(url, {})


RACES = ("already exists", "locked", "UNIQUE constraint", "duplicate key", "IntegrityError")


def _rdb_storage(url: str, kwargs: dict[str, Any]) -> Any:
    import optuna

    error: Exception | None = None
    for attempt in range(5):
        try:
            with warnings.catch_warnings():  # the heartbeat is "experimental" since Optuna 2.9
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                return optuna.storages.RDBStorage(url, engine_kwargs=kwargs, **storage_options(_requeue_stale))
        except ImportError as exc:  # Optuna wraps the missing database driver
            missing = getattr(exc.__cause__, "name", None) or "its database driver"
            raise UserError(f"storage '{mask_secrets(url)}' needs the Python module '{missing}', which is not installed; "
                            f"install it in igrag's environment (PostgreSQL: pip install \"psycopg[binary]\")"
                            ) from None
        except Exception as exc:  # noqa: BLE001 - SQLAlchemy, drivers and Optuna raise many kinds
            error = exc
            if not any(race in f"{type(exc).__name__}: {exc}" for race in RACES):
                break
            time.sleep(0.5 + attempt)  # another process is creating the same tables right now
    reason = mask_secrets((str(error).splitlines() or [type(error).__name__])[0])
    raise UserError(f"storage '{mask_secrets(url)}' cannot be opened ({reason[:200]}); use sqlite:///path/to/sweep.db "
                        f"or a database URL every machine reaches (e.g. postgresql://user@host/db)") from None


def _sampler(name: str) -> Any:
    import optuna

    # grid: every combination is queued once when the study is created; the queue hands each to
    # exactly one process (an atomic state change in the database), so no grid point runs twice
    return optuna.samplers.TPESampler() if name == "tpe" else optuna.samplers.RandomSampler()


def _pruner(name: str, args: dict[str, int]) -> Any:
    import optuna

    return optuna.pruners.MedianPruner(**args) if name == "median" else optuna.pruners.NopPruner()


def _encode(value: Any) -> Any:
    """Optuna's categorical choices are primitives: a list value travels as its YAML text."""
    return value if isinstance(value, PRIMITIVE) else flow(value)


def open_study(sweep: Sweep, resume: bool) -> tuple[Any, Any]:
    """Create the sweep's study, or join it (``resume``); refuse a folder holding another study.
    Returns the study and its storage."""
    import optuna

    _quiet_optuna()
    marker = sweep.folder / MARKER
    if marker.is_file():
        import json

        try:
            held = json.loads(marker.read_text(encoding="utf-8"))
        except ValueError:
            held = {}
        if held.get("fingerprint") != sweep.fingerprint() or held.get("study") != sweep.study:
            raise UserError(f"sweep folder '{sweep.folder}' already holds another study ('{held.get('study')}', "
                            f"from {held.get('source')}); set folder: in the sweep file to a new folder")
    storage = open_storage(sweep.storage)
    direction = sweep.direction
    try:
        study = optuna.create_study(study_name=sweep.study, storage=storage, sampler=_sampler(sweep.sampler),
                                    pruner=_pruner(sweep.pruner, sweep.pruner_args), direction=direction,
                                    load_if_exists=False)
    except optuna.exceptions.DuplicatedStudyError:
        study = optuna.load_study(study_name=sweep.study, storage=storage, sampler=_sampler(sweep.sampler),
                                  pruner=_pruner(sweep.pruner, sweep.pruner_args))
        deadline = time.monotonic() + 60
        while "fingerprint" not in study.user_attrs and time.monotonic() < deadline:
            time.sleep(0.2)  # its creator is still setting it up
        if study.user_attrs.get("fingerprint") != sweep.fingerprint():
            raise UserError(f"storage '{mask_secrets(sweep.storage)}' already holds a study '{sweep.study}' started from a "
                            f"different sweep (its config, space, metric or sampler differ); set study: or "
                            f"folder: in the sweep file to start a new one")
        if not resume:
            trials = study.get_trials(deepcopy=False)
            gone = replaced(trials)
            done = sum(1 for t in trials if t.state.is_finished() and counts(t, gone))
            raise UserError(f"sweep folder '{sweep.folder}' already holds study '{sweep.study}' ({done} trials "
                            f"done); pass "
                            f"--resume to continue it (or to join it from another machine), or set folder: to a "
                            f"new folder")
    else:
        if sweep.sampler == "grid":
            for params in sweep.grid():
                study.enqueue_trial({k: _encode(v) for k, v in params.items()}, user_attrs={"queued": True})
        study.set_user_attr("metric", sweep.metric)
        study.set_user_attr("fingerprint", sweep.fingerprint())
    _write_marker(sweep)
    return study, storage


def _write_marker(sweep: Sweep) -> None:
    import json

    sweep.folder.mkdir(parents=True, exist_ok=True)
    tmp = sweep.folder / f".{MARKER}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps({"study": sweep.study, "fingerprint": sweep.fingerprint(),
                               "storage": mask_secrets(sweep.storage), "source": str(sweep.source.resolve())},
                              indent=1),
                   encoding="utf-8")
    os.replace(tmp, sweep.folder / MARKER)


def _requeue_stale(study: Any, trial: Any) -> None:
    """Optuna failed ``trial`` because its heartbeat stopped (its machine died): queue its values again."""
    run = trial.user_attrs.get("run")
    reason = f"interrupted: its sweep process on {trial.user_attrs.get('host', '?')} stopped answering; requeued"
    study.enqueue_trial(trial.params, user_attrs={"queued": True, "requeued_from": trial.number, "stale_reason": reason,
                                                  **({"resume_dir": run} if run else {})})


def _requeue_dead_trials(study: Any, storage: Any) -> None:
    """Trials left RUNNING by a sweep process of this machine that no longer exists: interrupted."""
    from optuna.trial import TrialState

    host = socket.gethostname()
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        pid = t.user_attrs.get("pid")
        if t.user_attrs.get("host") != host or not pid or pid == os.getpid() or _alive(int(pid)):
            continue
        _interrupt(study, storage, t.number, t.user_attrs.get("run"), t.params, "its sweep process ended")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _interrupt(study: Any, storage: Any, number: int, run: str | None, params: dict[str, Any], reason: str) -> None:
    """Close a trial that did not end on its own and queue it again (continuing its checkpoint)."""
    from optuna.trial import TrialState

    trial_id = storage.get_trial_id_from_study_id_trial_number(storage.get_study_id_from_name(study.study_name),
                                                               number)
    storage.set_trial_user_attr(trial_id, "interrupted", True)
    storage.set_trial_user_attr(trial_id, "reason", f"interrupted: {reason}; requeued")
    study.tell(number, state=TrialState.FAIL, skip_if_finished=True)
    study.enqueue_trial(params, user_attrs={"queued": True, **({"resume_dir": run} if run else {})})


def _suggest(trial: Any, sweep: Sweep) -> dict[str, Any]:
    """Sampled (or queued) values, decoded back to what ``--set`` takes."""
    values: dict[str, Any] = {}
    for key, spec in sweep.space.items():
        if isinstance(spec, Range):
            if spec.integer:
                values[key] = trial.suggest_int(key, int(spec.low), int(spec.high), log=spec.log,
                                                step=int(spec.step or 1))
            else:
                values[key] = trial.suggest_float(key, float(spec.low), float(spec.high), log=spec.log,
                                                  step=spec.step)
        else:
            choices = [_encode(v) for v in spec]
            picked = trial.suggest_categorical(key, choices)
            values[key] = spec[choices.index(picked)]
    return values


@dataclass
class TrialOutcome:
    state: str  # complete, pruned, failed, interrupted
    value: float | None = None
    reason: str = ""


def run_trial(sweep: Sweep, trial: Any, values: dict[str, Any], run_dir: Path, resume: bool,
              control: SweepControl, sink: Sink, seed: int | None = None, report: bool = True,
              env: dict[str, str] | None = None) -> TrialOutcome:
    """One training child (``env`` added to its environment); its eval events are reported to
    Optuna as they come (``report``: a setting's later seeds are not, so the pruner judges one
    curve per trial)."""
    # the trial's own folder comes after every --set and sampled value: none can send two trials into one folder
    sets = list(sweep.overrides) + [f"{k}={flow(v)}" for k, v in values.items()] + [f"training.output_dir={run_dir}"]
    if seed is not None:
        sets.append(f"training.seed={seed}")
    # a launcher (torchrun, accelerate launch) runs the trial on several processes; rank 0 writes the events
    child = Child(child_argv("train", sweep.config, sets=sets, resume=resume, launcher=sweep.launcher), env=env)
    control.child = child
    if control.task.cancelled():
        child.stop()
    best: float | None = None
    closing: dict[str, Any] | None = None
    pruned: int | None = None  # the step at which the pruner said stop
    key = sweep.metric
    if resume:  # what the run evaluated before it was stopped still counts
        for point in load_run(run_dir).series().get(key, []):
            if not math.isnan(point.value):
                best = point.value if best is None or better(key, point.value, best) else best
                if report:
                    trial.report(point.value, point.step)
    try:
        for event in child.events():
            kind = event["event"]
            if kind in ("log", "eval"):
                sink({"event": "trial_progress", "number": trial.number, "data": event})
            if kind in ("finished", "failed"):
                closing = event
            if kind != "eval":
                continue
            got = {metric_name(k): v for k, v in event.items() if k.startswith("eval_")}
            value = got.get(key)
            if not isinstance(value, (int, float)) or math.isnan(value):
                continue
            best = value if best is None or better(key, value, best) else best
            step = int(event.get("step") or 0)
            if not report:
                continue
            trial.report(float(value), step)
            sink({"event": "trial_report", "number": trial.number, "step": step, "value": float(value)})
            if pruned is None and trial.should_prune():
                pruned = step
                child.stop()
    finally:
        code = child.wait()
        control.child = None
    if pruned is not None:
        return TrialOutcome("pruned", best, f"pruned by the median rule at step {pruned}")
    if closing is not None and closing["event"] == "failed":
        return TrialOutcome("failed", None, str(closing.get("message")))
    if closing is not None and closing.get("stopped"):
        return TrialOutcome("interrupted", None, "stopped by the user")
    if code != 0 or closing is None:
        errors = child.errors()
        if errors:
            return TrialOutcome("failed", None, " ".join(errors))
        how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
        return TrialOutcome("failed", None, f"the training process {how} before finishing")
    if best is None:
        return TrialOutcome("failed", None, f"the run reported no {key} (is there validation data?)")
    return TrialOutcome("complete", best)


def run_setting(sweep: Sweep, trial: Any, values: dict[str, Any], run_dir: Path, resume: bool,
                control: SweepControl, sink: Sink, env: dict[str, str] | None = None) -> TrialOutcome:
    """One setting: one child, or one per seed in ``run_dir/seed-N`` (``seeds:``), whose value is
    the mean over the seeds, with its spread (``std``, ``n``, ``seed_values``) as trial attributes.
    On resume a seed whose run finished is read back, not trained again."""
    if not sweep.seeds:
        return run_trial(sweep, trial, values, run_dir, resume and _continue_in(run_dir, trial.number, sink),
                         control, sink, env=env)
    got: dict[int, float] = {}
    for number, seed in enumerate(sweep.seeds):
        folder = run_dir / f"seed-{seed}"
        done = _finished_value(folder, sweep.metric) if resume else None
        if done is not None:
            got[seed] = done
            continue
        if control.task.cancelled():
            return TrialOutcome("interrupted", None, "stopped by the user")
        outcome = run_trial(sweep, trial, values, folder, resume and _continue_in(folder, trial.number, sink),
                            control, sink, seed=seed, report=number == 0, env=env)
        if outcome.state != "complete":
            reason = f"seed {seed}: {outcome.reason}" if outcome.reason else outcome.reason
            return TrialOutcome(outcome.state, outcome.value, reason)
        got[seed] = float(outcome.value)
    spread = statistics.stdev(got.values()) if len(got) > 1 else None
    trial.set_user_attr("seed_values", {str(k): v for k, v in got.items()})
    trial.set_user_attr("std", spread)
    trial.set_user_attr("n", len(got))
    return TrialOutcome("complete", statistics.fmean(got.values()))


def _continue_in(folder: Path, number: int, sink: Sink) -> bool:
    """Whether a requeued trial resumes in ``folder``: yes when it holds a checkpoint. Else the
    earlier attempt saved nothing to continue from (it was stopped before its first checkpoint):
    what that attempt wrote there (igrag's run folder, marked) goes to the trash and the trial
    starts clean in the same folder. A folder holding files igrag did not write is left as it is
    (the training child refuses it with its reason)."""
    from ..training.checkpoints import latest_checkpoint
    from ..files.output_folders import contents, marker, to_trash

    if latest_checkpoint(folder) is not None:
        return True
    found = marker(folder)
    if contents(folder) and found is not None and found.get("kind") == "run":
        to_trash(folder)
        sink({"event": "warning", "number": number,
              "message": f"trial {number}: its earlier attempt in '{folder}' stopped before its first checkpoint; "
                         f"starting it again from the beginning (the earlier attempt's files are in the trash)"})
    return False


def _finished_value(folder: Path, metric: str) -> float | None:
    """The best ``metric`` of a run that finished (not stopped) in ``folder``, else None."""
    if not (folder / "metrics.jsonl").is_file():
        return None
    run = load_run(folder)
    if run.status != "finished":
        return None
    values = [p.value for p in run.series().get(metric, []) if not math.isnan(p.value)]
    if not values:
        return None
    best = values[0]
    for v in values[1:]:
        best = v if better(metric, v, best) else best
    return best


def run_sweep(sweep: Sweep, resume: bool = False, sink: Sink = lambda e: None,
              control: SweepControl | None = None) -> Any:
    """Run trials until the budget is spent, the grid is done, or a stop is requested."""
    from optuna.trial import TrialState

    control = control or SweepControl()
    study, storage = open_study(sweep, resume)
    tracker = SweepTracker.open(sweep, resume)  # MLflow: one parent run, one child per trial
    if resume:
        _requeue_dead_trials(study, storage)
        fail_stale_trials(study)
    sink({"event": "sweep_started", "study": sweep.study, "storage": mask_secrets(sweep.storage),
          "folder": str(sweep.folder),
          "trials": sweep.trials, "metric": sweep.metric, "direction": sweep.direction})
    while not control.task.cancelled():
        if sweep.sampler == "grid" and not study.get_trials(deepcopy=False, states=(TrialState.WAITING,)):
            break
        fail_stale_trials(study)  # a trial another machine left behind goes back into the queue
        with warnings.catch_warnings():  # Optuna suggests optimize(); ask/tell beats through our Heartbeat
            warnings.filterwarnings("ignore", "Heartbeat of storage is supposed to be used with Study.optimize")
            trial = study.ask()
        trials = study.get_trials(deepcopy=False)
        gone = replaced(trials)
        before = [t for t in trials if t.number < trial.number and counts(t, gone)]
        queued = bool(trial.user_attrs.get("queued"))
        if len(before) >= sweep.trials or (sweep.sampler == "grid" and not queued):
            trial.set_user_attr("skipped", True)  # another process took the last place
            study.tell(trial, state=TrialState.FAIL)
            break
        resume_dir = trial.user_attrs.get("resume_dir")
        run_dir = Path(resume_dir) if resume_dir else sweep.folder / f"trial-{trial.number:03d}"
        values = _suggest(trial, sweep)
        for name, value in (("run", str(run_dir)), ("host", socket.gethostname()), ("pid", os.getpid())):
            trial.set_user_attr(name, value)
        sink({"event": "trial_started", "number": trial.number, "params": values, "run": str(run_dir)})
        start = time.monotonic()
        trial_id = storage.get_trial_id_from_study_id_trial_number(storage.get_study_id_from_name(study.study_name),
                                                                   trial.number)
        mlflow_run, env = tracker.start_trial(trial.number, values) if tracker else (None, None)
        def warn(line: str, number: int = trial.number) -> None:
            sink({"event": "warning", "number": number, "message": line})

        with Heartbeat(storage, trial_id, warn=warn, label=f"trial {trial.number}"):
            outcome = run_setting(sweep, trial, values, run_dir, bool(resume_dir), control, sink, env)
        if tracker and mlflow_run:
            tracker.end_trial(mlflow_run, outcome.state, outcome.value, outcome.reason)
        if outcome.reason:
            trial.set_user_attr("reason", outcome.reason)
        if outcome.state == "complete":
            study.tell(trial, outcome.value)
        elif outcome.state == "pruned":
            study.tell(trial, state=TrialState.PRUNED)
        elif outcome.state == "interrupted":
            _interrupt(study, storage, trial.number, str(run_dir), trial.params, outcome.reason)
        else:
            study.tell(trial, state=TrialState.FAIL)
        sink({"event": "trial_ended", "number": trial.number, "state": outcome.state, "value": outcome.value,
              "reason": outcome.reason, "run": str(run_dir), "seconds": round(time.monotonic() - start, 1)})
    rows = ranking(study, sweep)
    write_csv(rows, sweep.folder / "sweep.csv")
    best = next((r for r in rows if r["state"] == "complete"), None)
    if tracker:
        tracker.finish(best, control.task.cancelled())
    sink({"event": "sweep_finished", "stopped": control.task.cancelled(), "best_run": best["run"] if best else None,
          "best_value": best["value"] if best else None, "csv": str(sweep.folder / "sweep.csv")})
    return rows
