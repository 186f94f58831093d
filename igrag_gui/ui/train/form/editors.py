"""The form's field editors: one widget per kind of config field (numbers, choices, paths, lists
typed as YAML...), each with how a value goes in (``put``, even one the widget cannot hold) and
comes out (``get``). ``editor_parts`` picks the editor from the field's metadata."""

from __future__ import annotations

import dataclasses
import math
import os
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractSpinBox, QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QHBoxLayout, QLabel, QLineEdit,
    QPushButton, QSpinBox, QWidget,
)

from .log_scale_field import LogScaleField
from .model_picker import ModelPicker
from .target_picker import TargetPicker

LABELS = {
    "model.base_model_path": "Base model",
    "model.type": "Model type",
    "model.trust_remote_code": "Trust remote code",
    "data.train_path": "Training data",
    "data.val_path": "Validation data",
    "data.max_source_length": "Max prompt tokens",
    "data.max_target_length": "Max caption tokens",
    "training.output_dir": "Output folder",
    "training.num_train_epochs": "Epochs",
    "training.train_batch_size": "Train batch size",
    "training.eval_batch_size": "Eval batch size",
    "training.gradient_accumulation_steps": "Gradient accumulation",
    "training.warmup_steps": "Warm-up steps",
    "training.logging_steps": "Log every (steps)",
    "training.eval_strategy": "Evaluate",
    "training.eval_steps": "Evaluate every (steps)",
    "training.save_strategy": "Save checkpoints",
    "training.save_steps": "Save every (steps)",
    "training.save_total_limit": "Checkpoints to keep",
    "training.metrics": "Caption metrics",
    "training.metric_for_best_model": "Best model by",
    "training.fp16": "fp16 mixed precision",
    "training.bf16": "bf16 mixed precision",
    "training.group_by_length": "Group batches by length",
    "training.gradient_checkpointing": "Gradient checkpointing",
    "lora.r": "LoRA rank (r)",
    "lora.lora_alpha": "LoRA alpha",
    "lora.dropout": "LoRA dropout",
    "lora.target_modules": "Target modules",
    "lora.use_rslora": "Rank-stabilised LoRA (rsLoRA)",
    "lora.use_dora": "Weight-decomposed LoRA (DoRA)",
}

# Shown at a spin box's minimum: the value that means "not a number of things".
SPECIAL_TEXT = {"training.max_steps": "use epochs", "training.save_total_limit": "keep all"}
# (decimals, single step) of the float fields; more decimals appear when a value needs them.
DOUBLE_FORMAT = {
    "training.num_train_epochs": (1, 1.0),
    "training.weight_decay": (4, 0.01),
    "lora.lora_alpha": (1, 1.0),
    "lora.dropout": (2, 0.05),
}
# Counts that span orders of magnitude step by a tenth of their size (512 -> 522, 40 -> 41).
ADAPTIVE_STEPS = {
    "data.max_source_length", "data.max_target_length", "training.max_steps",
    "training.warmup_steps", "training.logging_steps", "training.eval_steps", "training.save_steps",
}
INT_DEFAULT_MAX = 1_000_000
INT32_MAX = 2**31 - 1
MAX_DECIMALS = 8
REPORT_TO = ("none", "tensorboard", "mlflow", "tensorboard, mlflow")  # core/training/trackers.py TRACKERS
DATA_FILTER = ("Data files (*.jsonl *.csv *.json);;JSON Lines (*.jsonl);;CSV (*.csv);;"
               "JSON (*.json);;All files (*)")


def field_label(key: str) -> str:
    """A readable name for ``section.name``: ``Learning rate``, ``LoRA alpha``."""
    if key in LABELS:
        return LABELS[key]
    name = key.split(".", 1)[1].replace("_", " ")
    return name[:1].upper() + name[1:]


