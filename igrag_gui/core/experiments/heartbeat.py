"""Trials whose sweep process died on another machine: found by a missing heartbeat, run again.

A sweep process records a heartbeat for its running trial every ``interval`` seconds (Optuna's
RDB heartbeat table). Any process of the study that finds a RUNNING trial whose heartbeat is older
than the grace period (four intervals) marks it failed (Optuna's ``fail_stale_trials``, which hands
each such trial to exactly one process) and queues its values again, continuing from the trial's run
folder where the new machine can reach it. Processes of the same machine are handled sooner, by
pid (``sweep._requeue_dead_trials``).
"""

from __future__ import annotations

import os
import threading
from typing import Any, Callable

DEFAULT_INTERVAL = 30  # seconds


def interval() -> int:
    """Seconds between heartbeats (``IGRAG_SWEEP_HEARTBEAT``, whole seconds, at least 1)."""
    try:
        return max(1, int(os.environ.get("IGRAG_SWEEP_HEARTBEAT", DEFAULT_INTERVAL)))
    except ValueError:
        return DEFAULT_INTERVAL


def storage_options(on_stale: Callable[[Any, Any], None]) -> dict[str, Any]:
    """RDBStorage keyword arguments that turn the heartbeat on."""
    every = interval()
    return {"heartbeat_interval": every, "grace_period": 4 * every, "heartbeat_stale_trial_callback": on_stale}


def fail_stale_trials(study: Any) -> None:
    """Fail the study's trials whose heartbeat stopped; the storage's callback queues them again."""
    import warnings

    import optuna

    with warnings.catch_warnings():  # experimental since Optuna 2.9, and the way to use the heartbeat with ask/tell
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)


RETRY_S = 1  # seconds between tries while recording the heartbeat fails (at most the interval)


class Heartbeat:
    """Records a trial's heartbeat in a daemon thread while the trial runs (``with Heartbeat(...):``).

    A heartbeat that cannot be recorded (the database is locked, unreachable, full) is never
    silent: the first failure of a streak is told to ``warn`` as one line (with the reason, its
    password masked) and the beat is tried again every ``RETRY_S`` seconds, not at the next
    interval, because after four silent intervals other sweep processes requeue the trial; the
    beat that succeeds again is told too. The trial itself goes on: a database hiccup must not
    end it."""

    def __init__(self, storage: Any, trial_id: int, every: int | None = None,
                 warn: Callable[[str], None] | None = None, label: str = "") -> None:
        self._storage, self._trial_id = storage, trial_id
        self._every = every or interval()
        self._warn = warn or (lambda line: None)
        self._label = label or f"trial id {trial_id}"
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{trial_id}", daemon=True)
        self.failures = 0  # failed tries so far (all streaks)

    def _beat(self) -> None:
        from ..files.bounded import mask_secrets

        failing = False
        while True:
            wait = self._every
            try:
                self._storage.record_heartbeat(self._trial_id)
                if failing:
                    failing = False
                    self._warn(f"the heartbeat of {self._label} is recorded again")
            except Exception as exc:  # noqa: BLE001 - SQLAlchemy and the drivers raise many kinds
                self.failures += 1
                wait = min(self._every, RETRY_S)
                if not failing:
                    failing = True
                    cause = exc.__cause__ or exc  # Optuna wraps the database's error in a vague one of its own
                    reason = mask_secrets((str(cause).splitlines() or [type(cause).__name__])[0])[:200]
                    self._warn(f"the heartbeat of {self._label} could not be recorded in the sweep's storage "
                               f"({type(cause).__name__}: {reason}); retrying every {wait} s (after "
                               f"{4 * self._every} s without one, other sweep processes requeue the trial)")
            if self._done.wait(wait):
                return

    def __enter__(self) -> "Heartbeat":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join(timeout=5)
