"""The Playground tab: one base model, its adapters by name, prompts streamed side by side.

The model lives in a ``core.playground.Session`` (one copy of the base, adapters switched through
PEFT). Every piece of work is one ``async`` flow run by ``ops`` (load the base, attach an adapter,
remove one, generate, batch, merge), one at a time: the tab's busy state is the running task
(``task``, ``doing``), and the widgets only show it. Text streams into the columns with
``async for`` over the session's ``AsyncTextStream``; Stop cancels the generation's ``TaskState``,
which ends it after the current token. Adapters added and a generation asked for while another
task runs wait for it (and say so) instead of failing.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Coroutine

import shiboken6
from PySide6.QtCore import QSettings, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSplitter, QTabWidget, QVBoxLayout, QWidget

from ...core.errors import UserError
from ...core.playground.session import BASE_LABEL as BASE
from ...core.task_state import TaskState
from ...resources import demo_model_path
from .. import ops
from ..theme import status_hex
from .batch_panel import BatchPanel
from .columns import OutputColumns
from .merge_panel import MergePanel
from .model_panel import ModelPanel
from .prompt_panel import PromptPanel
from .settings_box import SettingsBox

WAITING = "Waiting for the model to load; the generation starts right after."


class PlaygroundTab(QWidget):
    """Load a base model and adapters; write or build a prompt; compare the outputs."""

    status_message = Signal(str)
    merged = Signal(str)  # a merged model folder, a base model for the next run (prompt tuning on top)

    def __init__(self, settings: QSettings | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.settings = settings or QSettings()
        self.session: Any = None  # core.playground.Session once a base model is loaded
        self.task: asyncio.Task | None = None  # the one flow running now
        self.doing = ""  # what it does: "loading", "attaching", "removing", "generating", "batch", "merging"
        self.pending_adapters: list[Path] = []  # asked for while another task ran
        self.queued: tuple[str, Any] | None = None  # a generation (prompt, settings) asked for meanwhile
        self.failure: str | None = None  # the last generation's failure, shown under the buttons
        self.stopped = False  # the last generation was stopped
        self._stop: TaskState | None = None  # the running generation's, for Stop
        self._build()
        self.offer_examples(Path(self.batch.path.text()))
        self._update_buttons()

    # ------------------------------------------------------------------------------------ layout
    def _build(self) -> None:
        self.model_panel = ModelPanel()
        self.model_panel.load_requested.connect(self.load)
        self.model_panel.adapter_chosen.connect(self.add_adapter)
        self.model_panel.remove_requested.connect(self.remove_adapter)
        self.prompt_panel = PromptPanel()
        self.prompt_panel.changed.connect(self._update_buttons)
        self.settings_box = SettingsBox()

        self.generate_button = QPushButton("Generate")
        self.generate_button.setDefault(True)
        self.generate_button.clicked.connect(self.generate)
        self.stop_button = QPushButton("Stop")
        self.stop_button.clicked.connect(self.stop)
        self.reason_label = QLabel()
        self.reason_label.setWordWrap(True)
        run_row = QHBoxLayout()
        run_row.addWidget(self.generate_button)
        run_row.addWidget(self.stop_button)
        run_row.addWidget(self.reason_label, 1)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(8, 8, 4, 8)
        left_layout.addWidget(self.model_panel)
        left_layout.addWidget(self.prompt_panel, 1)
        left_layout.addWidget(self.settings_box)
        left_layout.addLayout(run_row)

        self.outputs = OutputColumns()
        self.batch = BatchPanel()
        self.batch.run_button.clicked.connect(self.run_batch)
        self.batch.status_message.connect(self.status_message)
        self.merge_panel = MergePanel()
        self.merge_panel.button.clicked.connect(self.merge)
        self.merge_panel.merged.connect(self.merged)
        compare_page = QWidget()
        QVBoxLayout(compare_page).addWidget(self.outputs, 1)
        self.pages = QTabWidget()
        self.pages.addTab(compare_page, "Side by side")
        self.pages.addTab(self.batch, "Batch")
        self.pages.addTab(self.merge_panel, "Merge")

        self.splitter = QSplitter()
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.pages)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([420, 860])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)
        self.outputs.set_labels([BASE])
        # the widgets tools and the window reach most
        self.base_picker, self.adapter_list = self.model_panel.base_picker, self.model_panel.adapter_list
        self.prompt_edit, self.max_new_tokens = self.prompt_panel.prompt_edit, self.settings_box.max_new_tokens
        self.columns, self.last_stats = self.outputs.columns, self.outputs.last_stats

    # ------------------------------------------------------------------------------ busy state
    @property
    def loading(self) -> bool:
        return self.doing in ("loading", "attaching")

    @property
    def generating(self) -> bool:
        return self.doing == "generating"

    def is_busy(self) -> bool:
        return self.task is not None

    def _begin(self, doing: str, flow: Coroutine[Any, Any, None]) -> None:
        """Run ``flow`` as the tab's one task (the caller checked that none runs)."""
        self.doing = doing
        self.task = ops.start(self._run(flow), owner=self)
        self._update_buttons()

    async def _run(self, flow: Coroutine[Any, Any, None]) -> None:
        try:
            await flow
        finally:  # cancelled (the tab is going away) or failed: nothing more below
            self.task, self.doing = None, ""
        if shiboken6.isValid(self):
            self._update_buttons()
            self._next()

    def _next(self) -> None:
        """Start what waited for the task that just ended: adapters first, then a generation."""
        if self.task is not None:
            return
        if self.pending_adapters:
            if self.session is None:
                self.load()
            else:
                self._begin("attaching", self._attach_pending())
        elif self.queued is not None and self.session is not None:
            request, self.queued = self.queued, None
            self._begin("generating", self._generate(*request))

    def _update_buttons(self) -> None:
        busy, ready = self.task is not None, self.session is not None
        self.model_panel.set_busy(busy)
        may_queue = self.doing in ("", "loading", "attaching", "removing")  # a generation waits for those
        self.generate_button.setEnabled(may_queue and bool(self.prompt().strip()))
        self.stop_button.setEnabled(self.generating)
        self.batch.set_busy(self.doing == "batch", not busy and ready)
        self.merge_panel.set_busy(not busy and ready)
        if self.generating or self.queued is not None:
            return  # the label says so already
        if not self.prompt().strip():
            self.say("Write or build a prompt to generate.")
        elif not ready and not busy:
            self.say("Generate loads the base model first.")
        elif self.failure:
            self.say(self.failure, "error")
        else:
            self.say("Stopped." if self.stopped else "")

    def say(self, text: str, kind: str = "") -> None:
        self.reason_label.setText(text)
        self.reason_label.setStyleSheet(f"color: {status_hex(kind, self)};" if kind else "")

    # ----------------------------------------------------------------------------- model flows
    @Slot()
    def load(self) -> None:
        """Load the base model; adapters added meanwhile attach after it."""
        if self.task is not None:
            return
        base = self.model_panel.base()
        if not base:
            self.model_panel.say("Choose a base model first.", error=True)
            return
        self._begin("loading", self._load(base))

    async def _load(self, base: str) -> None:
        from ...core.playground.session import Session

        self.session = None
        self.model_panel.clear_adapters()
        self.merge_panel.adapter.clear()
        self.outputs.set_labels([BASE])
        self.model_panel.say(f"Loading {base}…")
        state = ops.gui_state(on_status=self.model_panel.say)
        try:
            session = await ops.run(Session.load, base, progress=state.set_status, demo_folder=demo_model_path())
        except ops.TaskFailed as exc:
            self.queued, self.pending_adapters = None, []
            self.model_panel.say(exc.message, error=True)
            self.say("")
            return
        self.session = session
        self.model_panel.say(f"Loaded {session.base}.")
        self.model_panel.show_memory(session.memory_bytes())
        self.status_message.emit(f"Playground: loaded {session.base}")
        await self._attach_pending()

    def add_adapter(self, path: str | Path) -> None:
        """Attach an adapter: now when the tab is idle, else after the running task (and after
        loading the base model when none is loaded)."""
        self.pending_adapters.append(Path(path))
        if self.task is None:
            self._next()

    async def _attach_pending(self) -> None:
        while self.pending_adapters and self.session is not None:
            await self._attach(self.pending_adapters.pop(0))

    async def _attach(self, path: Path) -> None:
        session = self.session
        self.doing = "attaching"
        self.model_panel.say(f"Attaching {path}…")
        warnings: list[str] = []
        try:
            name = await ops.run(session.add_adapter, path, warn=warnings.append)
        except ops.TaskFailed as exc:
            self.model_panel.say(exc.message, error=True)
            return
        self.model_panel.add_adapter(name, path)
        self.merge_panel.add_adapter(name, path)
        self.model_panel.say(" ".join([f"Loaded {session.base} with adapter '{name}'.", *warnings]))
        self.model_panel.show_memory(session.memory_bytes())
        self.outputs.set_labels([BASE, *self.checked_adapters()])
        await self.show_examples(path)

    def checked_adapters(self) -> list[str]:
        return self.model_panel.checked_adapters()

    @Slot(str)
    def remove_adapter(self, name: str) -> None:
        if self.task is None and self.session is not None:
            self._begin("removing", self._remove(name))

    async def _remove(self, name: str) -> None:
        try:
            await ops.run(self.session.remove_adapter, name)
        except ops.TaskFailed as exc:
            self.model_panel.say(exc.message, error=True)
            return
        self.model_panel.drop_adapter(name)
        self.merge_panel.drop_adapter(name)
        self.outputs.set_labels([BASE, *self.checked_adapters()])
        self.model_panel.show_memory(self.session.memory_bytes())

    # --------------------------------------------------------------------------------- prompt
    def prompt(self) -> str:
        return self.prompt_panel.prompt()

    def build_prompt(self) -> str:
        return self.prompt_panel.build_prompt()

    def offer_examples(self, path: Path) -> None:
        """Offer the first prompts of ``path`` (a config's validation file; at first the batch
        file, the demo's validation data), read at once: the first records of one file take
        milliseconds, and the prompt box is never empty on first sight."""
        from ...core.errors import UserError
        from ...core.playground.examples import validation_examples

        try:
            self.prompt_panel.set_examples(path, validation_examples(path))
        except UserError:
            pass  # nothing to offer; the prompt box works as it is

    async def show_examples(self, adapter: Path) -> None:
        """Offer the validation prompts of the run ``adapter`` comes from, when it names them."""
        from ...core.playground.examples import run_examples

        found = await ops.run(run_examples, adapter, ml=False)
        if found is not None and found[0] != self.prompt_panel.examples_file and shiboken6.isValid(self):
            self.prompt_panel.set_examples(*found)

    # ----------------------------------------------------------------------------- generation
    def generation_settings(self) -> Any:
        return self.settings_box.settings()

    @Slot()
    def generate(self) -> bool:
        """Generate the prompt through the base model and each checked adapter, in columns.
        While the model loads, the request waits for it; an empty prompt is refused."""
        self.failure, self.stopped = None, False
        prompt = self.prompt()
        if not prompt.strip():
            self.say("The prompt is empty: write one or build it from captions and objects.")
            return False
        if self.generating:
            return False
        settings = self.generation_settings()
        problems = settings.validate()
        if problems:
            self.say("; ".join(problems), "error")
            return False
        if self.session is None or self.task is not None:
            self.queued = (prompt, settings)
            self.say(WAITING if self.session is None else f"Waiting for the {self.doing} to finish; the "
                                                          f"generation starts right after.")
            if self.task is None:
                self.load()
            return True
        self._begin("generating", self._generate(prompt, settings))
        return True

    async def _generate(self, prompt: str, settings: Any) -> None:
        session = self.session
        labels = [BASE, *self.checked_adapters()]
        self.outputs.start(labels)
        self._show_prompt_size(session.prepare_prompt(prompt), session.max_source_length)
        self._stop = stop = TaskState()
        self.say("Generating…")
        try:
            for label in labels:
                if stop.cancelled():
                    break
                await self._stream_column(session, prompt, settings, label, stop)
        except ops.TaskFailed as exc:  # the worker's failure, as the sentence to show
            self.failure = exc.message
        except UserError as exc:  # refused on this thread before any work (e.g. the session closed)
            self.failure = "\n".join(exc.lines)
        finally:
            self._stop = None
        self.stopped = stop.cancelled()

    async def _stream_column(self, session: Any, prompt: str, settings: Any, label: str, stop: TaskState) -> None:
        """One model's answer into its column, piece by piece, as the worker generates it."""
        stream = session.async_stream(prompt, settings, None if label == BASE else label)
        work = asyncio.ensure_future(ops.run(stream.run, state=stop))
        try:
            async for piece in stream:
                self.outputs.append(label, piece)
        except asyncio.CancelledError:  # the tab is going away: the worker stops at its next token
            stop.cancel()
            raise
        self.outputs.finish(label, await work)

    def _show_prompt_size(self, prepared: Any, limit: int) -> None:
        if prepared.truncated:
            self.prompt_panel.show_note(f"⚠ The prompt is {prepared.n_tokens:,} tokens, longer than the model's "
                                        f"limit of {limit:,}: it was truncated to fit.", "warning")
        else:
            self.prompt_panel.show_note(f"{prepared.n_tokens:,} prompt tokens")

    @Slot()
    def stop(self) -> None:
        """End the generation now (after the current token) and forget a queued one."""
        if self.queued is not None:
            self.queued = None
            self._update_buttons()
        if self._stop is not None:
            self._stop.cancel()

    # ------------------------------------------------------------------------------ batch, merge
    @Slot()
    def run_batch(self) -> None:
        if self.task is None and self.session is not None:
            adapters: list[str | None] = [None, *self.checked_adapters()]
            self._begin("batch", self.batch.run(self.session, adapters, self.generation_settings()))

    @property
    def batch_result(self) -> Any:
        return self.batch.result

    @Slot()
    def merge(self) -> None:
        if self.task is not None or self.session is None:
            return
        request = self.merge_panel.request()
        if request is not None:
            self._begin("merging", self.merge_panel.run(self.session, *request))

    def set_base_model(self, model: str) -> None:
        """Offer ``model`` as the base to load, unless a base is loaded or loading already."""
        if self.session is None and not self.is_busy():
            self.base_picker.setText(model)