def _raw_text(value: Any) -> str:
    """How a value no widget can hold is shown in that widget."""
    if value is None:
        return "(empty)"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _decimals_needed(value: float) -> int:
    """Decimal places that show ``value`` exactly as Python writes it (``3e-05`` -> 5), read off its
    shortest repr (the ``decimal`` module cost the first frame 1.5 ms to import)."""
    text = repr(float(value)).lower()
    if "nan" in text or "inf" in text:
        return MAX_DECIMALS
    mantissa, _, exponent = text.partition("e")
    fraction = mantissa.partition(".")[2].rstrip("0")
    return max(0, len(fraction) - int(exponent or 0))


class PathField(QWidget):
    """A path as text, plus "Browse…" (a file for ``mode="file"``, a folder for ``"output"``).
    A browsed path is written relative to the config's folder when the old value was relative."""

    textChanged = Signal(str)

    def __init__(self, mode: str, title: str, base_dir: Callable[[], Path], parent: QWidget | None = None):
        super().__init__(parent)
        self.mode, self.title, self._base_dir = mode, title, base_dir
        self.line_edit = QLineEdit()
        self.browse_button = QPushButton("Browse…")
        self.browse_button.setToolTip("Choose a file" if mode == "file" else "Choose a folder")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.line_edit, 1)
        layout.addWidget(self.browse_button)
        self.line_edit.textChanged.connect(self.textChanged)
        self.browse_button.clicked.connect(self.browse)

    def text(self) -> str:
        return self.line_edit.text()

    def setText(self, text: str) -> None:
        self.line_edit.setText(text)

    def _start_dir(self) -> str:
        base = self._base_dir()
        current = self.text().strip()
        if current:
            path = Path(current).expanduser()
            path = path if path.is_absolute() else base / path
            for candidate in (path, path.parent):
                if candidate.is_dir():
                    return str(path if self.mode == "file" and path.is_file() else candidate)
        return str(base)

    @Slot()
    def browse(self) -> None:
        if self.mode == "file":
            chosen, _ = QFileDialog.getOpenFileName(self, self.title, self._start_dir(), DATA_FILTER)
        else:
            chosen = QFileDialog.getExistingDirectory(self, self.title, self._start_dir())
        if chosen:
            self.setText(self._as_config_path(chosen))

    def _as_config_path(self, chosen: str) -> str:
        old = self.text().strip()
        if old and Path(old).expanduser().is_absolute():
            return chosen
        try:
            return Path(os.path.relpath(chosen, self._base_dir().resolve())).as_posix()
        except ValueError:  # another drive on Windows
            return chosen


@dataclasses.dataclass
class FieldWidgets:
    """One config field's widgets and how to move a value in and out of them."""

    key: str
    meta: dict
    editor: QWidget
    label: QLabel
    message: QLabel
    paint: list[QWidget]
    put: Callable[[Any], None]          # show a value (any value, even one the widget can't hold)
    get: Callable[[], Any]              # the value the widget holds
    after_edit: Callable[[], None] = lambda: None  # undo "showing a raw value" once edited
    narrow: bool = False                # a number or a choice: no need for the full width


def editor_parts(key: str, meta: dict, base_dir: Callable[[], Path]) -> dict:
    """The editor for field ``key`` (its metadata ``meta``): a dict of editor, paint, put, get,
    (after_edit, narrow) and signal, the ``FieldWidgets`` parts less the labels."""
    kinds = meta["kind"] if isinstance(meta["kind"], tuple) else (meta["kind"],)
    if key == "model.base_model_path":
        return model_editor()
    elif key == "training.learning_rate":
        return log_editor()
    elif key == "lora.target_modules":
        return target_editor()
    elif key == "training.report_to":
        return report_editor()
    elif key == "training.metrics":
        return names_editor("bleu4, cider (any of: bleu1-4, meteor, rouge_l, cider, spice)")
    elif key == "training.metric_for_best_model":
        from ....core.metrics.names import METRICS

        return choice_editor(METRICS)
    elif "choices" in meta:
        return choice_editor(meta["choices"])
    elif meta.get("path") in ("file", "output"):
        return path_editor(meta["path"], field_label(key), bool(meta.get("optional")), base_dir)
    elif list in kinds or (bool in kinds and len(kinds) > 1):
        return yaml_editor()
    elif kinds == (bool,):
        return bool_editor(field_label(key))
    elif int in kinds and set(kinds) <= {int, type(None)}:
        return int_editor(key, meta, optional=type(None) in kinds)
    elif kinds == (float,):
        return float_editor(key, meta)
    else:
        return text_editor()


