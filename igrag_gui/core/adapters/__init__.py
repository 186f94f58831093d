"""The adapter inspector: what a saved PEFT adapter is, read from its files as data.

- ``inspect_path(path) -> AdapterReport``: the method and its evidence, key figures, tensors,
  modules by layer and type, and consistency warnings, from ``adapter_config.json`` and the
  safetensors header alone (milliseconds, no torch).
- ``weight_stats(report, state=None) -> WeightStats`` (``state``: a ``core.task_state.TaskState``): per-module update norms,
  singular values and effective ranks, read tensor by tensor (for a background thread).
- ``compare(report_a, report_b, stats_a=None, stats_b=None) -> Comparison``.

Every problem with the user's files is a ``UserError``; nothing here imports torch at import time.
"""

from __future__ import annotations

from .build import inspect_path
from .compare import Comparison, compare
from .report import AdapterReport, TensorInfo
from .weight_stats import ModuleStats, WeightStats, weight_stats

__all__ = ["AdapterReport", "Comparison", "ModuleStats", "TensorInfo", "WeightStats", "compare",
           "inspect_path", "weight_stats"]
