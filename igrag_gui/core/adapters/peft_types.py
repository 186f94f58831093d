"""Every adapter type PEFT 0.21 can save (``PEFT_TYPES``), as the inspector reads them: its name,
family, tensor markers, key fields. Not ``core.methods``, which holds the methods igrag can
*train* (built from PEFT's config classes).

The inspector must not import peft (it takes seconds and pulls in torch), so what PEFT would tell
us about its own types is written down here. ``tests/core/test_adapter_inspect.py`` enumerates
``peft.PeftType`` at test time, so a PEFT release with a type missing here fails a test rather
than silently reporting "unknown".

``markers`` name the dotted component that PEFT gives a method's saved parameters
(``...q.lora_A.weight`` has the component ``lora_A``): a marker ending in ``_`` is a prefix, any
other must match the whole component. They let the inspector tell the method from the tensors
alone and split a tensor name into module path and parameter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# Families decide which details and checks apply.
LORA, ADALORA, PROMPT, PREFIX, IA3, MODULE, XLORA = (
    "lora", "adalora", "prompt", "prefix", "ia3", "module", "xlora")

LORA_PARAMS = ("lora_A", "lora_B", "lora_embedding_A", "lora_embedding_B", "lora_magnitude_vector")

PROMPT_FIELDS = ("num_virtual_tokens", "token_dim", "num_transformer_submodules", "num_layers",
                 "num_attention_heads")


@dataclass(frozen=True)
class MethodInfo:
    peft_type: str
    name: str  # how people write it
    family: str
    markers: tuple[str, ...]  # saved-parameter name components that only this method uses
    key_fields: tuple[str, ...]  # the config fields worth showing, in display order
    about: str  # one line: what the method trains


_LORA_FIELDS = ("r", "lora_alpha", "lora_dropout", "use_rslora", "use_dora", "bias", "target_modules",
                "exclude_modules", "modules_to_save", "rank_pattern", "alpha_pattern",
                "layers_to_transform", "layers_pattern", "init_lora_weights", "trainable_token_indices",
                "target_parameters", "lora_bias", "fan_in_fan_out")
_COMMON = ("target_modules", "exclude_modules", "modules_to_save", "layers_to_transform")

PEFT_TYPES: dict[str, MethodInfo] = {m.peft_type: m for m in [
    MethodInfo("LORA", "LoRA", LORA, LORA_PARAMS, _LORA_FIELDS,
               "low-rank update B·A added to each target weight"),
    MethodInfo("ADALORA", "AdaLoRA", ADALORA, ("lora_E",),
               ("init_r", "target_r", "lora_alpha", "lora_dropout", "total_step", "tinit", "tfinal",
                "deltaT", "beta1", "beta2", "orth_reg_weight", "target_modules", "modules_to_save",
                "rank_pattern"),
               "SVD-shaped low-rank update B·diag(E)·A whose rank budget is pruned while training"),
    MethodInfo("PROMPT_TUNING", "prompt tuning", PROMPT, ("prompt_embeddings",),
               PROMPT_FIELDS + ("prompt_tuning_init", "prompt_tuning_init_text", "tokenizer_name_or_path"),
               "trained virtual-token embeddings prepended to the input"),
    MethodInfo("MULTITASK_PROMPT_TUNING", "multitask prompt tuning", PROMPT, ("prefix_task_",),
               PROMPT_FIELDS + ("num_tasks", "num_ranks", "prompt_tuning_init", "prompt_tuning_init_text"),
               "a shared soft prompt with low-rank per-task factors"),
    MethodInfo("P_TUNING", "P-tuning", PROMPT, (),
               PROMPT_FIELDS + ("encoder_reparameterization_type", "encoder_hidden_size",
                                "encoder_num_layers", "encoder_dropout"),
               "virtual-token embeddings produced by a small prompt encoder (MLP/LSTM)"),
    MethodInfo("PREFIX_TUNING", "prefix tuning", PREFIX, (),
               PROMPT_FIELDS + ("prefix_projection", "encoder_hidden_size"),
               "trained key/value prefixes for every attention layer"),
    MethodInfo("CPT", "context-aware prompt tuning (CPT)", PROMPT, (),
               PROMPT_FIELDS + ("cpt_token_ids", "opt_weighted_loss_type", "tokenizer_name_or_path"),
               "prompt tuning of in-context examples with projected updates"),
    MethodInfo("CARTRIDGE", "Cartridge", PREFIX, (),
               PROMPT_FIELDS + ("num_frozen_tokens",),
               "a trained KV-cache prefix (a compressed corpus)"),
    MethodInfo("ADAPTION_PROMPT", "LLaMA-Adapter (adaption prompt)", MODULE, ("adaption_",),
               ("adapter_len", "adapter_layers", "target_modules"),
               "learned prompts with zero-initialised gates in the top attention layers"),
    MethodInfo("IA3", "IA³", IA3, ("ia3_",), ("target_modules", "feedforward_modules", "exclude_modules",
                                             "modules_to_save", "init_ia3_weights", "fan_in_fan_out"),
               "learned vectors that rescale activations of the target modules"),
    MethodInfo("LOHA", "LoHa", MODULE, ("hada_",),
               ("r", "alpha", "rank_dropout", "module_dropout", "use_effective_conv2d") + _COMMON
               + ("rank_pattern", "alpha_pattern"),
               "low-rank Hadamard product update (LyCORIS)"),
    MethodInfo("LOKR", "LoKr", MODULE, ("lokr_",),
               ("r", "alpha", "rank_dropout", "module_dropout", "decompose_both", "decompose_factor",
                "use_effective_conv2d") + _COMMON + ("rank_pattern", "alpha_pattern"),
               "Kronecker-product update (LyCORIS)"),
    MethodInfo("OFT", "OFT", MODULE, ("oft_",),
               ("r", "oft_block_size", "module_dropout", "coft", "eps", "block_share",
                "use_cayley_neumann") + _COMMON,
               "block-diagonal orthogonal rotation of the target weights"),
    MethodInfo("BOFT", "BOFT", MODULE, ("boft_",),
               ("boft_block_size", "boft_block_num", "boft_n_butterfly_factor", "boft_dropout") + _COMMON,
               "butterfly-factorised orthogonal rotation of the target weights"),
    MethodInfo("VERA", "VeRA", MODULE, ("vera_",),
               ("r", "projection_prng_key", "save_projection", "vera_dropout", "d_initial") + _COMMON,
               "shared frozen random projections scaled by trained vectors b and d"),
    MethodInfo("PVERA", "PVeRA", MODULE, ("pvera_",),
               ("r", "projection_prng_key", "save_projection", "pvera_dropout", "d_initial",
                "sample_at_inference") + _COMMON,
               "probabilistic VeRA: shared random projections, trained scaling vectors"),
    MethodInfo("FOURIERFT", "FourierFT", MODULE, ("fourierft_",),
               ("n_frequency", "scaling", "random_loc_seed") + _COMMON + ("n_frequency_pattern",),
               "a few trained spectral coefficients of the weight update"),
    MethodInfo("WAVEFT", "WaveFT", MODULE, ("waveft_",),
               ("n_frequency", "scaling", "wavelet_family", "use_idwt", "random_loc_seed") + _COMMON,
               "a few trained wavelet coefficients of the weight update"),
    MethodInfo("LN_TUNING", "LayerNorm tuning", MODULE, ("ln_tuning_",), _COMMON,
               "trains copies of the LayerNorm/RMSNorm layers"),
    MethodInfo("HRA", "HRA (Householder reflections)", MODULE, ("hra_",),
               ("r", "apply_GS") + _COMMON, "a chain of r Householder reflections of each weight"),
    MethodInfo("MISS", "MiSS (formerly Bone)", MODULE, ("miss_",),
               ("r", "mini_r", "miss_dropout", "init_weights") + _COMMON,
               "a shared trained block expanded over the weight (matrix shard sharing)"),
    MethodInfo("C3A", "C3A (circular convolution)", MODULE, ("c3a_",),
               ("block_size", "block_size_pattern", "init_weights") + _COMMON,
               "block-circulant convolution kernels as the weight update"),
    MethodInfo("RANDLORA", "RandLoRA", MODULE, ("randlora_",),
               ("r", "randlora_alpha", "projection_prng_key", "save_projection", "sparse", "very_sparse")
               + _COMMON, "full-rank update from shared random bases with trained diagonal scalings"),
    MethodInfo("SHIRA", "SHiRA (sparse high-rank)", MODULE, ("shira_",),
               ("r", "mask_type", "random_seed") + _COMMON, "a sparse trained subset of each weight"),
    MethodInfo("VBLORA", "VB-LoRA", MODULE, ("vblora_",),
               ("r", "num_vectors", "vector_length", "topk", "save_only_topk_weights") + _COMMON,
               "LoRA factors composed from a shared vector bank"),
    MethodInfo("POLY", "Polytropon", MODULE, ("poly_",),
               ("r", "n_tasks", "n_skills", "n_splits", "poly_type") + _COMMON,
               "an inventory of LoRA skills mixed per task by a router"),
    MethodInfo("XLORA", "X-LoRA", XLORA, ("internal_xlora_",),
               ("adapters", "hidden_size", "xlora_depth", "xlora_size", "enable_softmax", "top_k_lora",
                "layerwise_scalings", "use_trainable_adapters"),
               "a classifier that mixes several LoRA adapters per token"),
    MethodInfo("HIRA", "HiRA (Hadamard high-rank)", MODULE, ("hira_",),
               ("r", "hira_dropout", "rank_pattern") + _COMMON,
               "Hadamard product of the weight with a low-rank B·A"),
    MethodInfo("GLORA", "GLoRA", MODULE, ("glora_",),
               ("r", "config_A_B", "config_C", "config_D_E") + _COMMON,
               "generalised LoRA: trained weight, bias and activation prompts"),
    MethodInfo("GRALORA", "GraLoRA", MODULE, ("gralora_",),
               ("r", "hybrid_r", "alpha", "gralora_k", "gralora_dropout") + _COMMON,
               "LoRA split into k×k granular blocks"),
    MethodInfo("DELORA", "DeLoRA", MODULE, ("delora_",),
               ("r", "delora_lambda", "module_dropout", "rank_pattern", "lambda_pattern") + _COMMON,
               "decoupled LoRA: normalised B·A with a trained strength λ"),
    MethodInfo("DEFT", "DEFT", MODULE, ("deft_",),
               ("r", "alpha", "decomposition_method", "init_scale", "para", "deft_dropout") + _COMMON,
               "decomposed fine-tuning with low-rank P/R factors"),
    MethodInfo("LILY", "Lily", MODULE, ("lily_",),
               ("r", "stride_A", "num_B", "scaling") + _COMMON,
               "low-rank adapters with shared projectors selected by a router"),
    MethodInfo("PEANUT", "PEANuT", MODULE, ("peanut_",),
               ("r", "depth", "act_fn", "scaling") + _COMMON,
               "a small non-linear network computing the weight update from the weight"),
    MethodInfo("BEFT", "BEFT (bias fine-tuning)", MODULE, ("beft_",), ("init_weights",) + _COMMON,
               "trained bias vectors on the target modules"),
    MethodInfo("ADAMSS", "AdaMSS", MODULE, ("adamss_",),
               ("r", "num_subspaces", "subspace_rank", "use_asa", "use_dynamic_rank") + _COMMON,
               "low-rank updates in adaptively selected subspaces"),
    MethodInfo("FROD", "FRoD", MODULE, ("frod_",),
               ("sparse_rate", "regularization_alpha", "projection_prng_key", "save_projection") + _COMMON,
               "shared joint decomposition with trained diagonal and sparse scalings"),
    MethodInfo("UNILORA", "Uni-LoRA", MODULE, ("unilora_",),
               ("r", "theta_d_length", "proj_seed", "save_indices") + _COMMON,
               "all LoRA factors projected from one trained vector θ_d"),
    MethodInfo("ROAD", "RoAd (2D rotary adaptation)", MODULE, ("road_",),
               ("variant", "group_size", "init_weights") + _COMMON,
               "trained 2×2 rotations and scalings of the output features"),
    MethodInfo("TRAINABLE_TOKENS", "trainable tokens", MODULE, ("trainable_tokens_",),
               ("token_indices", "target_modules", "init_weights"),
               "trains only the embedding rows of the chosen tokens"),
    MethodInfo("OSF", "OSF (orthogonal subspace fine-tuning)", MODULE, ("osf_",),
               ("effective_rank", "rank_pattern", "target_svd_config") + _COMMON,
               "trains the low singular subspace of each weight, orthogonal to the top one"),
    MethodInfo("TINYLORA", "TinyLoRA", MODULE, ("tinylora_",),
               ("r", "u", "weight_tying", "projection_seed", "save_projection") + _COMMON,
               "a tiny trained vector projected into frozen SVD-based LoRA factors"),
    MethodInfo("PSOFT", "PSOFT", MODULE, ("psoft_",),
               ("r", "psoft_alpha", "psoft_dropout", "psoft_orth", "psoft_mag_a", "psoft_mag_b") + _COMMON,
               "orthogonal fine-tuning inside the principal subspace"),
    MethodInfo("SHADOW", "Shadow", MODULE, ("shadow_",),
               ("r", "shadow_alpha", "shadow_dropout", "shadow_model", "shadow_hidden_size") + _COMMON,
               "a small shadow network producing gated low-rank updates"),
    MethodInfo("SUPERTUNING", "SuperTuning", MODULE, ("supertuning_",),
               ("r", "lora_alpha", "sparsity", "select_top", "save_precomputed_indices") + _COMMON,
               "sparse trained weight entries plus a LoRA update"),
]}

PROMPT_BASED = ("PROMPT_TUNING", "P_TUNING", "PREFIX_TUNING", "MULTITASK_PROMPT_TUNING", "CPT", "CARTRIDGE")

# Tensor-name components that mark a saved adapter parameter. Exact names are looked up; prefixes
# (ending in "_") are tried longest first, so that "lora_E" is seen before "lora_" and "pvera_" is
# never taken for "vera_". A tensor name has about ten components and a file thousands of names,
# hence one compiled alternation and a cache rather than a loop over the markers.
_EXACT: dict[str, str] = {"prompt_embeddings": "PROMPT_TUNING"}
_PREFIX: dict[str, str] = {}
for _m in PEFT_TYPES.values():
    for _marker in _m.markers:
        (_PREFIX if _marker.endswith("_") else _EXACT)[_marker] = _m.peft_type
_PREFIX_RX = re.compile("|".join(re.escape(p) for p in sorted(_PREFIX, key=len, reverse=True)))


def method_info(peft_type: str | None) -> MethodInfo | None:
    return PEFT_TYPES.get(peft_type) if isinstance(peft_type, str) else None


@lru_cache(maxsize=8192)
def marker_of(component: str) -> str | None:
    """The PEFT type whose saved parameters use this name component, or ``None``."""
    exact = _EXACT.get(component)
    if exact is not None:
        return exact
    match = _PREFIX_RX.match(component)
    return _PREFIX[match.group(0)] if match else None