def model_editor() -> dict:
    picker = ModelPicker()
    return dict(editor=picker, paint=[picker], signal=picker.changed,
                put=lambda v: picker.setText("" if v is None else str(v)), get=picker.text)

def log_editor() -> dict:
    field = LogScaleField()

    def put(value: Any) -> None:
        if _is_number(value):
            field.setValue(float(value))
        else:
            field.line_edit.setText(_raw_text(value))

    def get() -> Any:
        return field.value() if field.has_number() else field.text()

    # Typing text that is not a number is an edit too (validate will say what is wrong).
    return dict(editor=field, paint=[field], put=put, get=get,
                signal=(field.valueChanged, field.textEditedNotNumber))

def target_editor() -> dict:
    picker = TargetPicker()
    return dict(editor=picker, paint=[picker], signal=picker.changed,
                put=picker.set_value, get=picker.value)

def report_editor() -> dict:
    combo = QComboBox()
    combo.setEditable(True)
    combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    combo.addItems(REPORT_TO)
    combo.lineEdit().setPlaceholderText("none, or names separated by commas")

    def put(value: Any) -> None:
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            combo.setCurrentText(", ".join(value) or "none")
        else:
            combo.setCurrentText(_raw_text(value) if value is not None else "none")

    def get() -> Any:
        """Always a list (the field's type); 'none' or nothing is the empty list."""
        names = [p.strip() for p in combo.currentText().split(",") if p.strip()]
        return [] if names in ([], ["none"]) else names

    return dict(editor=combo, paint=[combo], put=put, get=get, narrow=True,
                signal=combo.currentTextChanged)

def choice_editor(choices: tuple) -> dict:
    combo = QComboBox()
    combo.addItems(list(choices))
    n = len(choices)

    def drop_extra() -> None:
        while combo.count() > n and combo.currentIndex() < n:
            combo.removeItem(n)

    def put(value: Any) -> None:
        while combo.count() > n:
            combo.removeItem(n)
        if isinstance(value, str) and value in choices:
            combo.setCurrentIndex(choices.index(value))
        else:
            combo.addItem(_raw_text(value))
            combo.setCurrentIndex(n)

    return dict(editor=combo, paint=[combo], put=put, get=combo.currentText, narrow=True,
                after_edit=drop_extra, signal=combo.currentTextChanged)

def path_editor(mode: str, label: str, optional: bool, base_dir: Callable[[], Path]) -> dict:
    title = f"Choose {label.lower()}" if mode == "file" else "Choose the output folder"
    field = PathField(mode, title, base_dir)
    if optional:
        field.line_edit.setPlaceholderText("(none)")
    return dict(editor=field, paint=[field], signal=field.textChanged,
                put=lambda v: field.setText("" if v is None else _raw_text(v)), get=field.text)

def bool_editor(label: str) -> dict:
    box = QCheckBox(label)

    def put(value: Any) -> None:
        if isinstance(value, bool):
            box.setTristate(False)
            box.setChecked(value)
        else:  # shown half-checked until clicked; the value itself stays in the config
            box.setTristate(True)
            box.setCheckState(Qt.CheckState.PartiallyChecked)

    def after_edit() -> None:
        if box.checkState() != Qt.CheckState.PartiallyChecked:
            box.setTristate(False)

    return dict(editor=box, paint=[box], put=put, get=box.isChecked, after_edit=after_edit,
                signal=box.checkStateChanged)

