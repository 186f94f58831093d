"""The run-config form: every field of ``RunConfig``, generated from ``field_specs``.

The form edits; ``RunConfig.validate()`` judges. Widgets take their ranges and choices from the
field metadata (so a spin box cannot show what the config cannot hold), but the form itself
never decides that a value is wrong: ``set_problems`` paints whatever ``validate`` returned.

What comes back from ``config()`` is the last ``set_config`` config with only the fields the user
edited written over it, so unknown keys, alias spellings, value types (``32`` stays an int) and
values no widget can show (``r: "sixteen"``) all survive until the user touches that field.
"""

from __future__ import annotations

import dataclasses
import decimal
import math
import os
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QRectF, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QAbstractSpinBox, QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QFrame,
    QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QScrollArea, QSizePolicy, QSlider,
    QSpinBox, QVBoxLayout, QWidget,
)

from ..core.config import SECTION_CLASSES, Problem, RunConfig, field_specs
from ..core.methods.registry import METHOD_SPECS, METHODS
from .log_scale_field import LogScaleField
from .model_picker import ModelPicker
from .target_picker import TargetPicker
from .theme import status_hex

SECTION_TITLES = {"model": "Model", "data": "Data", "training": "Training", "lora": "LoRA",
                  **{m: METHOD_SPECS[m].title[:1].upper() + METHOD_SPECS[m].title[1:]
                     for m in METHODS if m != "lora"}}

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
NARROW_WIDTH = 190
INT32_MAX = 2**31 - 1
MAX_DECIMALS = 8
REPORT_TO = ("none", "tensorboard", "wandb")
DATA_FILTER = ("Data files (*.jsonl *.csv *.json);;JSON Lines (*.jsonl);;CSV (*.csv);;"
               "JSON (*.json);;All files (*)")

SUMMARY_STYLE = ("QLabel {{ color: {error}; border: 1px solid {error}; border-radius: 3px; "
                 "padding: 4px 6px; margin: 4px 6px 0 6px; }}")
FRAME_WIDTH = 2  # the coloured border around an editor with a problem; reserved when there is none


def form_style() -> str:
    """The problem summary's style sheet, in status shades that suit the application's palette.

    Only that one label has a style sheet: one on the whole form made every field's widgets go
    through Qt's style-sheet style, a third of the form's build time at start-up. Fields are
    painted through their palettes and ``FieldFrame`` instead."""
    return SUMMARY_STYLE.format(error=status_hex("error"))


def _tint(widget: QWidget, severity: str) -> None:
    """Colour a label's or check box's text for ``severity`` ("" gives back the palette's own)."""
    if not severity:
        widget.setPalette(QPalette())  # resolves nothing: every role follows the parent again
        return
    palette = widget.palette()
    palette.setColor(QPalette.ColorRole.WindowText, QColor(status_hex(severity)))
    widget.setPalette(palette)


