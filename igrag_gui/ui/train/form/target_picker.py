"""``lora.target_modules`` as a checkable list of the base model's module names.

The list shows each adaptable module name with how often it occurs (``q  ×36``), in the model's
own order. Names the config asks for that the model lacks stay in the list, checked and marked
in red, so that nothing the user wrote disappears silently; ``RunConfig.validate`` says what is
wrong with them. Before the model's modules are known, the list shows the configured names.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QBrush, QFont
from PySide6.QtWidgets import (
    QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget,
)

from ...theme import status_color

NAME_ROLE = Qt.ItemDataRole.UserRole
VISIBLE_ROWS = 8

# Query/value pairs, by naming family: T5, Llama/Mistral/OPT, BERT, GPT-2 (fused qkv).
QV_PAIRS = (("q", "v"), ("q_proj", "v_proj"), ("query", "value"), ("c_attn",),
            ("query_key_value",), ("Wqkv",), ("qkv_proj",))
# Leaf names of attention projections across families.
ATTENTION_NAMES = frozenset({
    "q", "k", "v", "o",                                   # T5
    "q_proj", "k_proj", "v_proj", "o_proj", "out_proj",   # Llama, Mistral, OPT, BART
    "qkv_proj", "query_key_value", "Wqkv", "Wo",           # Phi-3, Falcon/GPT-NeoX, MPT
    "query", "key", "value",                              # BERT family
    "c_attn", "c_proj",                                   # GPT-2 (c_proj is also its MLP out)
})
ATTENTION_PATTERN = re.compile(r"attn|attention|qkv", re.IGNORECASE)


def is_attention(name: str) -> bool:
    return name in ATTENTION_NAMES or bool(ATTENTION_PATTERN.search(name))


class TargetPicker(QWidget):
    """A checkable module list with presets. ``value()`` is the checked names; ``changed()``
    fires when the user changes the selection (checking an item or pressing a preset)."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._modules: dict[str, int] = {}
        self._output_layer: str | None = None
        self._configured: list[str] = []
        self._as_string: str | None = None  # a string target ('all-linear'), kept until touched
        self._updating = False

        self.list_widget = QListWidget()
        self.list_widget.setUniformItemSizes(True)
        self.list_widget.setSpacing(1)
        self._fit_height()
        self.qv_button = QPushButton("FLAN-T5 default (q, v)")
        self.qv_button.setToolTip("Check the query and value projections (q, v; q_proj, v_proj on "
                                  "Llama-style models): the LoRA paper's choice")
        self.attention_button = QPushButton("All attention")
        self.attention_button.setToolTip("Check every attention projection (q, k, v, o or their "
                                         "_proj / c_attn spellings)")
        self.linear_button = QPushButton("All linear")
        self.linear_button.setToolTip("Check every adaptable Linear module except the output layer")
        self.none_button = QPushButton("Clear")
        self.none_button.setToolTip("Uncheck everything")
        self.summary = QLabel()
        self.summary.setObjectName("targetSummary")

        buttons = QVBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        for button in (self.qv_button, self.attention_button, self.linear_button, self.none_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.list_widget, 1, Qt.AlignmentFlag.AlignTop)
        top.addLayout(buttons)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.summary)

        self.list_widget.itemChanged.connect(self._item_changed)
        self.qv_button.clicked.connect(self.check_query_value)
        self.attention_button.clicked.connect(self.check_attention)
        self.linear_button.clicked.connect(self.check_all_linear)
        self.none_button.clicked.connect(lambda: self._apply_preset(set()))
        self._rebuild(set(self._configured))

    # ----------------------------------------------------------------------------- filling
    def set_modules(self, modules: dict[str, int], output_layer: str | None = None) -> None:
        """The model's adaptable module names (in model order) with their counts; an empty dict
        forgets the model. Checked names are kept; checked names the model lacks are marked."""
        self._modules = dict(modules)
        self._output_layer = output_layer
        if self._as_string == "all-linear" and self._modules:
            checked = set(self._linear_names())
        else:
            checked = set(self.checked_names())
        self._rebuild(checked)

    def set_value(self, targets: Any) -> None:
        """Show configured targets: a list of names, or a string such as 'all-linear' (kept as
        it is by ``value()`` until the user changes the selection). Does not emit ``changed``."""
        if isinstance(targets, str):
            self._as_string = targets
            self._configured = [targets]
            checked = set(self._linear_names()) if targets == "all-linear" and self._modules else {targets}
        else:
            self._as_string = None
            items = targets if isinstance(targets, (list, tuple)) else ([] if targets is None else [targets])
            self._configured = list(dict.fromkeys(str(t) for t in items))
            checked = set(self._configured)
        self._rebuild(checked)

    # ------------------------------------------------------------------------------ reading
    def value(self) -> list[str] | str:
        """Checked names in model order, then checked names the model lacks in configured order.
        A configured string ('all-linear') is returned as it is until the user touches the list."""
        if self._as_string is not None:
            return self._as_string
        return self.checked_names()

    def checked_names(self) -> list[str]:
        return [self._name(item) for item in self._items() if item.checkState() == Qt.CheckState.Checked]

    def modules(self) -> dict[str, int]:
        return dict(self._modules)

    def missing_names(self) -> list[str]:
        """Listed names the model lacks (empty while no module list is known)."""
        if not self._modules:
            return []
        return [self._name(item) for item in self._items() if self._name(item) not in self._modules]

    def item(self, name: str) -> QListWidgetItem | None:
        return next((item for item in self._items() if self._name(item) == name), None)

    # ------------------------------------------------------------------------------ presets
    @Slot()
    def check_query_value(self) -> None:
        names = list(self._modules)
        for pair in QV_PAIRS:
            if names and all(p in names for p in pair):
                self._apply_preset(set(pair))
                return
        # No model known, or none of the known spellings: the T5 names (validate will judge).
        self._apply_preset({"q", "v"} if not names else {n for n in names if n in ("q", "v")})

    @Slot()
    def check_attention(self) -> None:
        self._apply_preset({n for n in self._modules if is_attention(n)})

    @Slot()
    def check_all_linear(self) -> None:
        self._apply_preset(set(self._linear_names()))

    def _linear_names(self) -> list[str]:
        return [n for n in self._modules if n != self._output_layer]

    def _apply_preset(self, names: set[str]) -> None:
        self._as_string = None
        self._rebuild(names)
        self.changed.emit()

    # ------------------------------------------------------------------------------ display
    def _items(self) -> Iterable[QListWidgetItem]:
        return (self.list_widget.item(i) for i in range(self.list_widget.count()))

    @staticmethod
    def _name(item: QListWidgetItem) -> str:
        return item.data(NAME_ROLE)

    def _rebuild(self, checked: set[str]) -> None:
        """Model names in order, then any checked (or configured) names the model lacks."""
        listed = list(self._modules)
        extra_pool = [*self._configured, *sorted(checked - set(self._configured))]
        if self._modules:
            # Names the model lacks stay only while checked (or named by the config).
            extra_pool = [n for n in extra_pool if n in checked]
        if self._as_string == "all-linear" and self._modules:
            extra_pool = []  # shown as the linear modules it means
        extras = [n for n in dict.fromkeys(extra_pool) if n not in self._modules]
        self._updating = True
        try:
            self.list_widget.clear()
            for name in listed + extras:
                item = QListWidgetItem()
                item.setData(NAME_ROLE, name)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable
                              | Qt.ItemFlag.ItemIsSelectable)
                item.setCheckState(Qt.CheckState.Checked if name in checked else Qt.CheckState.Unchecked)
                self._dress(item, name)
                self.list_widget.addItem(item)
        finally:
            self._updating = False
        for button in (self.attention_button, self.linear_button):
            button.setEnabled(bool(self._modules))
        self._update_summary()

    def _fit_height(self) -> None:
        """Room for eight names (T5 and Llama have seven or eight), scrolling beyond. The height
        never depends on the list's length: a form that jumps when the model is read is worse."""
        row = self.list_widget.fontMetrics().height() + 2 + 2 * self.list_widget.spacing()
        self.list_widget.setFixedHeight(VISIBLE_ROWS * row + 2 * self.list_widget.frameWidth() + 2)

    def _dress(self, item: QListWidgetItem, name: str) -> None:
        if name in self._modules:
            count = self._modules[name]
            item.setText(f"{name}  ×{count}")
            if name == self._output_layer:
                item.setToolTip(f"'{name}' is the output layer ({count}); 'All linear' leaves it out")
                font = QFont(item.font())
                font.setItalic(True)
                item.setFont(font)
            else:
                item.setToolTip(f"{count} module{'s' if count != 1 else ''} named '{name}'")
        elif not self._modules:
            item.setText(name)
            item.setToolTip("Configured target; the model's modules are not known yet")
        elif name == self._as_string:
            item.setText(f"{name}  (kept as written)")
            item.setToolTip("A string target is passed to PEFT as it is")
        else:
            item.setText(f"{name}  — not in this model")
            item.setForeground(QBrush(status_color("error", self)))
            item.setToolTip(f"The model has no module named '{name}'. It is kept so that nothing "
                            f"is dropped silently; uncheck it or pick one of the model's names.")

    def _update_summary(self) -> None:
        names = self.checked_names()
        if self._as_string is not None:
            text = f"'{self._as_string}'"
            if self._as_string == "all-linear" and self._modules:
                text += f": {len(names)} names, {sum(self._modules[n] for n in names)} modules"
        elif self._modules:
            modules = sum(self._modules.get(n, 0) for n in names)
            text = f"{len(names)} of {len(self._modules)} names checked, {modules} modules"
            missing = [n for n in names if n not in self._modules]
            if missing:
                text += f"; {len(missing)} not in this model"
        else:
            text = f"{len(names)} checked (module counts appear once the model is read)"
        self.summary.setText(text)

    @Slot(QListWidgetItem)
    def _item_changed(self, item: QListWidgetItem) -> None:
        if self._updating:
            return
        if self._as_string is not None:
            self._as_string = None
        self._update_summary()
        self.changed.emit()
