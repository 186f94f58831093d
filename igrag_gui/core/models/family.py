"""``model.type`` as people write it: our words (``seq2seq``, ``causal``, ``auto``) or a model
family name (IGRAG writes ``flan-t5``).

A family name is mapped to the kind it stands for; the model's own config.json has the last word.
A family that contradicts it, or a word we do not know, is a warning naming what config.json
says, never an error: the kind is read from the model either way.
"""

from __future__ import annotations

from typing import Any

SEQ2SEQ, CAUSAL = "seq2seq", "causal"
KINDS = ("auto", SEQ2SEQ, CAUSAL)

# Family names (lower case, '-' and '_' alike) and the kind they stand for.
FAMILIES: dict[str, str] = {
    **dict.fromkeys(("t5", "flan-t5", "flant5", "mt5", "umt5", "byt5", "long-t5", "longt5", "t5-v1.1",
                     "bart", "mbart", "pegasus", "marian", "m2m100", "nllb", "led", "prophetnet",
                     "blenderbot", "encoder-decoder", "seq2seq-lm", "seq_2_seq_lm"), SEQ2SEQ),
    **dict.fromkeys(("gpt2", "gpt", "distilgpt2", "gpt-neo", "gpt-neox", "gptj", "gpt-j", "llama",
                     "llama2", "llama3", "qwen", "qwen2", "qwen3", "mistral", "mixtral", "phi", "phi3",
                     "gemma", "gemma2", "gemma3", "opt", "bloom", "falcon", "smollm", "olmo",
                     "decoder", "causal-lm", "causal_lm"), CAUSAL),
}


def _norm(word: str) -> str:
    return word.strip().lower().replace("_", "-")


def family_kind(word: Any) -> str | None:
    """The kind (``seq2seq``/``causal``/``auto``) a ``model.type`` word stands for, or ``None``
    when it is not a word we know."""
    if not isinstance(word, str):
        return None
    norm = _norm(word)
    if norm in KINDS:
        return norm
    return FAMILIES.get(norm) or FAMILIES.get(norm.replace("-", ""))


def is_family_name(word: Any) -> bool:
    return isinstance(word, str) and word.strip().lower() not in KINDS and family_kind(word) is not None


def detected(hf_config: Any) -> tuple[str, str]:
    """``(kind, what)`` from a transformers config: ``what`` names the architecture for messages."""
    kind = SEQ2SEQ if getattr(hf_config, "is_encoder_decoder", False) else CAUSAL
    arch = (getattr(hf_config, "architectures", None) or [getattr(hf_config, "model_type", "?")])[0]
    return kind, f"{arch}, model_type '{getattr(hf_config, 'model_type', '?')}'"


def type_warning(word: Any, hf_config: Any) -> str | None:
    """The warning a ``model.type`` word deserves against the model's config.json, if any.

    Only family names and unknown words get one; a contradicting ``seq2seq``/``causal`` is an
    error raised by ``models.model_kind``.
    """
    kind, what = detected(hf_config)
    if not isinstance(word, str) or _norm(word) in KINDS:
        return None
    meant = family_kind(word)
    if meant is None:
        return (f"'{word}' is not a model family igrag knows; config.json says {what}, so the "
                f"model is trained as {kind}; set model.type to '{kind}' or 'auto' to silence this")
    if meant != kind:
        return (f"'{word}' names a {meant} family but config.json says {what}, a {kind} model; "
                f"the model is trained as {kind}; set model.type to '{kind}' or 'auto'")
    return None
