"""Every PEFT method igrag trains: its config section, PEFT class, offered fields and defaults.

This module is plain data (no PEFT import): the form, ``validate`` and ``--set`` read it at first
paint. The fields' types, PEFT defaults and help texts come from PEFT itself, through
``peft_schema.json`` (made by ``tools/make_peft_schema.py``); here we only choose which fields a
user sees and where our defaults differ from PEFT's (so that every method trains on the demo).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class MethodSpec:
    name: str                    # the `method:` value and the YAML section
    title: str
    peft_class: str              # the PEFT config dataclass
    peft_type: str
    fields: tuple[str, ...]      # PEFT fields offered in the form, in order
    defaults: dict[str, Any] = field(default_factory=dict)  # ours where PEFT's would not train
    learning_rate: float = 2e-3  # suited to the method (prompt methods want far larger ones)
    prompt_learning: bool = False
    ours: bool = False           # implemented by igrag (bottleneck adapters), not by PEFT


METHOD_SPECS: dict[str, MethodSpec] = {m.name: m for m in (
    # LoRA keeps its hand-written section in config.py (the IGRAG layout); listed for the schema.
    MethodSpec("lora", "LoRA", "LoraConfig", "LORA",
               ("r", "lora_alpha", "lora_dropout", "target_modules", "bias", "use_rslora", "use_dora",
                "init_lora_weights")),
    MethodSpec("adalora", "AdaLoRA", "AdaLoraConfig", "ADALORA",
               ("init_r", "target_r", "lora_alpha", "lora_dropout", "target_modules", "tinit",
                "tfinal", "deltaT", "beta1", "beta2", "orth_reg_weight"),
               {"init_r": 12, "target_r": 8, "lora_alpha": 32, "tinit": 0, "tfinal": 0, "deltaT": 1},
               learning_rate=2e-3),
    MethodSpec("ia3", "IA³", "IA3Config", "IA3",
               ("target_modules", "feedforward_modules", "init_ia3_weights"), learning_rate=3e-2),
    MethodSpec("loha", "LoHa", "LoHaConfig", "LOHA",
               ("r", "alpha", "rank_dropout", "module_dropout", "target_modules", "init_weights"),
               {"r": 8, "alpha": 16}, learning_rate=2e-3),
    MethodSpec("lokr", "LoKr", "LoKrConfig", "LOKR",
               ("r", "alpha", "rank_dropout", "module_dropout", "decompose_both", "decompose_factor",
                "target_modules", "init_weights"),
               {"r": 8, "alpha": 16}, learning_rate=2e-3),
    MethodSpec("vera", "VeRA", "VeraConfig", "VERA",
               ("r", "target_modules", "vera_dropout", "d_initial", "projection_prng_key",
                "save_projection"),
               {"r": 64}, learning_rate=2e-2),
    MethodSpec("oft", "OFT", "OFTConfig", "OFT",
               ("r", "oft_block_size", "module_dropout", "target_modules", "coft", "eps",
                "block_share", "use_cayley_neumann"),
               {"r": 0, "oft_block_size": 32}, learning_rate=2e-3),
    MethodSpec("prompt_tuning", "prompt tuning", "PromptTuningConfig", "PROMPT_TUNING",
               ("num_virtual_tokens", "num_transformer_submodules", "prompt_tuning_init",
                "prompt_tuning_init_text"),
               {"num_virtual_tokens": 20}, learning_rate=3e-1, prompt_learning=True),
    MethodSpec("prefix_tuning", "prefix tuning", "PrefixTuningConfig", "PREFIX_TUNING",
               ("num_virtual_tokens", "num_transformer_submodules", "prefix_projection",
                "encoder_hidden_size"),
               {"num_virtual_tokens": 20}, learning_rate=1e-2, prompt_learning=True),
    MethodSpec("p_tuning", "P-tuning", "PromptEncoderConfig", "P_TUNING",
               ("num_virtual_tokens", "num_transformer_submodules", "encoder_reparameterization_type",
                "encoder_hidden_size", "encoder_num_layers", "encoder_dropout"),
               {"num_virtual_tokens": 20, "encoder_hidden_size": 128}, learning_rate=1e-2,
               prompt_learning=True),
    # Bottleneck adapters (Houlsby et al. 2019, Pfeiffer et al. 2020): ours, in AdapterHub's layout;
    # the section is hand-written (bottleneck_section.py), PEFT has no such config class.
    MethodSpec("adapter", "bottleneck adapter tuning", "", "BOTTLENECK_ADAPTER",
               ("placement", "reduction_factor", "bottleneck_size", "non_linearity", "scaling",
                "residual_before_ln", "ln_before", "ln_after", "cross_adapter", "stacks", "dropout",
                "init_weights"),
               learning_rate=1e-3, ours=True),
)}

METHODS: tuple[str, ...] = tuple(METHOD_SPECS)
PEFT_METHODS: tuple[str, ...] = tuple(m for m, spec in METHOD_SPECS.items() if not spec.ours)  # PEFT's own
# IGRAG's own text initialisation, offered beside PEFT's RANDOM / TEXT / SAMPLE_VOCAB.
IGRAG_TEXT_INIT = "IGRAG_TEXT"
IGRAG_INIT_SENTENCE = "Generate a short caption for the image described by these captions and objects:"
