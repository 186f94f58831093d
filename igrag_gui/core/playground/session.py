"""A playground session: one base model in memory, adapters attached to it by name.

``Session.load(base)`` returns only once the model and tokenizer are loaded, so there is no
session object to generate with while a base model is still loading: the GUI holds no session
until ``load`` returns (it queues or refuses the request itself). Adapters are attached to the
same model through PEFT (``load_adapter``), switched with ``set_adapter`` and bypassed with
``disable_adapter`` for the base model's outputs: never a second copy of the base.

Thread-safety
-------------
Every method may be called from any thread. The model is used by one operation at a time: each
operation that runs or changes it (``stream``, ``generate``, ``side_by_side``, ``add_adapter``,
``remove_adapter``, ``switch_seconds``, ``run_batch``, ``merge_and_save``) takes the session's
model lock **without waiting**; a second caller gets a ``UserError`` saying what is running
("a generation is already running; stop it first", "the adapter 'x' is still loading; ...").
The GUI checks ``busy`` or catches that error and queues. A stream holds the lock from the
``stream`` call until its generation thread ends (``TextStream.stop`` returns after that).
``adapters``, ``memory_bytes``, ``max_source_length``, ``busy``, ``adapter_info`` and
``prepare_prompt`` never wait on a generation (tokenizer calls share a short lock of their own).
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
from .attach import (AdapterMeta, ModuleTable, base_name_warning, check_fits, check_task, default_name,
                     read_adapter)
from .settings import GenerationSettings
from .stream import TextStream

DEMO = "demo"  # Session.load("demo") opens the bundled demo model
BASE_LABEL = "base"  # the base model's label in side-by-side and batch results
EMPTY_PROMPT = ("the prompt is empty; type the text the model should answer (an IGRAG prompt lists "
                "the captions of similar images and the detected objects)")
BUSY_GENERATING = "a generation is already running; stop it first"
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


class _ModelLock:
    """A non-blocking lock that remembers what holds it, for the message a second caller gets.
    Released by whichever thread ends the operation (a stream's generation thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._what = BUSY_GENERATING

    def acquire(self, busy_message: str) -> None:
        if not self._lock.acquire(blocking=False):
            raise UserError(self._what)
        self._what = busy_message

    def release(self) -> None:
        self._lock.release()

    def describe(self, busy_message: str) -> None:
        """Change what a second caller is told (the holder learns more about its own work)."""
        self._what = busy_message

    @contextlib.contextmanager
    def hold(self, busy_message: str) -> Iterator[None]:
        self.acquire(busy_message)
        try:
            yield
        finally:
            self.release()

    @property
    def busy(self) -> bool:
        return self._lock.locked()


def resolve_base(base: str) -> Any:
    """``base`` (a folder, a hub id or ``demo``) as a ``models.ModelRef``; a missing folder or an
    uncached hub id offline is a ``UserError`` before anything loads."""
    from ..config import looks_like_local_path
    from ..models import ModelRef, cached_file, hub_reachable

    if not isinstance(base, str) or not base.strip():
        raise UserError("no base model given; give a model folder, a Hugging Face id or 'demo'")
    base = base.strip()
    if base == DEMO and not Path(base).exists():
        from ...resources import demo_model_path

        return ModelRef(base, folder=demo_model_path().resolve())
    if looks_like_local_path(base, Path.cwd()):
        folder = Path(base).expanduser().resolve()
        if not folder.exists():
            raise UserError(f"base model '{base}' not found: there is no folder '{folder}'; give a model "
                            f"folder (with config.json), a Hugging Face id from the local cache, or "
                            f"'{DEMO}' for the demo model")
        from ..model_folder import check_folder

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
        self._layers_enabled = True  # adapter layers bypassed (base model) or not, see _activate
        self._table = ModuleTable.of(model)
        self._infos: dict[str, AdapterInfo] = {}
        self._metas: dict[str, AdapterMeta] = {}
        self._lock = _ModelLock()
        self._tok_lock = threading.RLock()
        self._memory = _storage_bytes(model)
        self._closed = False

    # ------------------------------------------------------------------------------ loading
    @classmethod
    def load(cls, base: str, progress: Callable[[str], None] | None = None, *,
             max_source_length: int | None = None, trust_remote_code: bool = False,
             device: str | None = None, dtype: Any = None) -> "Session":
        """Load ``base`` (a model folder, a Hugging Face id in the local cache, or ``"demo"``).

        ``progress`` gets a short line per stage. ``max_source_length`` overrides the prompt
        limit (default: the tokenizer's ``model_max_length``). Raises ``UserError``.
        """
        from ..models import load_model, load_model_config, load_tokenizer, model_kind

        say = progress or (lambda line: None)
        if max_source_length is not None and (isinstance(max_source_length, bool) or not isinstance(
                max_source_length, int) or max_source_length < 1):
            raise UserError(f"max_source_length must be a positive whole number, got {max_source_length!r}")
        ref = resolve_base(base)
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
        self._known(name)
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
    def _model(self) -> Any:
        if self._closed:
            raise UserError("this playground session is closed; load a base model again")
        return self._peft if self._peft is not None else self._base_model

    def close(self) -> None:
        """Drop the model (frees its memory once nothing else holds it)."""
        with self._lock.hold("the session is closing"):
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
        with self._lock.hold("an adapter is still loading; wait until it has loaded"):
            name = self._new_name(name, meta.folder)
            self._lock.describe(f"the adapter '{name}' is still loading; wait until it has loaded")
            current = None if self._peft is None else getattr(self._peft.peft_type, "value", self._peft.peft_type)
            if current is not None and current != meta.peft_type:
                raise UserError(f"cannot attach '{meta.given}', a {meta.peft_type} adapter, beside the "
                                f"{current} adapters {', '.join(self._infos)}: PEFT keeps one "
                                f"adapter method per model; remove those first")
            self._load_adapter_weights(meta, name)
            self._infos[name] = AdapterInfo(name, meta.folder, meta.peft_type, meta.task_type, meta.base_model,
                                            meta.num_params, [warning] if warning else [])
            self._metas[name] = meta
            self._memory = _storage_bytes(self._model)
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
        """PEFT does the loading; this only keeps the session's model whole when it fails."""
        from peft import PeftModel
        from peft.auto import MODEL_TYPE_TO_PEFT_MODEL_MAPPING

        config = meta.peft_config
        config.inference_mode = True
        first = self._peft is None
        self._set_layers(True)
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
        self._known(name)
        with self._lock.hold(f"the adapter '{name}' is being removed; try again in a moment"):
            self._known(name)
            self._set_layers(True)
            if len(self._infos) == 1:
                self._base_model = self._unwrap(self._peft)
                self._peft = None
                self._layers_enabled = True
            else:
                self._peft.delete_adapter(name)
                rest = [n for n in self._infos if n != name]
                self._peft.set_adapter(rest[0], inference_mode=True)
            del self._infos[name]
            del self._metas[name]
            self._memory = _storage_bytes(self._model)

    def _known(self, adapter: str | None) -> None:
        if adapter is not None and adapter not in self._infos:
            attached = ", ".join(self._infos) or "none"
            raise UserError(f"no adapter named '{adapter}' is attached (attached: {attached}); add it first")

    @contextlib.contextmanager
    def _activate(self, adapter: str | None) -> Iterator[Any]:
        """The model with ``adapter`` active, or with the adapters bypassed for the base model
        (call with the lock held). Switching is PEFT's: ``set_adapter``, and for the base model
        ``disable_adapter`` (prompt learning) or the tuner's ``disable_adapter_layers`` (LoRA and
        the other layer methods), left disabled until an adapter is asked for again, so that
        consecutive base-model generations switch nothing. Never a reload."""
        self._known(adapter)  # again: it may have been removed since the caller checked
        peft = self._model if self._peft is not None else None
        if peft is None:
            yield self._model
            return
        if peft.active_peft_config.is_prompt_learning:
            if adapter is None:
                with peft.disable_adapter():
                    yield peft
                return
        elif adapter is None:
            self._set_layers(False)
            yield peft
            return
        else:
            self._set_layers(True)
        if peft.active_adapter != adapter:
            peft.set_adapter(adapter, inference_mode=True)
        yield peft

    def _set_layers(self, enabled: bool) -> None:
        """Enable or disable every adapter layer (LoRA-style tuners), through PEFT."""
        if self._peft is None or self._layers_enabled == enabled:
            return
        if enabled:
            self._peft.base_model.enable_adapter_layers()
        else:
            self._peft.base_model.disable_adapter_layers()
        self._peft._adapters_disabled = not enabled
        self._layers_enabled = enabled

    def switch_seconds(self, adapter: str | None) -> float:
        """Seconds to make ``adapter`` (None: the base model) the active one, measured now: from
        the base model for an adapter, from the first adapter for the base model."""
        self._known(adapter)
        with self._lock.hold("a switch measurement is running; try again in a moment"):
            other = None if adapter is not None else next(iter(self._infos), None)
            with self._activate(other):
                pass
            start = time.perf_counter()
            with self._activate(adapter):
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
        self._known(adapter)
        return settings

    def _seed(self, seed: int) -> None:
        import torch

        torch.manual_seed(seed)

    def stream(self, prompt: str, settings: GenerationSettings | None = None, adapter: str | None = None,
               stop: threading.Event | None = None) -> TextStream:
        """Start generating from ``prompt`` with ``adapter`` (None: the base model) and return the
        ``TextStream``: iterate it for text pieces, ``stop()`` it (or set ``stop``) to end it at
        once, read ``.stats`` (``StreamStats``) at the end. Beam search cannot stream: its text
        arrives whole. Raises ``UserError`` (empty prompt, bad settings, busy model) before
        anything runs."""
        settings = self._check(settings, adapter)
        prepared = self.prepare_prompt(prompt)
        self._model  # noqa: B018 - a closed session says so here, not in the thread
        self._lock.acquire(BUSY_GENERATING)
        try:
            return TextStream(self._stream_job(prepared, settings, adapter), self.tokenizer,
                              self._tok_lock, self._lock.release, stop, prepared.truncated,
                              prepared.n_tokens, adapter, settings.streams)
        except BaseException:
            self._lock.release()
            raise

    def _stream_job(self, prepared: PreparedPrompt, settings: GenerationSettings,
                    adapter: str | None) -> Callable[[Any, Any], Any]:
        def run(streamer: Any, criteria: Any) -> Any:
            import torch

            with self._activate(adapter) as model, torch.no_grad():
                model.eval()
                ids = torch.tensor([prepared.input_ids], device=self.device)
                self._seed(settings.seed)
                extra = {"streamer": streamer} if streamer is not None else {}
                out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids),
                                     pad_token_id=self.tokenizer.pad_token_id, stopping_criteria=criteria,
                                     **settings.generate_kwargs(), **extra)
            if streamer is not None:
                return None
            new = out[0, ids.shape[1]:] if self.kind == "causal" else out[0, 1:]
            with self._tok_lock:
                text = self.tokenizer.decode(new, skip_special_tokens=True).strip()
            return text, int(new.numel())

        return run

    def generate(self, prompts: Sequence[str] | str, settings: GenerationSettings | None = None,
                 adapter: str | None = None, batch_size: int = 16) -> list[str]:
        """Texts for ``prompts`` (batched), with ``adapter`` (None: the base model). The same
        tokenisation and ``generate`` call as training's evaluation."""
        settings = self._check(settings, adapter)
        prompts = [prompts] if isinstance(prompts, str) else list(prompts)
        self._check_prompts(prompts)
        with self._lock.hold(BUSY_GENERATING):
            return self._generate_unlocked(prompts, settings, adapter, batch_size)

    def _check_prompts(self, prompts: Sequence[str]) -> None:
        for i, p in enumerate(prompts):
            if not isinstance(p, str) or not p.strip():
                raise UserError(EMPTY_PROMPT if len(prompts) == 1 else f"prompt {i + 1} of {len(prompts)}: "
                                                                        f"{EMPTY_PROMPT}")

    def _generate_unlocked(self, prompts: Sequence[str], settings: GenerationSettings, adapter: str | None,
                           batch_size: int = 16, seed_offset: int = 0) -> list[str]:
        from ..generation import generate_batched

        with self._activate(adapter) as model:
            return generate_batched(model, self.tokenizer, prompts, self.kind, self._max_source,
                                    settings.generate_kwargs(), batch_size, tokenizer_lock=self._tok_lock,
                                    before_batch=lambda start: self._seed(settings.seed + seed_offset + start))

    def side_by_side(self, prompt: str, settings: GenerationSettings | None = None,
                     adapters: Sequence[str | None] | None = None) -> dict[str, str]:
        """The same prompt and seed through the base model and each adapter (default: all
        attached), one after the other: ``{label: text}`` with ``base`` first."""
        settings = self._check(settings, None)
        wanted = [None, *self._infos] if adapters is None else list(adapters)
        for a in wanted:
            self._known(a)
        self._check_prompts([prompt])
        with self._lock.hold(BUSY_GENERATING):
            return {self.label(a): self._generate_unlocked([prompt], settings, a, 1)[0] for a in wanted}
