"""Which engine writes a batch's captions: transformers (the model in the session) or CTranslate2
(the same weights, the adapter merged in, converted; see ``ct2_cache``).

- ``transformers``: ``ModelUse.generate``, exactly training's evaluation.
- ``ct2``: the converted model, greedy (``beam_size=1``), ``max_decoding_length =
  max_new_tokens``, on the prompt's token ids cut as the session cuts them. Used wherever it can
  run; where it cannot (not installed, a causal model, sampling or beams, a prompt-learning
  adapter, a failed conversion or an engine error), that label falls back to transformers with
  a one-line reason, and its captions are transformers'.
- ``auto``: CTranslate2 only where it gives the same greedy captions: the first images (one batch
  per CTranslate2 worker) are captioned by both, and CTranslate2 takes the rest only if every
  caption of those is identical (their captions are transformers' either way). With
  ``quantization`` other than float32 identical captions are not expected, so ``auto`` then takes
  CTranslate2 once it runs and reports the share of identical captions on the first images.

Why merge-then-convert: a merged LoRA is the same function as base + adapter up to float
rounding (``merge.py`` checks logits to 1e-3), and CTranslate2 runs a plain Transformer faster
than PyTorch's eager generate on CPU (fused kernels, no Python per token). Prompt tuning and
other prompt-learning methods have no weights to merge, so they stay on transformers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Sequence

from ..errors import UserError

if TYPE_CHECKING:  # pragma: no cover
    from .session import Session
    from .settings import GenerationSettings

ENGINES = ("auto", "transformers", "ct2")
QUANTIZATIONS = ("float32", "int8", "int8_float32", "int16", "float16", "bfloat16", "int8_float16", "int8_bfloat16")


def check_request(engine: str, quantization: str | None) -> None:
    """``UserError`` for an unknown engine or quantization, or a quantization without CTranslate2."""
    if engine not in ENGINES:
        raise UserError(f"engine must be one of {', '.join(ENGINES)}, got '{engine}'")
    if quantization is None:
        return
    if quantization not in QUANTIZATIONS:
        raise UserError(f"quantization must be one of {', '.join(QUANTIZATIONS)}, got '{quantization}'")
    if engine == "transformers":
        raise UserError(f"quantization {quantization} applies to the CTranslate2 engine; use --engine ct2 or "
                        f"auto, or leave --quantization out")


def unavailable(session: "Session", adapter: str | None, settings: "GenerationSettings",
                quantization: str | None) -> str | None:
    """Why CTranslate2 cannot caption for ``adapter`` with ``settings`` (one line), or None."""
    try:
        import ctranslate2
    except ImportError:
        return "CTranslate2 is not installed (pip install ctranslate2)"
    if session.kind != "seq2seq":
        return "the CTranslate2 engine runs encoder-decoder models here, and this one is causal"
    if settings.do_sample or settings.num_beams != 1 or settings.repetition_penalty != 1.0 or settings.min_new_tokens:
        return "the CTranslate2 engine is used for plain greedy decoding only (these settings sample, use " \
               "beams, a repetition penalty or a minimum length)"
    if adapter is not None:
        info = session.adapter_info(adapter)
        if info.prompt_learning:
            return (f"a {info.peft_type} adapter adds virtual tokens to the input instead of weights, so it "
                    f"cannot be merged into a model CTranslate2 runs")
    device = getattr(session.device, "type", str(session.device))
    if device not in ("cpu", "cuda"):
        return f"CTranslate2 does not run on {device}"
    if device == "cuda" and ctranslate2.get_cuda_device_count() < 1:
        return "this CTranslate2 build has no CUDA support"
    if quantization and quantization != "float32" and quantization not in ctranslate2.get_supported_compute_types(device):
        return f"CTranslate2 on {device} does not support {quantization}"
    return None


class Ct2Captioner:
    """A converted model that captions prompts as the session would (same token ids in, greedy).

    On CPU it runs ``workers`` batches at once, one thread each (CTranslate2's ``inter_threads``),
    instead of one batch over all threads: two one-thread workers keep both cores busy where one
    two-thread GEMM on a few rows leaves them waiting on each other. Its batches are planned by
    ``plan_batches`` within the user's memory bound: all workers together hold no more padded
    prompt tokens than one batch of ``batch_size`` prompts at ``max_source_length`` (what the user
    already lets transformers hold), so short prompts make larger batches and long ones smaller
    (``docs/performance.md`` has the memory and the speed measured)."""

    def __init__(self, session: "Session", folder: Any):
        import ctranslate2
        import torch

        device = getattr(session.device, "type", str(session.device))
        self._session = session
        threads = torch.get_num_threads()
        self.workers = max(1, threads) if device == "cpu" else 1
        self.translator = ctranslate2.Translator(str(folder), device=device, compute_type="default",
                                                 inter_threads=self.workers,
                                                 intra_threads=max(1, threads // self.workers))
        # Building a Translator sets the process's OpenMP thread count (which torch shares) to its
        # intra_threads: give torch back its own, or training and the Playground run on one core.
        torch.set_num_threads(threads)

    def limits(self, batch_size: int) -> tuple[int, int]:
        """(examples, padded prompt tokens) one batch may hold: the user's batch at full length
        shared among the workers (never less than one full-length prompt, so a batch of 1 on 2
        workers may hold two at once), and up to ``batch_size x workers`` prompts when short."""
        tokens = batch_size * self._session.max_source_length
        return batch_size * self.workers, max(self._session.max_source_length, tokens // self.workers)

    def images_per_step(self, batch_size: int) -> int:
        """How many prompts to hand ``generate`` at a time: enough to fill every worker's batch."""
        return self.limits(batch_size)[0] * self.workers

    def generate(self, prompts: Sequence[str], max_new_tokens: int, batch_size: int) -> list[str]:
        session = self._session
        tokenizer = session.tokenizer
        sources = []
        for prompt in prompts:
            ids = session.prepare_prompt(prompt).input_ids
            with session.tokenizer_lock:
                sources.append(tokenizer.convert_ids_to_tokens(ids))
        most, tokens = self.limits(batch_size)
        batches = plan_batches([len(s) for s in sources], most, tokens, self.workers)
        # One job per batch, all queued at once: each worker takes the next as soon as it is free.
        pending = [(batch, self.translator.translate_batch([sources[i] for i in batch], asynchronous=True,
                                                           beam_size=1, max_decoding_length=max_new_tokens,
                                                           num_hypotheses=1))
                   for batch in batches]
        texts = [""] * len(sources)
        for batch, results in pending:
            for i, result in zip(batch, results):
                hypothesis = result.result().hypotheses[0]
                with session.tokenizer_lock:
                    ids = tokenizer.convert_tokens_to_ids(hypothesis)
                    texts[i] = tokenizer.decode(ids, skip_special_tokens=True).strip()
        return texts


def plan_batches(lengths: Sequence[int], most: int, tokens: int, workers: int) -> list[list[int]]:
    """CTranslate2's batches for prompts of ``lengths`` (indices, each exactly once): sorted by
    length so little is padding, each holding at most ``most`` prompts and at most ``tokens``
    padded tokens (its count times its longest; a prompt longer than that alone), in a number of
    batches that is a multiple of ``workers`` where there are enough prompts, as even as can be, so
    no worker waits for another's extra batch."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    if not order:
        return []
    count = -(-len(order) // max(1, most))
    count = min(len(order), -(-count // workers) * workers)
    while True:
        small, extra = divmod(len(order), count)
        batches, start = [], 0
        for b in range(count):
            size = small + (b < extra)
            batches.append(order[start:start + size])
            start += size
        if all(len(b) == 1 or len(b) * lengths[b[-1]] <= tokens for b in batches):
            return batches
        count = min(len(order), count + workers)


@dataclass
class LabelEngine:
    """The engine of one label for one batch run; ``generate`` may move it from trying
    CTranslate2 (``verify``) to ``ct2`` or back to ``transformers``, and says why in ``reason``."""

    adapter: str | None
    mode: str  # "transformers", "ct2" or "verify" (auto, until the first images are compared)
    reason: str
    captioner: Ct2Captioner | None = None
    exact: bool = True  # float32: auto needs identical captions

    @property
    def engine(self) -> str:
        return "ct2" if self.mode == "ct2" else "transformers"

    def images_per_step(self, batch_size: int) -> int:
        """How many images this engine takes at a time: a batch for each CTranslate2 worker (as
        ``Ct2Captioner.limits`` bounds them), or one batch for transformers."""
        if self.captioner is not None and self.mode != "transformers":
            return self.captioner.images_per_step(batch_size)
        return batch_size

    def generate(self, use: Any, prompts: Sequence[str], settings: "GenerationSettings", batch_size: int,
                 seed_offset: int) -> list[str]:
        if self.mode == "ct2":
            try:
                return self.captioner.generate(prompts, settings.max_new_tokens, batch_size)
            except Exception as exc:  # noqa: BLE001 - an engine error is a fallback, never a wrong caption
                self._fall_back(f"CTranslate2 failed while captioning ({_first_line(exc)})")
        texts = use.generate(prompts, settings, self.adapter, batch_size, seed_offset)
        if self.mode == "verify":
            try:
                fast = self.captioner.generate(prompts, settings.max_new_tokens, batch_size)
            except Exception as exc:  # noqa: BLE001
                self._fall_back(f"CTranslate2 failed while captioning ({_first_line(exc)})")
                return texts
            same = sum(a == b for a, b in zip(texts, fast))
            if same == len(texts) or not self.exact:
                self.mode = "ct2"
                self.reason += (f"; {same} of {len(texts)} greedy captions of the first images identical to "
                                f"transformers'")
            else:
                self._fall_back(f"CTranslate2's greedy captions differed from transformers' on "
                                f"{len(texts) - same} of the first {len(texts)} images")
        return texts

    def _fall_back(self, reason: str) -> None:
        self.mode, self.captioner, self.reason = "transformers", None, f"{reason}; using transformers"


def images_per_step(runners: Sequence[LabelEngine], batch_size: int) -> int:
    """How many images to hand every label at a time: what the hungriest engine takes at once
    (a batch for each CTranslate2 worker), so cancel and progress still come per step."""
    return max((r.images_per_step(batch_size) for r in runners), default=batch_size)


def prepare(session: "Session", use: Any, adapters: Sequence[str | None], settings: "GenerationSettings",
            engine: str, quantization: str | None, say: Callable[[str], None] | None = None) -> list[LabelEngine]:
    """A ``LabelEngine`` for each of ``adapters``, converting (or finding in the cache) what
    CTranslate2 needs. Call with the model held (``use``)."""
    from .ct2_cache import ConversionFailed, converted_model

    check_request(engine, quantization)
    out = []
    for adapter in adapters:
        if engine == "transformers":
            out.append(LabelEngine(adapter, "transformers", "as asked"))
            continue
        why = unavailable(session, adapter, settings, quantization)
        if why is not None:
            out.append(LabelEngine(adapter, "transformers", f"{why}; using transformers"))
            continue
        try:
            converted = converted_model(session, use, adapter, quantization, say)
            captioner = Ct2Captioner(session, converted.folder)
        except ConversionFailed as exc:
            out.append(LabelEngine(adapter, "transformers", f"{exc}; using transformers"))
            continue
        except Exception as exc:  # noqa: BLE001 - loading the converted model: a fallback too
            out.append(LabelEngine(adapter, "transformers", f"CTranslate2 cannot load the converted model "
                                                            f"({_first_line(exc)}); using transformers"))
            continue
        import ctranslate2

        how = (f"CTranslate2 {ctranslate2.__version__}, {converted.quantization}, "
               + ("from the cache" if converted.cached else f"converted in {converted.seconds:.1f} s"))
        exact = converted.quantization == "float32"
        out.append(LabelEngine(adapter, "ct2" if engine == "ct2" else "verify",
                               how if engine == "ct2" else f"{how}, checked on the first images", captioner, exact))
    return out


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
