"""A playground session: one base model in memory, adapters attached to it by name.

``Session.load(base)`` returns only once the model and tokenizer are loaded, so there is no
session object to generate with while a base model is still loading: the GUI holds no session
until ``load`` returns (it queues or refuses the request itself). Adapters are attached to the
same model through PEFT (``load_adapter``), switched with ``set_adapter`` and bypassed with
``disable_adapter()`` for the base model's outputs: never a second copy of the base.

Thread-safety
-------------
Every method may be called from any thread. The model is used by one operation at a time: every
operation that runs or changes it goes through ``with session.exclusive(busy_message) as use:``
(``stream``, ``generate``, ``side_by_side``, ``add_adapter``, ``remove_adapter``,
``switch_seconds`` here; ``run_batch`` and ``merge_and_save`` beside it), which takes the model
**without waiting**: a second caller gets a ``UserError`` saying what is running ("a generation
is already running; stop it first", "the adapter 'x' is still loading; ..."). A stream holds the
model from the ``stream`` call until its generation thread ends (``TextStream.stop`` returns
after that). ``adapters``, ``memory_bytes``, ``max_source_length``, ``busy``, ``adapter_info``,
``check_adapter``, ``check_prompts`` and ``prepare_prompt`` never wait on a generation (tokenizer
calls share the short ``tokenizer_lock``).
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, NamedTuple, Sequence

from ..errors import UserError
from ..task_state import TaskState
from ..torch_thread import call as call_on_torch_thread, runs_on_torch_thread
from .attach import (AdapterMeta, ModuleTable, base_name_warning, check_fits, check_task, default_name,
                     read_adapter)
from .exclusive import BUSY_GENERATING, ModelLock, ModelUse
from .settings import GenerationSettings
from .stream import AsyncTextStream, TextStream

DEMO = "demo"  # Session.load("demo", demo_folder=...) opens the demo model its client names
BASE_LABEL = "base"  # the base model's label in side-by-side and batch results
EMPTY_PROMPT = ("the prompt is empty; type the text the model should answer (an IGRAG prompt lists "
                "the captions of similar images and the detected objects)")
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class PreparedPrompt(NamedTuple):
    """What the model will read: token ids (cut to the limit), whether they were cut, and how
    many tokens the whole prompt has."""

    input_ids: list[int]
    truncated: bool
    n_tokens: int


@dataclass
class AdapterInfo:
    name: str
    path: Path
    peft_type: str
    task_type: str | None
    base_model: str | None
    num_params: int | None
    warnings: list[str] = field(default_factory=list)
    prompt_learning: bool = False  # virtual tokens (prompt tuning and kin): nothing to merge


def resolve_base(base: str, demo_folder: Path | None = None) -> Any:
    """``base`` (a folder, a hub id or ``demo``) as a ``models.ModelRef``; a missing folder or an
    uncached hub id offline is a ``UserError`` before anything loads. ``demo`` names
    ``demo_folder``, which the app's clients pass (the core never reads the app's resources)."""
    from ..models.ref import looks_like_local_path
    from ..models.loading import ModelRef, cached_file, hub_reachable

    if not isinstance(base, str) or not base.strip():
        raise UserError("no base model given; give a model folder, a Hugging Face id or 'demo'")
    base = base.strip()
    if base == DEMO and not Path(base).exists():
        if demo_folder is None:
            raise UserError(f"'{DEMO}' names the app's demo model, which is not offered here; give a model "
                            f"folder or a Hugging Face id")
        return ModelRef(base, folder=Path(demo_folder).resolve())
    if looks_like_local_path(base, Path.cwd()):
        folder = Path(base).expanduser().resolve()
        if not folder.exists():
            raise UserError(f"base model '{base}' not found: there is no folder '{folder}'; give a model "
                            f"folder (with config.json), a Hugging Face id from the local cache, or "
                            f"'{DEMO}' for the demo model")
        from ..models.folder import check_folder

        check_folder(folder)
        return ModelRef(base, folder=folder)
    ref = ModelRef(base, hub_id=base)
    if cached_file(ref, "config.json") is None and not hub_reachable():
        raise UserError(f"base model '{base}' is not in the local Hugging Face cache and the hub cannot "
                        f"be reached; on a machine with internet run `hf download {base}`, or give a "
                        f"local model folder")
    return ref


def _model_limit(tokenizer: Any, hf_config: Any) -> int:
    """The longest prompt the model takes: the tokenizer's ``model_max_length`` and the model's
    position table (``n_positions`` / ``max_position_embeddings``), the smaller when both say."""
    limits = []
    limit = getattr(tokenizer, "model_max_length", None)
    if isinstance(limit, int) and 0 < limit < 1_000_000:
        limits.append(limit)
    for name in ("n_positions", "max_position_embeddings"):
        value = getattr(hf_config, name, None)
        if isinstance(value, int) and value > 0:
            limits.append(value)
            break
    return min(limits) if limits else 512


def _storage_bytes(model: Any) -> int:
    """Bytes of the model's tensors (parameters and buffers), each storage counted once."""
    import itertools

    seen: set[tuple[int, str]] = set()
    total = 0
    for t in itertools.chain(model.parameters(), model.buffers()):
        storage = t.untyped_storage()
        key = (storage.data_ptr(), str(t.device))
        if key in seen:
            continue
        seen.add(key)
        total += storage.nbytes()
    return total


