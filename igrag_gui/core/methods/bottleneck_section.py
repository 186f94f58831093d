"""The ``adapter:`` section: bottleneck adapter tuning, our own method (PEFT has none).

Plain data, no torch: the form, ``validate`` and ``--set`` read it at first paint. The fields and
their defaults are AdapterHub's (``adapters`` 1.3.0, ``BnConfig`` and its two named configs), so
that what we save is what AdapterHub means by the same words:

* ``houlsby`` -- Houlsby et al. 2019, "Parameter-Efficient Transfer Learning for NLP"
  (arXiv:1902.00751), AdapterHub's ``double_seq_bn``: an adapter after the attention block and one
  after the feed-forward block of every layer, swish non-linearity, reduction factor 16.
* ``pfeiffer`` -- Pfeiffer et al. 2020, "AdapterFusion" (arXiv:2005.00247), AdapterHub's
  ``seq_bn`` (its default): one adapter after the feed-forward block, taking the block's output
  with its residual added (``original_ln_before``), ReLU, reduction factor 16.

``to_adapterhub`` turns a section into the ``config`` mapping AdapterHub writes into its
``adapter_config.json``; ``from_adapterhub`` reads one back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PLACEMENTS = ("houlsby", "pfeiffer")
STACKS = ("both", "encoder", "decoder")
NON_LINEARITIES = ("auto", "relu", "swish", "silu", "gelu", "gelu_new", "tanh", "leakyrelu", "linear")
INIT_WEIGHTS = ("bert", "mam_adapter", "houlsby")
SCALING_WORDS = ("learned", "channel")
# What each placement sets in AdapterHub (DoubleSeqBnConfig, SeqBnConfig).
PLACEMENT_DEFAULTS: dict[str, dict[str, Any]] = {
    "houlsby": {"mh_adapter": True, "output_adapter": True, "original_ln_before": False,
                "non_linearity": "swish"},
    "pfeiffer": {"mh_adapter": False, "output_adapter": True, "original_ln_before": True,
                 "non_linearity": "relu"},
}
TITLE = "bottleneck adapter tuning"
PEFT_TYPE = "BOTTLENECK_ADAPTER"  # our word for it in events and run lists; AdapterHub has none
T5_FAMILIES = ("t5", "mt5")  # the layer layout our modules know (AdapterHub's T5 mixins)


def unsupported_reason(model_type: str) -> str | None:
    """Why our bottleneck adapters cannot go into this model family, if they cannot."""
    if model_type in T5_FAMILIES:
        return None
    return (f"igrag's bottleneck adapters are built for T5-family models (t5, mt5), and {model_type or 'this model'} "
            f"lays out its layers otherwise")


def _spec(default: Any, help: str, kind: Any, **rules: Any) -> Any:
    return field(default=default, metadata={"help": help, "kind": kind, **rules})


@dataclass
class AdapterSection:
    """Bottleneck adapters (down-projection, non-linearity, up-projection, residual) added to each
    layer of the frozen model. Defaults as AdapterHub's ``seq_bn`` (Pfeiffer et al. 2020)."""

    placement: str = _spec(
        "pfeiffer",
        "Where the adapters sit: 'houlsby' (Houlsby et al. 2019) after the attention and the "
        "feed-forward block of every layer; 'pfeiffer' (Pfeiffer et al. 2020, AdapterHub's default) "
        "after the feed-forward block only.", str, choices=PLACEMENTS)
    reduction_factor: float = _spec(
        16.0, "Model width divided by the bottleneck width (16: a 768-wide model gets 48-wide "
              "adapters). AdapterHub's default for both placements.", (int, float), min_exclusive=0)
    bottleneck_size: Any = _spec(
        None, "The bottleneck width itself; when set it replaces reduction_factor (saved as the "
              "reduction factor that gives this width, as AdapterHub reads it).", (int, type(None)), min=1)
    non_linearity: str = _spec(
        "auto", "The bottleneck's activation; 'auto' is the placement's own (swish for houlsby, "
                "relu for pfeiffer).", str, choices=NON_LINEARITIES)
    scaling: Any = _spec(
        1.0, "Multiplies the adapter's output before the residual (He et al. 2021): a number, "
             "'learned' (one trained scalar) or 'channel' (one trained value per channel).",
        (float, str), words=SCALING_WORDS)
    residual_before_ln: bool = _spec(
        True, "Take the adapter's residual from the block's output before the original residual is "
              "added (AdapterHub's default); false takes it after.", bool)
    ln_before: bool = _spec(False, "Add a trained layer norm before the bottleneck (a layer-norm "
                                   "adapter).", bool)
    ln_after: bool = _spec(False, "Add a trained layer norm after the bottleneck.", bool)
    cross_adapter: bool = _spec(False, "Also add an adapter after each decoder layer's cross-attention "
                                       "(encoder-decoder models).", bool)
    stacks: str = _spec("both", "Which stacks get adapters: both, encoder or decoder (the other's "
                                "layers are left out).", str, choices=STACKS)
    dropout: float = _spec(0.0, "Dropout on the adapter's output.", (int, float), min=0, max_exclusive=1)
    init_weights: str = _spec(
        "bert", "How the projections start: 'bert' (normal, std 0.02; AdapterHub's default), "
                "'mam_adapter' (up-projection zero) or 'houlsby' (truncated normal, std 0.01).",
        str, choices=INIT_WEIGHTS)
    learning_rate: float = _spec(
        1e-3, "Peak learning rate for bottleneck adapters (igrag's; replaces training.learning_rate "
              "while this method is chosen).", float, min_exclusive=0)


