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
    instead of one batch over all threads: decoding a caption batch is bound by reading the
    weights at every step, and two one-thread workers keep both cores reading where one two-thread
    GEMM leaves them waiting on each other (``docs/performance.md`` has the figures). No batch is
    larger than the ``batch_size`` asked for, so memory stays what the user set."""

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

    def generate(self, prompts: Sequence[str], max_new_tokens: int, batch_size: int) -> list[str]:
        session = self._session
        tokenizer = session.tokenizer
        sources = []
        for prompt in prompts:
            ids = session.prepare_prompt(prompt).input_ids
            with session.tokenizer_lock:
                sources.append(tokenizer.convert_ids_to_tokens(ids))
        size = even_batch_size(len(sources), batch_size, self.workers)
        results = self.translator.translate_batch(sources, max_batch_size=size, beam_size=1,
                                                  max_decoding_length=max_new_tokens, num_hypotheses=1)
        texts = []
        with session.tokenizer_lock:
            for result in results:
                ids = tokenizer.convert_tokens_to_ids(result.hypotheses[0])
                texts.append(tokenizer.decode(ids, skip_special_tokens=True).strip())
        return texts


def even_batch_size(count: int, most: int, workers: int) -> int:
    """The size of CTranslate2's batches for ``count`` prompts: at most ``most``, in a number of
    batches that is a multiple of ``workers`` and as even as can be, so no worker waits for
    another's extra batch (48 prompts at 16 on 2 workers: 4 batches of 12, not 16, 16 and 16)."""
    if count <= 0:
        return max(1, most)
    batches = -(-count // most)
    batches = -(-batches // workers) * workers
    return max(1, -(-count // batches))


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

    @property
    def workers(self) -> int:
        """How many batches this engine captions at once (CTranslate2's workers; 1 for transformers)."""
        return self.captioner.workers if self.captioner is not None and self.mode != "transformers" else 1

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
    """How many images to hand every label at a time: a batch for each of the busiest engine's
    workers (CTranslate2 runs that many at once), so cancel and progress still come per step."""
    return batch_size * max((r.workers for r in runners), default=1)


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
