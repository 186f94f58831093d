"""The adapter inspector: what a saved PEFT adapter is, read from its files as data.

- ``inspect_path(path) -> AdapterReport``: the method and its evidence, key figures, tensors,
  modules by layer and type, and consistency warnings, from ``adapter_config.json`` and the
  safetensors header alone (milliseconds, no torch).
- ``weight_stats(report, state=None) -> WeightStats`` (update_stats.py) (``state``: a ``core.task_state.TaskState``): per-module update norms,
  singular values and effective ranks, read tensor by tensor (for a background thread).
- ``compare(report_a, report_b, stats_a=None, stats_b=None) -> Comparison`` (comparison.py).

Every problem with the user's files is a ``UserError``; nothing here imports torch at import time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

# Lazy (PEP 562): routing a path (``adapters.files``) or reading a header loads none of the
# inspector (the window asks at start-up); no submodule shares a name below, so none shadows it.
_NAMES = {"inspect_path": "build", "Comparison": "comparison", "compare": "comparison", "AdapterReport": "report",
          "TensorInfo": "report", "ModuleStats": "update_stats", "WeightStats": "update_stats",
          "weight_stats": "update_stats"}

if TYPE_CHECKING:  # pragma: no cover
    from .build import inspect_path
    from .comparison import Comparison, compare
    from .report import AdapterReport, TensorInfo
    from .update_stats import ModuleStats, WeightStats, weight_stats


def __getattr__(name: str) -> Any:
    if name not in _NAMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{_NAMES[name]}", __name__), name)
    globals()[name] = value
    return value


__all__ = ["AdapterReport", "Comparison", "ModuleStats", "TensorInfo", "WeightStats", "compare",
           "inspect_path", "weight_stats"]