def int_editor(key: str, meta: dict, optional: bool) -> dict:
    spin = QSpinBox()
    lo = int(meta.get("min", 0))
    lo = lo - 1 if optional else lo  # the value below the minimum stands for "none"
    hi = min(int(meta.get("max", INT_DEFAULT_MAX)), INT32_MAX)
    special = SPECIAL_TEXT.get(key, "none" if optional else "")
    if key in ADAPTIVE_STEPS:
        spin.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
    spin.setRange(lo, hi)
    spin.setSpecialValueText(special)

    def put(value: Any) -> None:
        spin.setRange(lo, hi)
        spin.setSpecialValueText(special)
        if optional and value is None:
            spin.setValue(lo)
            return
        lowest = lo + 1 if optional else lo
        if isinstance(value, int) and not isinstance(value, bool) and lowest <= value <= INT32_MAX:
            spin.setMaximum(max(hi, value))  # above the rule's max: shown as it is, marked
            spin.setValue(value)
            return
        spin.setSpecialValueText(_raw_text(value))  # shown at the minimum until edited
        spin.setValue(lo)

    def get() -> Any:
        value = spin.value()
        return None if optional and value == lo else value

    return dict(editor=spin, paint=[spin], put=put, get=get, narrow=True,
                after_edit=lambda: spin.setSpecialValueText(special), signal=spin.valueChanged)

def float_editor(key: str, meta: dict) -> dict:
    spin = QDoubleSpinBox()
    decimals, step = DOUBLE_FORMAT.get(key, (3, 0.1))
    spin.setSingleStep(step)

    def set_range(places: int) -> None:
        spin.setDecimals(places)
        tick = 10.0 ** -places
        lo = meta["min"] if "min" in meta else meta["min_exclusive"] + tick if "min_exclusive" in meta else -1e9
        hi = meta["max"] if "max" in meta else meta["max_exclusive"] - tick if "max_exclusive" in meta else 1e9
        spin.setRange(lo, hi)

    set_range(decimals)

    def put(value: Any) -> None:
        spin.setSpecialValueText("")
        if _is_number(value):
            places = max(decimals, min(_decimals_needed(value), MAX_DECIMALS))
            set_range(places)
            if spin.minimum() <= value <= spin.maximum() and round(value, places) == value:
                spin.setValue(value)
                return
        set_range(decimals)
        spin.setSpecialValueText(_raw_text(value))
        spin.setValue(spin.minimum())

    def get() -> Any:
        value = round(spin.value(), spin.decimals())
        return int(value) if value.is_integer() else value

    return dict(editor=spin, paint=[spin], put=put, get=get, narrow=True,
                after_edit=lambda: spin.setSpecialValueText(""), signal=spin.valueChanged)

def names_editor(placeholder: str) -> dict:
    """A list of names typed as text separated by commas."""
    edit = QLineEdit()
    edit.setPlaceholderText(placeholder)

    def put(value: Any) -> None:
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            edit.setText(", ".join(value))
        else:
            edit.setText("" if value is None else _raw_text(value))

    def get() -> Any:
        return [p.strip() for p in edit.text().split(",") if p.strip()]

    return dict(editor=edit, paint=[edit], signal=edit.textChanged, put=put, get=get)

def yaml_editor() -> dict:
    """Lists and mixed values (``[q, v]``, ``true`` or ``pissa``), typed as YAML; empty is none."""
    edit = QLineEdit()
    edit.setPlaceholderText("empty: PEFT's default")

    def get() -> Any:
        text = edit.text().strip()
        if not text:
            return None
        import yaml  # when a value is read, not when the form is built

        from ....core.files.bounded import yaml_load
        from ....core.errors import UserError

        try:
            return yaml_load(text, "the value")
        except (yaml.YAMLError, UserError):
            return text

    return dict(editor=edit, paint=[edit], signal=edit.textChanged,
                put=lambda v: edit.setText("" if v is None else _raw_text(v)), get=get)

def text_editor() -> dict:
    edit = QLineEdit()
    return dict(editor=edit, paint=[edit], signal=edit.textChanged,
                put=lambda v: edit.setText("" if v is None else _raw_text(v)), get=edit.text)