class FieldFrame(QFrame):
    """Holds one editor; draws a red or amber rounded border round it while it has a problem.

    Painting the frame (rather than styling the editor) keeps the editor's native look."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("fieldFrame")

    def paintEvent(self, event: Any) -> None:  # noqa: N802 (Qt's name)
        severity = self.property("problem") or ""
        if not severity:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(QColor(status_hex(severity)))
        pen.setWidthF(FRAME_WIDTH)
        painter.setPen(pen)
        half = FRAME_WIDTH / 2
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(half, half, -half, -half), 4, 4)
        painter.end()


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
    exponent = decimal.Decimal(repr(float(value))).normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else MAX_DECIMALS


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
class _Field:
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


class ConfigForm(QWidget):
    """The whole ``RunConfig`` as a form: Model, Data, Training and LoRA group boxes."""

    edited = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._base = RunConfig()
        self._fields: dict[str, _Field] = {}
        self._edited: set[str] = set()
        self._filling = False

        self.summary_label = QLabel()
        self.summary_label.setObjectName("problemSummary")
        self.summary_label.setTextFormat(Qt.TextFormat.PlainText)
        self.summary_label.setWordWrap(True)
        self.summary_label.setStyleSheet(form_style())
        self.summary_label.hide()
        self.unknown_label = QLabel()
        self.unknown_label.setObjectName("unknownKeys")
        self.unknown_label.setTextFormat(Qt.TextFormat.PlainText)
        self.unknown_label.setWordWrap(True)
        self.unknown_label.setContentsMargins(8, 2, 8, 0)
        self.unknown_label.hide()

        self.groups: dict[str, QGroupBox] = {}
        content = QWidget()
        self._columns_box = QHBoxLayout(content)
        self._columns_box.setContentsMargins(6, 6, 6, 6)
        self._columns_box.setSpacing(12)
        self._column_layouts = (QVBoxLayout(), QVBoxLayout())
        for column in self._column_layouts:
            column.setSpacing(10)
            self._columns_box.addLayout(column, 1)
        for section in SECTION_CLASSES:
            self.groups[section] = self._build_group(section)
        self._method_edited = False
        self.method_panel = self._build_method_panel()
        self._columns = 0
        self._arrange(1)

        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.scroll_area.setWidget(content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.unknown_label)
        layout.addWidget(self.scroll_area, 1)
        self.set_config(RunConfig())

    # ================================================================================= API
    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        """A new application palette (light/dark switch) reaches the form as a PaletteChange."""
        if event.type() == QEvent.Type.PaletteChange:
            QTimer.singleShot(0, self._restyle)  # after the children have taken it too
        super().changeEvent(event)

    @Slot()
    def _restyle(self) -> None:
        """Follow a switch between light and dark palettes."""
        style = form_style()
        if style != self.summary_label.styleSheet():
            self.summary_label.setStyleSheet(style)
        for fld in self._fields.values():
            self._paint(fld, fld.message.property("severity") or "", force=True)

    def set_config(self, cfg: RunConfig) -> None:
        """Show ``cfg`` (a copy is kept); emits nothing, forgets edits and problem marks."""
        self._base = cfg.copy()
        self._edited.clear()
        self._method_edited = False
        self._filling = True
        try:
            index = self.method_combo.findData(cfg.method)
            if index < 0:  # an unknown method stays shown as written (validate names it)
                self.method_combo.addItem(str(cfg.method), cfg.method)
                index = self.method_combo.count() - 1
            self.method_combo.setCurrentIndex(index)
            self._show_method(cfg.method_section)
            for key, fld in self._fields.items():
                section, name = key.split(".", 1)
                fld.put(getattr(getattr(self._base, section), name))
        finally:
            self._filling = False
        self.set_problems([])
        self._show_resolved_paths()
        unknown = [f"{section}.{key}" if section else key
                   for section, body in self._base.unknown.items() for key in body]
        self.unknown_label.setText("Kept as written, not used by igrag: " + ", ".join(unknown)
                                   if unknown else "")
        self.unknown_label.setVisible(bool(unknown))

    def source(self) -> Path | None:
        """The file the config came from (edits never change it; cheaper than ``config()``)."""
        return self._base.source

    def config(self) -> RunConfig:
        """The last ``set_config`` config with the fields the user edited written over it."""
        cfg = self._base.copy()
        if self._method_edited:
            cfg.method = self.method_combo.currentData()
        for key, fld in self._fields.items():
            if key in self._edited:
                section, name = key.split(".", 1)
                setattr(getattr(cfg, section), name, fld.get())
        return cfg

    def edited_keys(self) -> list[str]:
        """Fields the user changed since the last ``set_config``, in form order."""
        return (["method"] if self._method_edited else []) + [key for key in self._fields if key in self._edited]

    def set_problems(self, problems: list[Problem]) -> None:
        """Mark the fields ``problems`` name (red for errors, amber for warnings, the message
        under the field) and clear the others; problems without a field go to the summary."""
        by_key: dict[str, list[Problem]] = defaultdict(list)
        for problem in problems:
            by_key[problem.field].append(problem)
        for key, fld in self._fields.items():
            self._mark(fld, by_key.pop(key, []))
        method_problems = by_key.pop("method", [])
        self.method_note.setText("\n".join(p.message for p in method_problems))
        self.method_note.setVisible(bool(method_problems))
        lines = [f"{self._summary_name(key)}: {p.message}" for key, found in by_key.items() for p in found]
        self.summary_label.setText("\n".join(lines))
        self.summary_label.setVisible(bool(lines))

    def editor(self, key: str) -> QWidget:
        """The widget that edits ``section.name`` (``ModelPicker`` for the base model,
        ``LogScaleField`` for the learning rate, ``TargetPicker`` for the target modules)."""
        return self._fields[key].editor

    def message_label(self, key: str) -> QLabel:
        """The label under a field that shows its problem (hidden while it has none)."""
        return self._fields[key].message

    def row_label(self, key: str) -> QLabel:
        """The name in the left column (empty for check boxes, whose own text names them)."""
        return self._fields[key].label

    def field_keys(self) -> list[str]:
        return list(self._fields)

    # ============================================================================ building
    def _build_method_panel(self) -> QWidget:
        """The method selector above the chosen method's group (the others hidden)."""
        panel = QWidget()
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        box = QGroupBox("PEFT method")
        form = QFormLayout(box)
        self.method_combo = QComboBox()
        self.method_combo.setObjectName("methodCombo")
        for name in METHODS:
            spec = METHOD_SPECS[name]
            self.method_combo.addItem(f"{spec.title}  ({name})", name)
        self.method_combo.setToolTip("The PEFT method this run trains; its own settings are below. "
                                     "Prompt methods (prompt tuning, prefix tuning, P-tuning) learn "
                                     "virtual tokens and want far larger learning rates.")
        self.method_combo.currentIndexChanged.connect(self._method_changed)
        self.method_note = QLabel()
        self.method_note.setObjectName("methodProblem")
        self.method_note.setWordWrap(True)
        self.method_note.hide()
        form.addRow("Method", self.method_combo)
        form.addRow(self.method_note)
        layout.addWidget(box)
        for section in ("lora", *[m for m in METHODS if m != "lora"]):
            layout.addWidget(self.groups[section])
        return panel

    def _show_method(self, section: str) -> None:
        for name in METHODS:
            self.groups[name].setVisible(name == section)
        # other methods train at their own section's learning rate (shown in their group)
        lr = self._fields["training.learning_rate"]
        lr.editor.setEnabled(section == "lora")
        lr.label.setEnabled(section == "lora")

    @Slot(int)
    def _method_changed(self, index: int) -> None:
        name = self.method_combo.itemData(index)
        self._show_method(name if name in METHODS else "lora")
        if self._filling:
            return
        self._method_edited = True
        self.edited.emit()

    def _build_group(self, section: str) -> QGroupBox:
        box = QGroupBox(SECTION_TITLES[section])
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        form.setVerticalSpacing(6)
        for spec in field_specs(section):
            key = f"{section}.{spec.name}"
            fld = self._build_field(key, spec)
            self._fields[key] = fld
            fld.editor.setToolTip(spec.metadata["help"])
            fld.label.setToolTip(spec.metadata["help"])
            cell = QWidget()
            cell_layout = QVBoxLayout(cell)
            cell_layout.setContentsMargins(0, 0, 0, 0)
            cell_layout.setSpacing(1)
            # The frame around the editor is what turns red or amber: styling the editor itself
            # would replace its native look (spin box arrows, combo buttons) by a plain one.
            frame = FieldFrame()
            frame_layout = QHBoxLayout(frame)
            frame_layout.setContentsMargins(FRAME_WIDTH, FRAME_WIDTH, FRAME_WIDTH, FRAME_WIDTH)
            frame_layout.addWidget(fld.editor)
            if fld.narrow:
                frame.setMaximumWidth(NARROW_WIDTH)
            elif isinstance(fld.editor, QCheckBox):  # the box hugs the check box and its text
                frame.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Preferred)
            fld.paint.append(frame)
            cell_layout.addWidget(frame)
            cell_layout.addWidget(fld.message)
            if isinstance(fld.editor, QCheckBox):
                fld.label.clear()  # the check box carries its own text
            form.addRow(fld.label, cell)
            fld.label.setBuddy(fld.editor)
            for widget in fld.editor.findChildren(QWidget) + [fld.editor]:
                if isinstance(widget, (QAbstractSpinBox, QComboBox, QSlider)):
                    widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
                    widget.installEventFilter(self)
        return box

    def _build_field(self, key: str, spec: dataclasses.Field) -> _Field:
        meta = dict(spec.metadata)
        kinds = meta["kind"] if isinstance(meta["kind"], tuple) else (meta["kind"],)
        label = QLabel(field_label(key))
        message = QLabel()
        message.setWordWrap(True)
        message.setTextFormat(Qt.TextFormat.PlainText)
        message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = message.font()
        font.setPointSizeF(max(font.pointSizeF() - 1, 7))
        message.setFont(font)
        message.hide()
        parts: dict[str, Any]
        if key == "model.base_model_path":
            parts = self._model_field()
        elif key == "training.learning_rate":
            parts = self._log_field()
        elif key == "lora.target_modules":
            parts = self._target_field()
        elif key == "training.report_to":
            parts = self._report_field()
        elif key == "training.metrics":
            parts = self._names_field("bleu4, cider (any of: bleu1-4, meteor, rouge_l, cider, spice)")
        elif key == "training.metric_for_best_model":
            from ..core.metrics.names import METRICS

            parts = self._choice_field(METRICS)
        elif "choices" in meta:
            parts = self._choice_field(meta["choices"])
        elif meta.get("path") in ("file", "output"):
            parts = self._path_field(meta["path"], field_label(key), bool(meta.get("optional")))
        elif list in kinds or (bool in kinds and len(kinds) > 1):
            parts = self._yaml_field()
        elif kinds == (bool,):
            parts = self._bool_field(field_label(key))
        elif int in kinds and set(kinds) <= {int, type(None)}:
            parts = self._int_field(key, meta, optional=type(None) in kinds)
        elif kinds == (float,):
            parts = self._float_field(key, meta)
        else:
            parts = self._text_field()
        fld = _Field(key=key, meta=meta, label=label, message=message,
                     **{k: v for k, v in parts.items() if k != "signal"})
        fld.paint = [*fld.paint, label]
        signals = parts["signal"] if isinstance(parts["signal"], tuple) else (parts["signal"],)
        for signal in signals:
            signal.connect(lambda *_, k=key: self._user_edit(k))
        return fld

    # --- one builder per kind of widget; each returns editor, paint, put, get, (after_edit), signal
    def _model_field(self) -> dict:
        picker = ModelPicker()
        return dict(editor=picker, paint=[picker], signal=picker.changed,
                    put=lambda v: picker.setText("" if v is None else str(v)), get=picker.text)

    def _log_field(self) -> dict:
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

    def _target_field(self) -> dict:
        picker = TargetPicker()
        return dict(editor=picker, paint=[picker], signal=picker.changed,
                    put=picker.set_value, get=picker.value)

    def _report_field(self) -> dict:
        combo = QComboBox()
        combo.setEditable(True)
        combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        combo.addItems(REPORT_TO)
        combo.lineEdit().setPlaceholderText("none, or names separated by commas")

        def put(value: Any) -> None:
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                combo.setCurrentText(", ".join(value))
            else:
                combo.setCurrentText(_raw_text(value) if value is not None else "")

        def get() -> Any:
            text = combo.currentText().strip()
            return [p.strip() for p in text.split(",") if p.strip()] if "," in text else text

        return dict(editor=combo, paint=[combo], put=put, get=get, narrow=True,
                    signal=combo.currentTextChanged)

    def _choice_field(self, choices: tuple) -> dict:
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

    def _path_field(self, mode: str, label: str, optional: bool) -> dict:
        title = f"Choose {label.lower()}" if mode == "file" else "Choose the output folder"
        field = PathField(mode, title, lambda: self.config().base_dir)
        if optional:
            field.line_edit.setPlaceholderText("(none)")
        return dict(editor=field, paint=[field], signal=field.textChanged,
                    put=lambda v: field.setText("" if v is None else _raw_text(v)), get=field.text)

    def _bool_field(self, label: str) -> dict:
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

    def _int_field(self, key: str, meta: dict, optional: bool) -> dict:
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

    def _float_field(self, key: str, meta: dict) -> dict:
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

    def _names_field(self, placeholder: str) -> dict:
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

    def _yaml_field(self) -> dict:
        """Lists and mixed values (``[q, v]``, ``true`` or ``pissa``), typed as YAML; empty is none."""
        import yaml

        edit = QLineEdit()
        edit.setPlaceholderText("empty: PEFT's default")

        def get() -> Any:
            text = edit.text().strip()
            if not text:
                return None
            try:
                return yaml.safe_load(text)
            except yaml.YAMLError:
                return text

        return dict(editor=edit, paint=[edit], signal=edit.textChanged,
                    put=lambda v: edit.setText("" if v is None else _raw_text(v)), get=get)

    def _text_field(self) -> dict:
        edit = QLineEdit()
        return dict(editor=edit, paint=[edit], signal=edit.textChanged,
                    put=lambda v: edit.setText("" if v is None else _raw_text(v)), get=edit.text)

    # ============================================================================ behaviour
    def _user_edit(self, key: str) -> None:
        if self._filling:
            return
        fld = self._fields[key]
        self._filling = True
        try:
            fld.after_edit()
        finally:
            self._filling = False
        self._edited.add(key)
        if fld.meta.get("path"):
            self._show_resolved_paths()
        self.edited.emit()

    def _show_resolved_paths(self) -> None:
        """Each path field's tooltip says where its value leads and which base was used."""
        cfg = self.config()
        base = cfg.path_base
        for key, fld in self._fields.items():
            kind = fld.meta.get("path")
            value = fld.get()
            if kind not in ("file", "output") or not isinstance(value, str) or not value.strip():
                fld.editor.setToolTip(fld.meta["help"])
                continue
            fld.editor.setToolTip(f"{fld.meta['help']}\n\nResolves to {cfg.resolve_path(value)}\n"
                                  f"({base.describe()})")

    def _mark(self, fld: _Field, problems: list[Problem]) -> None:
        severity = ""
        if problems:
            severity = "error" if any(p.severity == "error" for p in problems) else "warning"
        self._paint(fld, severity)
        fld.message.setText("\n".join(p.message for p in problems))
        fld.message.setVisible(bool(problems))

    @staticmethod
    def _paint(fld: _Field, severity: str, force: bool = False) -> None:
        """Set the ``problem`` property (tests and style read it) and paint it: the frame's
        border, the colour of labels and check boxes, the message under the field."""
        for widget in fld.paint:
            if force or (widget.property("problem") or "") != severity:
                widget.setProperty("problem", severity)
                if isinstance(widget, (QLabel, QCheckBox)):
                    _tint(widget, severity)
                widget.update()
        if force or (fld.message.property("severity") or "") != severity:
            fld.message.setProperty("severity", severity)
            _tint(fld.message, severity)

    def _summary_name(self, key: str) -> str:
        if key in SECTION_TITLES:
            return f"{SECTION_TITLES[key]} section"
        return field_label(key) if key in self._fields else key

    # ============================================================================== layout
    def _arrange(self, columns: int) -> None:
        """One column (Model, Data, Training, LoRA) or two (Model, Data, LoRA | Training)."""
        if columns == self._columns:
            return
        self._columns = columns
        for column in self._column_layouts:
            while column.count():
                column.takeAt(0)
        g = self.groups
        m = self.method_panel
        order = ([[g["model"], g["data"], g["training"], m], []] if columns == 1
                 else [[g["model"], g["data"], m], [g["training"]]])
        for column, boxes in zip(self._column_layouts, order):
            for box in boxes:
                column.addWidget(box)
            column.addStretch(1)
        self._columns_box.setStretch(1, 1 if columns == 2 else 0)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._arrange(2 if event.size().width() >= 900 else 1)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        # A wheel over an unfocused spin box, combo or slider scrolls the form instead of
        # silently changing a value the user was scrolling past.
        if event.type() == QEvent.Type.Wheel and isinstance(watched, QWidget) and not watched.hasFocus():
            QCoreApplication.sendEvent(self.scroll_area.verticalScrollBar(), event)
            return True
        return super().eventFilter(watched, event)