class Session:
    """One base model, its tokenizer and the adapters attached to it. Make it with ``load``."""

    def __init__(self, *, base: str, ref: Any, model: Any, tokenizer: Any, kind: str, hf_config: Any,
                 max_source_length: int, device: Any):
        self.base = base  # the resolved folder or hub id: what messages name
        self.ref = ref
        self.kind = kind
        self.device = device
        self.tokenizer = tokenizer
        self.hf_config = hf_config
        self._max_source = int(max_source_length)
        self._base_model = model
        self._peft: Any = None
        self._table = ModuleTable.of(model)
        self._infos: dict[str, AdapterInfo] = {}
        self._lock = ModelLock()
        self._tok_lock = threading.RLock()
        self._memory = _storage_bytes(model)
        self._closed = False

    # ------------------------------------------------------------------------------ loading
    @classmethod
    @runs_on_torch_thread
    def load(cls, base: str, progress: Callable[[str], None] | None = None, *,
             demo_folder: Path | None = None, max_source_length: int | None = None, trust_remote_code: bool = False,
             device: str | None = None, dtype: Any = None) -> "Session":
        """Load ``base`` (a model folder, a Hugging Face id in the local cache, or ``"demo"``).

        ``progress`` gets a short line per stage; ``demo_folder`` is what ``"demo"`` opens. ``max_source_length`` overrides the prompt
        limit (default: the tokenizer's ``model_max_length``). Raises ``UserError``.
        """
        from ..models.loading import load_model, load_model_config, load_tokenizer, model_kind

        say = progress or (lambda line: None)
        if max_source_length is not None and (isinstance(max_source_length, bool) or not isinstance(
                max_source_length, int) or max_source_length < 1):
            raise UserError(f"max_source_length must be a positive whole number, got {max_source_length!r}")
        ref = resolve_base(base, demo_folder)
        label = str(ref)
        say(f"reading the config of {label}")
        hf_config = load_model_config(ref, trust_remote_code)
        kind = model_kind(hf_config)
        say("loading the tokenizer")
        tokenizer = load_tokenizer(ref, trust_remote_code)
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token
        say("loading the weights")
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        model = load_model(ref, kind, trust_remote_code, dtype)
        import torch

        target = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        model.to(target)
        model.eval()
        session = cls(base=label, ref=ref, model=model, tokenizer=tokenizer, kind=kind, hf_config=hf_config,
                      max_source_length=max_source_length or _model_limit(tokenizer, hf_config),
                      device=target)
        say(f"ready: {label}, {sum(p.numel() for p in model.parameters()):,} parameters, "
            f"{session.memory_bytes() / 2**20:.1f} MiB on {target}")
        return session

    # ------------------------------------------------------------------------------ state
    @property
    def adapters(self) -> list[str]:
        """Names of the attached adapters, in the order they were attached."""
        return list(self._infos)

    def adapter_info(self, name: str) -> AdapterInfo:
        self.check_adapter(name)
        return self._infos[name]

    @property
    def max_source_length(self) -> int:
        """Longest prompt in tokens; longer ones are cut (and say so)."""
        return self._max_source

    @property
    def busy(self) -> bool:
        """Whether an operation holds the model now (a new one would get a ``UserError``)."""
        return self._lock.busy

    def memory_bytes(self) -> int:
        """Bytes of the model's tensors in memory: the base once, plus every attached adapter."""
        return self._memory

    def label(self, adapter: str | None) -> str:
        return BASE_LABEL if adapter is None else adapter

    @property
    def model(self) -> Any:
        """The model in memory (a ``PeftModel`` once adapters are attached). To run or change it,
        use ``exclusive``; reading it (parameters, dtype) is safe any time."""
        if self._closed:
            raise UserError("this playground session is closed; load a base model again")
        return self._peft if self._peft is not None else self._base_model

    @property
    def tokenizer_lock(self) -> Any:
        """Hold it around any call of ``tokenizer`` from a worker thread (a fast tokenizer's
        padding and truncation settings are changed per call)."""
        return self._tok_lock

    def exclusive(self, busy_message: str) -> contextlib.AbstractContextManager[ModelUse]:
        """``with session.exclusive("a batch run is using the model; ...") as use:``: the model for
        this operation alone, reached through ``use`` (a ``ModelUse``). Never waits: while another
        operation holds the model this raises ``UserError`` with *that* operation's message
        (``busy_message`` is what later callers are told while this one runs)."""
        return self._exclusive(busy_message)

    @contextlib.contextmanager
    def _exclusive(self, busy_message: str) -> Iterator[ModelUse]:
        use = self.begin_exclusive(busy_message)
        try:
            yield use
        finally:
            use.end()

    def begin_exclusive(self, busy_message: str) -> ModelUse:
        """``exclusive`` without a ``with`` block, for an operation that ends on another thread
        (a stream): whoever ends it calls ``use.end()`` exactly once."""
        self._lock.acquire(busy_message)
        return ModelUse(self, self._lock)

    def close(self) -> None:
        """Drop the model (frees its memory once nothing else holds it)."""
        with self.exclusive("the session is closing"):
            self._closed = True
            self._peft = self._base_model = None
            self._memory = 0

    # ------------------------------------------------------------------------------ adapters
    def add_adapter(self, path: str | Path, name: str | None = None,
                    warn: Callable[[str], None] | None = None) -> str:
        """Attach the adapter saved in ``path`` (a folder, or its config or weights file) under
        ``name`` (default: from the folder name) and return the name. Refuses (``UserError``) an
        adapter that cannot generate with this base or was made for another one; ``warn`` gets
        the warning when it names another base model but fits (see ``attach``)."""
        meta = read_adapter(path)
        check_task(meta, self.kind, self.base)
        check_fits(meta, self._table, self.hf_config, self.base)
        warning = base_name_warning(meta, self.base)
        with self.exclusive("an adapter is still loading; wait until it has loaded") as use:
            name = self._new_name(name, meta.folder)
            use.describe(f"the adapter '{name}' is still loading; wait until it has loaded")
            current = None if self._peft is None else getattr(self._peft.peft_type, "value", self._peft.peft_type)
            if current is not None and current != meta.peft_type:
                raise UserError(f"cannot attach '{meta.given}', a {meta.peft_type} adapter, beside the "
                                f"{current} adapters {', '.join(self._infos)}: PEFT keeps one "
                                f"adapter method per model; remove those first")
            call_on_torch_thread(self._load_adapter_weights, meta, name)  # the lock is held here
            self._infos[name] = AdapterInfo(name, meta.folder, meta.peft_type, meta.task_type, meta.base_model,
                                            meta.num_params, [warning] if warning else [],
                                            bool(meta.is_prompt_learning))
            self._memory = _storage_bytes(self.model)
        if warning and warn is not None:
            warn(warning)
        return name

    def _new_name(self, name: str | None, folder: Path) -> str:
        if name is not None:
            if not isinstance(name, str) or not _NAME.match(name) or name == BASE_LABEL:
                raise UserError(f"'{name}' cannot name an adapter: use up to 64 letters, digits, '-' and "
                                f"'_' (and not '{BASE_LABEL}', which means the base model)")
            if name in self._infos:
                raise UserError(f"an adapter named '{name}' is already attached; choose another name")
            return name
        stem = default_name(folder)
        if stem == BASE_LABEL:
            stem = f"{stem}-adapter"
        candidate, n = stem, 2
        while candidate in self._infos:
            candidate, n = f"{stem}-{n}", n + 1
        return candidate

    def _load_adapter_weights(self, meta: AdapterMeta, name: str) -> None:
        """PEFT does the loading; this only keeps the session's model whole when it fails.
        Bottleneck adapters (AdapterHub's layout) are ours: one at a time, in the base model."""
        if meta.peft_config is None:
            from ..methods import bottleneck

            current = bottleneck.state_of(self._base_model)
            if current is not None:
                raise UserError(f"cannot attach '{meta.given}' beside the bottleneck adapter "
                                f"{', '.join(self._infos)}: igrag keeps one bottleneck adapter per model; "
                                f"remove it first")
            bottleneck.load(self._base_model, meta.folder)
            self._base_model.eval()
            return
        from peft import PeftModel
        from peft.auto import MODEL_TYPE_TO_PEFT_MODEL_MAPPING

        config = meta.peft_config
        config.inference_mode = True
        first = self._peft is None
        peft: Any = self._peft
        try:
            mapping = None
            if first:
                cls = MODEL_TYPE_TO_PEFT_MODEL_MAPPING.get(config.task_type, PeftModel)
                if not config.is_prompt_learning:
                    mapping = getattr(self._base_model, "_checkpoint_conversion_mapping", None) or None
                peft = cls(self._base_model, config, adapter_name=name)
            result = peft.load_adapter(str(meta.folder), adapter_name=name, key_mapping=mapping)
            missing = [k for k in result.missing_keys if name in k]
            if missing:
                raise UserError(f"adapter '{meta.given}' holds no weights for {len(missing)} of its "
                                f"tensors (e.g. {missing[0]}); its files are incomplete: save it again "
                                f"with save_pretrained")
        except Exception as exc:
            if first:
                if peft is not None:
                    self._base_model = self._unwrap(peft)
            elif name in self._peft.peft_config:
                self._peft.delete_adapter(name)
            if isinstance(exc, UserError):
                raise
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise UserError(f"PEFT cannot attach adapter '{meta.given}' to '{self.base}': {first_line}; "
                            f"check that it was trained on this base model") from None
        if first:
            self._peft = peft
        self._peft.eval()

    @staticmethod
    def _unwrap(peft: Any) -> Any:
        """The plain base model back from a PeftModel (LoRA layers removed, weights unchanged)."""
        if peft.active_peft_config.is_prompt_learning:
            return peft.base_model
        return peft.base_model.unload()

    def remove_adapter(self, name: str) -> None:
        """Detach ``name``; the last one leaves the plain base model (PEFT's layers removed)."""
        self.check_adapter(name)
        with self.exclusive(f"the adapter '{name}' is being removed; try again in a moment"):
            self.check_adapter(name)
            if self._peft is None:  # a bottleneck adapter, inside the base model
                from ..methods import bottleneck

                bottleneck.remove(self._base_model)
            elif len(self._infos) == 1:
                self._base_model = self._unwrap(self._peft)
                self._peft = None
            else:
                self._peft.delete_adapter(name)
                rest = [n for n in self._infos if n != name]
                self._peft.set_adapter(rest[0], inference_mode=True)
            del self._infos[name]
            self._memory = _storage_bytes(self.model)

    def check_adapter(self, adapter: str | None) -> None:
        """``UserError`` unless ``adapter`` is attached (None, the base model, always is)."""
        if adapter is not None and adapter not in self._infos:
            attached = ", ".join(self._infos) or "none"
            raise UserError(f"no adapter named '{adapter}' is attached (attached: {attached}); add it first")

    def switch_seconds(self, adapter: str | None) -> float:
        """Seconds to make ``adapter`` (None: the base model) the active one, measured now: from
        the base model for an adapter, from the first adapter for the base model."""
        self.check_adapter(adapter)
        with self.exclusive("a switch measurement is running; try again in a moment") as use:
            other = None if adapter is not None else next(iter(self._infos), None)
            with use.active(other):
                pass
            start = time.perf_counter()
            with use.active(adapter):
                pass
            return time.perf_counter() - start

    # ------------------------------------------------------------------------------ prompts
    def prepare_prompt(self, text: str) -> PreparedPrompt:
        """The token ids the model will read for ``text``, cut to ``max_source_length`` (keeping
        the end token, as training does); ``UserError`` for an empty prompt."""
        if not isinstance(text, str) or not text.strip():
            raise UserError(EMPTY_PROMPT)
        with self._tok_lock:
            ids = list(self.tokenizer(text, add_special_tokens=True, truncation=False,
                                      verbose=False)["input_ids"])
        limit, n = self._max_source, len(ids)
        if n <= limit:
            return PreparedPrompt(ids, False, n)
        eos = self.tokenizer.eos_token_id
        if self.kind == "seq2seq" and eos is not None and ids[-1] == eos:
            kept = ids[:limit - 1] + [eos]
        else:
            kept = ids[:limit]
        return PreparedPrompt(kept, True, n)

    def truncation_warning(self, n_tokens: int) -> str:
        return (f"the prompt is {n_tokens:,} tokens long, over the model's limit of {self._max_source:,}; "
                f"only the first {self._max_source:,} are used")

    # ------------------------------------------------------------------------------ generating
    def _check(self, settings: GenerationSettings | None, adapter: str | None) -> GenerationSettings:
        settings = settings or GenerationSettings()
        problems = settings.validate()
        if problems:
            raise UserError(*problems)
        self.check_adapter(adapter)
        return settings

    def stream(self, prompt: str, settings: GenerationSettings | None = None, adapter: str | None = None,
               state: TaskState | None = None) -> TextStream:
        """Start generating from ``prompt`` with ``adapter`` (None: the base model) and return the
        ``TextStream``: iterate it for text pieces, ``stop()`` it (or cancel ``state``) to end it at
        once, read ``.stats`` (``StreamStats``) at the end. Beam search cannot stream: its text
        arrives whole. Raises ``UserError`` (empty prompt, bad settings, busy model) before
        anything runs. (The GUI's asyncio twin is ``stream.AsyncTextStream``.)"""
        settings = self._check(settings, adapter)
        prepared = self.prepare_prompt(prompt)
        self.model  # noqa: B018 - a closed session says so here, not in the thread
        use = self.begin_exclusive(BUSY_GENERATING)
        try:
            return TextStream(lambda streamer, criteria: use.stream(prepared, settings, adapter, streamer, criteria),
                              self.tokenizer, self._tok_lock, use.end, state, prepared.truncated,
                              prepared.n_tokens, adapter, settings.streams)
        except BaseException:
            use.end()
            raise

    def async_stream(self, prompt: str, settings: GenerationSettings | None = None,
                     adapter: str | None = None) -> AsyncTextStream:
        """``stream``'s asyncio twin, for a GUI on an asyncio loop: call it on the loop's thread,
        hand ``.run`` to a worker (it takes the model then, and raises the busy ``UserError``
        there), and ``async for`` the pieces. Checks the prompt and settings here, at once."""
        settings = self._check(settings, adapter)
        prepared = self.prepare_prompt(prompt)
        self.model  # noqa: B018 - a closed session says so here

        def job(streamer: Any, criteria: Any) -> Any:
            with self.exclusive(BUSY_GENERATING) as use:
                return use.stream(prepared, settings, adapter, streamer, criteria)

        return AsyncTextStream(job, self.tokenizer, self._tok_lock, prepared.truncated, prepared.n_tokens, adapter,
                               settings.streams)

    def generate(self, prompts: Sequence[str] | str, settings: GenerationSettings | None = None,
                 adapter: str | None = None, batch_size: int = 16) -> list[str]:
        """Texts for ``prompts`` (batched), with ``adapter`` (None: the base model). The same
        tokenisation and ``generate`` call as training's evaluation."""
        settings = self._check(settings, adapter)
        prompts = [prompts] if isinstance(prompts, str) else list(prompts)
        self.check_prompts(prompts)
        with self.exclusive(BUSY_GENERATING) as use:
            return use.generate(prompts, settings, adapter, batch_size)

    def check_prompts(self, prompts: Sequence[str]) -> None:
        """``UserError`` naming the first empty prompt."""
        for i, p in enumerate(prompts):
            if not isinstance(p, str) or not p.strip():
                raise UserError(EMPTY_PROMPT if len(prompts) == 1 else f"prompt {i + 1} of {len(prompts)}: "
                                                                        f"{EMPTY_PROMPT}")

    def side_by_side(self, prompt: str, settings: GenerationSettings | None = None,
                     adapters: Sequence[str | None] | None = None) -> dict[str, str]:
        """The same prompt and seed through the base model and each adapter (default: all
        attached), one after the other: ``{label: text}`` with ``base`` first."""
        settings = self._check(settings, None)
        wanted = [None, *self._infos] if adapters is None else list(adapters)
        for a in wanted:
            self.check_adapter(a)
        self.check_prompts([prompt])
        with self.exclusive(BUSY_GENERATING) as use:
            return {self.label(a): use.generate([prompt], settings, a, 1)[0] for a in wanted}
