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
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QAbstractSpinBox, QCheckBox, QComboBox, QFormLayout, QFrame, QGroupBox, QHBoxLayout, QLabel,
    QScrollArea, QSizePolicy, QSlider, QVBoxLayout, QWidget,
)

from ....core.config import SECTION_CLASSES, Problem, RunConfig, field_specs
from ....core.methods.registry import METHOD_SPECS, METHODS
from .editors import FieldWidgets, editor_parts, field_label
from .method_panel import MethodPanel
from ...theme import status_hex

SECTION_TITLES = {"model": "Model", "data": "Data", "training": "Training", "lora": "LoRA",
                  **{m: METHOD_SPECS[m].title[:1].upper() + METHOD_SPECS[m].title[1:]
                     for m in METHODS if m != "lora"}}

NARROW_WIDTH = 190
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
        from PySide6.QtCore import QRectF  # QPainter's enums are made on first use: not for the first frame
        from PySide6.QtGui import QPainter, QPen

        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(QColor(status_hex(severity)))
        pen.setWidthF(FRAME_WIDTH)
        painter.setPen(pen)
        half = FRAME_WIDTH / 2
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(half, half, -half, -half), 4, 4)
        painter.end()


class LazyGroups(Mapping[str, QGroupBox]):
    """The form's group boxes by section. A method's group (65 of the form's 105 fields sit in
    groups hidden until their method is chosen) is built the first time it is asked for: shown,
    or one of its fields looked up. Start-up pays for the four groups it shows."""

    def __init__(self, build: Callable[[str], QGroupBox]):
        self._build = build
        self._built: dict[str, QGroupBox] = {}

    def __getitem__(self, section: str) -> QGroupBox:
        if section not in self._built:
            if section not in SECTION_CLASSES:
                raise KeyError(section)
            self._built[section] = self._build(section)
        return self._built[section]

    def __iter__(self) -> Iterator[str]:
        return iter(SECTION_CLASSES)

    def __len__(self) -> int:
        return len(SECTION_CLASSES)

    def is_built(self, section: str) -> bool:
        return section in self._built