def reduction_for(section: Any, hidden: int) -> float:
    """The reduction factor AdapterHub reads: ``int(hidden // factor)`` gives the bottleneck."""
    size = section.bottleneck_size
    if not size:
        return float(section.reduction_factor)
    factor = hidden / size
    while int(hidden // factor) < size:  # float division may land one below
        factor = factor * (1 - 1e-12)
    return factor


def section_problems(section: Any) -> list[tuple[str, str]]:
    """(field, sentence) for what the field metadata cannot say: scaling's words."""
    scaling = section.scaling
    if isinstance(scaling, str) and scaling not in SCALING_WORDS:
        return [("adapter.scaling", f"must be a number, 'learned' or 'channel', got '{scaling}'")]
    return []


def to_adapterhub(section: Any, hidden: int, num_encoder_layers: int, num_decoder_layers: int) -> dict[str, Any]:
    """The ``config`` block AdapterHub 1.3.0 writes for this section (its BnConfig fields)."""
    place = PLACEMENT_DEFAULTS[section.placement]
    non_linearity = place["non_linearity"] if section.non_linearity == "auto" else section.non_linearity
    encoder = list(range(num_encoder_layers))
    decoder = list(range(num_encoder_layers, num_encoder_layers + num_decoder_layers))
    leave_out = {"both": [], "encoder": decoder, "decoder": encoder}[section.stacks]
    scaling = section.scaling if isinstance(section.scaling, str) else float(section.scaling)
    return {
        "adapter_residual_before_ln": False,
        "cross_adapter": bool(section.cross_adapter), "dropout": float(section.dropout),
        "factorized_phm_W": True, "factorized_phm_rule": False,
        "hypercomplex_nonlinearity": "glorot-uniform", "init_weights": section.init_weights,
        "init_weights_seed": None, "inv_adapter": None, "inv_adapter_reduction_factor": None,
        "is_parallel": False, "learn_phm": True, "leave_out": leave_out,
        "ln_after": bool(section.ln_after), "ln_before": bool(section.ln_before),
        "mh_adapter": place["mh_adapter"], "non_linearity": non_linearity,
        "original_ln_after": True, "original_ln_before": place["original_ln_before"],
        "output_adapter": place["output_adapter"], "phm_bias": True, "phm_c_init": "normal",
        "phm_dim": 4, "phm_init_range": 0.0001, "phm_layer": False, "phm_rank": 1,
        "reduction_factor": reduction_for(section, hidden),
        "residual_before_ln": bool(section.residual_before_ln), "scaling": scaling,
        "shared_W_phm": False, "shared_phm_rule": True, "stochastic_depth": 0.0, "use_gating": False,
    }


# What our modules implement; a saved config asking for more is refused by name on load.
SUPPORTED_OFF = ("is_parallel", "phm_layer", "use_gating", "inv_adapter", "adapter_residual_before_ln")


def unsupported_keys(config: dict[str, Any]) -> list[str]:
    """The AdapterHub options set in ``config`` that our modules do not implement."""
    out = [k for k in SUPPORTED_OFF if config.get(k)]
    if config.get("stochastic_depth"):
        out.append("stochastic_depth")
    if not config.get("original_ln_after", True):
        out.append("original_ln_after=false")
    if config.get("residual_before_ln") not in (True, False):
        out.append(f"residual_before_ln={config.get('residual_before_ln')}")
    return out


def is_bottleneck_document(doc: Any) -> bool:
    """AdapterHub's ``adapter_config.json`` layout (a ``config`` block, no ``peft_type``) of a
    bottleneck adapter."""
    if not isinstance(doc, dict) or "peft_type" in doc or not isinstance(doc.get("config"), dict):
        return False
    config = doc["config"]
    return config.get("architecture") is None and "reduction_factor" in config  # AdapterHub's BnConfig


def placement_of(config: dict[str, Any]) -> str:
    """houlsby, pfeiffer, or 'custom' for another combination of AdapterHub's switches."""
    for name, values in PLACEMENT_DEFAULTS.items():
        if all(config.get(k) == v for k, v in values.items() if k != "non_linearity"):
            return name
    return "custom"
