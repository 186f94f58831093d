"""The run configuration: the IGRAG YAML layout (`model`, `data`, `training`, `lora`) as dataclasses.

One ``RunConfig`` is what the form edits, what ``igrag`` commands read and what a training run
consumes. ``RunConfig.validate()`` is the one place that judges it: it returns every problem at
once, each tied to a field (``lora.r``) so the form can paint it beside the widget and the CLI can
print it with the file and line.

Loading never fails on a value (a wrong type is a problem for ``validate`` to report with the
others); it fails only when there is nothing to read: a missing file, broken YAML, a top level
that is not a mapping. Unknown keys are kept, warned about, and written back on save.

The package, by responsibility: ``fields`` (the sections and their metadata), ``field_checks``
(judging one value),
``run_config`` (``RunConfig``), ``loading`` (YAML files and ``--set``), ``overrides``
(the ``--set`` list that turns a saved config into an edited one), ``path_base`` (where relative
paths start), ``yaml_round_trip`` (saving in the file's own words), ``disk_checks`` and ``judge``
(the checks that look at the disk, run apart while the form is edited).
"""

from .fields import (LORA_BIAS, MODEL_TYPES, SECTION_CLASSES, SECTIONS, STRATEGIES, LoraSection, ModelSection,
                     DataSection, TrainingSection, canonical_name, field_help, field_specs)
from ..errors import Problem
from .loading import apply_overrides, load_config
from ..models.ref import looks_like_local_path
from .overrides import overrides_since, train_command
from .run_config import RunConfig, format_problem, yaml_text
from ..methods.targets import check_targets, suggest_module

__all__ = [
    "LORA_BIAS", "MODEL_TYPES", "SECTION_CLASSES", "SECTIONS", "STRATEGIES", "DataSection", "LoraSection",
    "ModelSection", "Problem", "RunConfig", "TrainingSection", "apply_overrides", "canonical_name",
    "check_targets", "field_help", "field_specs", "format_problem", "load_config", "looks_like_local_path",
    "overrides_since", "suggest_module", "train_command", "yaml_text",
]
