"""The adaptable modules of T5-family models (T5, FLAN-T5, mT5), worked out from config.json.

``models.describe_model`` finds a model's Linear modules by building it on the meta device, which
needs torch and transformers (seconds to import). For the family IGRAG fine-tunes, the layout is
a function of a few config.json numbers, so ``igrag validate`` and the window can check
``target_modules`` and the sizes without those imports. The result is exactly what
``describe_model`` gives (``tests/core/test_model_layouts.py`` compares them); any other family,
or a model with its own code, goes through ``describe_model``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

# transformers' T5Config and MT5Config defaults for the keys read here
_DEFAULTS = {
    "t5": {"vocab_size": 32128, "d_model": 512, "d_kv": 64, "d_ff": 2048, "num_layers": 6, "num_heads": 8,
           "feed_forward_proj": "relu", "architecture": "T5ForConditionalGeneration"},
    "mt5": {"vocab_size": 250112, "d_model": 512, "d_kv": 64, "d_ff": 1024, "num_layers": 8, "num_heads": 6,
            "feed_forward_proj": "gated-gelu", "architecture": "MT5ForConditionalGeneration"},
}


class Layout(NamedTuple):
    architecture: str  # the class transformers' AutoModelForSeq2SeqLM builds
    modules: dict[str, int]  # leaf name -> how many, in the model's module order
    shapes: dict[str, tuple[int, int]]  # leaf name -> (in, out) features
    output_layer: str


def _whole(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def seq2seq_layout(config: dict[str, Any]) -> Layout | None:
    """The layout of a T5 or mT5 ``config.json`` (as a dict), or None for anything else or any
    value this cannot read as transformers would (then ``describe_model`` decides)."""
    defaults = _DEFAULTS.get(config.get("model_type"))  # type: ignore[arg-type]
    if defaults is None or config.get("is_encoder_decoder", True) is not True:
        return None
    get = {key: default if config.get(key) is None else config[key] for key, default in defaults.items()}
    sizes = {key: _whole(get[key]) for key in ("vocab_size", "d_model", "d_kv", "d_ff", "num_layers", "num_heads")}
    decoder_layers = _whole(config["num_decoder_layers"]) if config.get("num_decoder_layers") is not None \
        else sizes["num_layers"]
    projection = get["feed_forward_proj"]
    if None in sizes.values() or decoder_layers is None or not isinstance(projection, str):
        return None
    parts = projection.split("-")
    if len(parts) > 2 or (len(parts) == 2 and parts[0] != "gated"):
        return None  # transformers refuses it: let it say so
    gated = parts[0] == "gated"
    encoder, decoder = sizes["num_layers"], decoder_layers
    d_model, inner, d_ff = sizes["d_model"], sizes["num_heads"] * sizes["d_kv"], sizes["d_ff"]
    attention = encoder + 2 * decoder  # self-attention in each block, and cross-attention in the decoder's
    feed_forward = encoder + decoder
    modules: dict[str, int] = {}
    shapes: dict[str, tuple[int, int]] = {}
    if attention:
        for name, shape in (("q", (d_model, inner)), ("k", (d_model, inner)), ("v", (d_model, inner)),
                            ("o", (inner, d_model))):
            modules[name], shapes[name] = attention, shape
    if feed_forward:
        for name in (("wi_0", "wi_1") if gated else ("wi",)):
            modules[name], shapes[name] = feed_forward, (d_model, d_ff)
        modules["wo"], shapes["wo"] = feed_forward, (d_ff, d_model)
    modules["lm_head"], shapes["lm_head"] = 1, (d_model, sizes["vocab_size"])
    return Layout(defaults["architecture"], modules, shapes, "lm_head")