class ConfigForm(QWidget):
    """The whole ``RunConfig`` as a form: Model, Data, Training and LoRA group boxes."""

    edited = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._base = RunConfig()
        self._fields: dict[str, FieldWidgets] = {}  # the built groups' fields
        self._all_keys = [f"{section}.{spec.name}" for section in SECTION_CLASSES for spec in field_specs(section)]
        self._problems: list[Problem] = []
        self._edited: set[str] = set()
        self._filling = False
        # where each path leads (a tooltip): worked out once typing pauses, not per keystroke
        self._paths_timer = QTimer(self, singleShot=True, interval=250, timeout=self._show_resolved_paths)

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

        self.method_panel: MethodPanel | None = None
        self.groups = LazyGroups(self._new_group)
        content = QWidget()
        self._columns_box = QHBoxLayout(content)
        self._columns_box.setContentsMargins(6, 6, 6, 6)
        self._columns_box.setSpacing(12)
        self._column_layouts = (QVBoxLayout(), QVBoxLayout())
        for column in self._column_layouts:
            column.setSpacing(10)
            self._columns_box.addLayout(column, 1)
        for section in ("model", "data", "training"):
            self.groups[section]  # noqa: B018 - built now: always in sight
        self._method_edited = False
        self.method_panel = MethodPanel(self.groups)
        self.method_combo, self.method_note = self.method_panel.combo, self.method_panel.note
        self.method_panel.chosen.connect(self._method_chosen)
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
            self.method_panel.set_method(cfg.method)
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
            cfg.method = self.method_panel.method()
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
        self._problems = list(problems)
        by_key: dict[str, list[Problem]] = defaultdict(list)
        for problem in problems:
            by_key[problem.field].append(problem)
            section = problem.field.split(".", 1)[0]
            if problem.field in self._all_keys and not self.groups.is_built(section):
                self.groups[section]  # noqa: B018 - its field is marked like any other
        for key, fld in self._fields.items():
            self._mark(fld, by_key.pop(key, []))
        self.method_panel.set_problems([p.message for p in by_key.pop("method", [])])
        lines = [f"{self._summary_name(key)}: {p.message}" for key, found in by_key.items() for p in found]
        self.summary_label.setText("\n".join(lines))
        self.summary_label.setVisible(bool(lines))

    def editor(self, key: str) -> QWidget:
        """The widget that edits ``section.name`` (``ModelPicker`` for the base model,
        ``LogScaleField`` for the learning rate, ``TargetPicker`` for the target modules)."""
        return self._field(key).editor

    def message_label(self, key: str) -> QLabel:
        """The label under a field that shows its problem (hidden while it has none)."""
        return self._field(key).message

    def row_label(self, key: str) -> QLabel:
        """The name in the left column (empty for check boxes, whose own text names them)."""
        return self._field(key).label

    def field_keys(self) -> list[str]:
        return list(self._all_keys)

    def _field(self, key: str) -> FieldWidgets:
        if key not in self._fields and key in self._all_keys:
            self.groups[key.split(".", 1)[0]]  # noqa: B018 - builds the group that holds it
        return self._fields[key]

    # ============================================================================ building
    def _show_method(self, section: str) -> None:
        self.method_panel.show_method(section)
        # other methods train at their own section's learning rate (shown in their group)
        lr = self._fields["training.learning_rate"]
        lr.editor.setEnabled(section == "lora")
        lr.label.setEnabled(section == "lora")

    @Slot(str)
    def _method_chosen(self, name: str) -> None:
        self._show_method(name if name in METHODS else "lora")
        if self._filling:
            return
        self._method_edited = True
        self.edited.emit()

    def _new_group(self, section: str) -> QGroupBox:
        """Build ``section``'s group; one built after start-up shows the config's values and
        problems as if it had been there all along."""
        box = self._build_group(section)
        if self.method_panel is None:
            return box
        filling, self._filling = self._filling, True  # may be inside set_config
        try:
            for spec in field_specs(section):
                key = f"{section}.{spec.name}"
                self._fields[key].put(getattr(getattr(self._base, section), spec.name))
                self._mark(self._fields[key], [p for p in self._problems if p.field == key])
        finally:
            self._filling = filling
        self.method_panel.place(section, box)
        self._show_resolved_paths()
        return box

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

    def _build_field(self, key: str, spec: dataclasses.Field) -> FieldWidgets:
        meta = dict(spec.metadata)
        label = QLabel(field_label(key))
        message = QLabel()
        message.setWordWrap(True)
        message.setTextFormat(Qt.TextFormat.PlainText)
        message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = message.font()
        font.setPointSizeF(max(font.pointSizeF() - 1, 7))
        message.setFont(font)
        message.hide()
        parts = editor_parts(key, meta, lambda: self.config().base_dir)
        fld = FieldWidgets(key=key, meta=meta, label=label, message=message,
                     **{k: v for k, v in parts.items() if k != "signal"})
        fld.paint = [*fld.paint, label]
        signals = parts["signal"] if isinstance(parts["signal"], tuple) else (parts["signal"],)
        for signal in signals:
            signal.connect(lambda *_, k=key: self._user_edit(k))
        return fld

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
            self._paths_timer.start()
        self.edited.emit()

    def _show_resolved_paths(self) -> None:
        """Each path field's tooltip says where its value leads and which base was used."""
        cfg = self.config()
        base = cfg.path_base
        for key, fld in self._fields.items():
            if fld.meta.get("path") not in ("file", "output"):
                continue  # its tooltip is its help, set when it was built
            value = fld.get()
            if not isinstance(value, str) or not value.strip():
                fld.editor.setToolTip(fld.meta["help"])
                continue
            fld.editor.setToolTip(f"{fld.meta['help']}\n\nResolves to {cfg.resolve_path(value)}\n"
                                  f"({base.describe()})")

    def _mark(self, fld: FieldWidgets, problems: list[Problem]) -> None:
        severity = ""
        if problems:
            severity = "error" if any(p.severity == "error" for p in problems) else "warning"
        self._paint(fld, severity)
        fld.message.setText("\n".join(p.message for p in problems))
        fld.message.setVisible(bool(problems))

    @staticmethod
    def _paint(fld: FieldWidgets, severity: str, force: bool = False) -> None:
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
        return field_label(key) if key in self._all_keys else key

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

