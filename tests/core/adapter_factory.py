"""Real adapters saved by PEFT itself from tiny random models, each built once per test session.

``adapter(name)`` returns the folder ``save_pretrained`` wrote for the spec ``name`` in ``SPECS``
(built on first use, then cached for every test module of the session); a spec that cannot be
built on this machine skips the test with the reason. Models are made offline from configs:
a 2+2-layer T5 (d_model 16), a 2-layer Llama (hidden 32) and a 2-layer GPT-2 (n_embd 32).
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pytest

T5_QV = 12  # q and v in 2 encoder self-attentions, 2 decoder self- and 2 cross-attentions
LLAMA_QV = 4  # q_proj and v_proj in 2 layers
LLAMA_T = ["q_proj", "v_proj"]


@dataclass(frozen=True)
class Spec:
    peft_type: str  # the PeftType value, also what adapter_config.json says
    model: str  # "t5", "llama" or "gpt2"
    kwargs: dict[str, Any]
    method: str  # the verdict the inspector must reach
    modules: int | None = None  # adapted modules the report must count (None: not module-based)
    needs: tuple[str, ...] = ()  # importable modules the build needs
    dtype: str | None = None  # "bfloat16" / "float16": cast the model before saving
    seed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def _t5(**kw: Any) -> dict[str, Any]:
    return {"target_modules": ["q", "v"], **kw}


def _ll(**kw: Any) -> dict[str, Any]:
    return {"target_modules": LLAMA_T, **kw}


SPECS: dict[str, Spec] = {
    # LoRA and its variants, on T5 (the IGRAG layout); init_lora_weights=False gives a non-zero B.
    "lora": Spec("LORA", "t5", _t5(r=4, lora_alpha=8, lora_dropout=0.1, task_type="SEQ_2_SEQ_LM",
                                     init_lora_weights=False), "LoRA", T5_QV),
    "lora_untrained": Spec("LORA", "t5", _t5(r=4, lora_alpha=8, task_type="SEQ_2_SEQ_LM"), "LoRA", T5_QV),
    "lora_r8": Spec("LORA", "t5", _t5(r=8, lora_alpha=8, task_type="SEQ_2_SEQ_LM",
                                        init_lora_weights=False), "LoRA", T5_QV, seed=1),
    "dora": Spec("LORA", "t5", _t5(r=4, lora_alpha=8, use_dora=True, task_type="SEQ_2_SEQ_LM",
                                     init_lora_weights=False), "DoRA", T5_QV),
    "rslora": Spec("LORA", "t5", _t5(r=4, lora_alpha=8, use_rslora=True, task_type="SEQ_2_SEQ_LM",
                                       init_lora_weights=False), "rsLoRA", T5_QV),
    "lora_mts": Spec("LORA", "t5", _t5(r=4, lora_alpha=8, modules_to_save=["lm_head"],
                                         task_type="SEQ_2_SEQ_LM"), "LoRA", T5_QV),
    "lora_patterns": Spec("LORA", "t5", _t5(r=4, lora_alpha=8, rank_pattern={"q": 2}, alpha_pattern={"v": 32},
                                              task_type="SEQ_2_SEQ_LM", init_lora_weights=False), "LoRA", T5_QV),
    "lora_bias": Spec("LORA", "t5", _t5(r=4, lora_alpha=8, lora_bias=True, init_lora_weights=False), "LoRA",
                      T5_QV),
    "lora_bf16": Spec("LORA", "t5", _t5(r=4, lora_alpha=8, init_lora_weights=False), "LoRA", T5_QV,
                      dtype="bfloat16"),
    "lora_f16": Spec("LORA", "t5", _t5(r=4, lora_alpha=8, init_lora_weights=False), "LoRA", T5_QV,
                     dtype="float16"),
    "lora_gpt2": Spec("LORA", "gpt2", {"target_modules": ["c_attn"], "r": 4, "lora_alpha": 16,
                                       "fan_in_fan_out": True, "init_lora_weights": False}, "LoRA", 2),
    "lora_tokens": Spec("LORA", "llama", _ll(r=2, trainable_token_indices=[1, 2]), "LoRA", LLAMA_QV + 1),
    "adalora": Spec("ADALORA", "t5", _t5(init_r=6, target_r=4, total_step=10, task_type="SEQ_2_SEQ_LM"),
                    "AdaLoRA", T5_QV),
    "ia3": Spec("IA3", "t5", {"target_modules": ["k", "v", "wo"], "feedforward_modules": ["wo"],
                              "task_type": "SEQ_2_SEQ_LM"}, "IA³", 16),
    "prompt_tuning": Spec("PROMPT_TUNING", "t5", {"num_virtual_tokens": 5, "task_type": "SEQ_2_SEQ_LM"},
                          "prompt tuning"),
    "prefix_tuning": Spec("PREFIX_TUNING", "t5", {"num_virtual_tokens": 5, "task_type": "SEQ_2_SEQ_LM"},
                          "prefix tuning"),
    "prefix_llama": Spec("PREFIX_TUNING", "llama", {"num_virtual_tokens": 3, "task_type": "CAUSAL_LM"},
                         "prefix tuning"),
    "p_tuning": Spec("P_TUNING", "t5", {"num_virtual_tokens": 5, "encoder_hidden_size": 8,
                                        "task_type": "SEQ_2_SEQ_LM"}, "P-tuning"),
    "multitask_prompt_tuning": Spec("MULTITASK_PROMPT_TUNING", "llama", {"num_virtual_tokens": 4, "num_tasks": 2,
                                                                         "task_type": "CAUSAL_LM"},
                                    "multitask prompt tuning"),
    "cpt": Spec("CPT", "llama", {"cpt_token_ids": [1, 2, 3], "cpt_mask": [1, 1, 1],
                                 "cpt_tokens_type_mask": [1, 2, 3], "task_type": "CAUSAL_LM"},
                "context-aware prompt tuning (CPT)"),
    "cartridge": Spec("CARTRIDGE", "llama", {"num_virtual_tokens": 4, "task_type": "CAUSAL_LM"}, "Cartridge"),
    "adaption_prompt": Spec("ADAPTION_PROMPT", "llama", {"adapter_len": 4, "adapter_layers": 1,
                                                         "task_type": "CAUSAL_LM"},
                            "LLaMA-Adapter (adaption prompt)", 1),
    "loha": Spec("LOHA", "t5", _t5(r=2, alpha=4), "LoHa", T5_QV),
    "lokr": Spec("LOKR", "t5", _t5(r=2, alpha=4), "LoKr", T5_QV),
    "oft": Spec("OFT", "t5", _t5(r=0, oft_block_size=4), "OFT", T5_QV),
    "boft": Spec("BOFT", "t5", _t5(boft_block_size=4), "BOFT", T5_QV),
    "vera": Spec("VERA", "t5", _t5(r=4), "VeRA", T5_QV),
    "pvera": Spec("PVERA", "llama", _ll(r=4), "PVeRA", LLAMA_QV),
    "fourierft": Spec("FOURIERFT", "llama", _ll(n_frequency=16), "FourierFT", LLAMA_QV),
    "waveft": Spec("WAVEFT", "llama", _ll(n_frequency=16), "WaveFT", LLAMA_QV),
    "ln_tuning": Spec("LN_TUNING", "llama", {"target_modules": ["input_layernorm"]}, "LayerNorm tuning", 2),
    "hra": Spec("HRA", "llama", _ll(r=2), "HRA (Householder reflections)", LLAMA_QV),
    "miss": Spec("MISS", "llama", _ll(r=4), "MiSS (formerly Bone)", LLAMA_QV),
    "c3a": Spec("C3A", "llama", _ll(block_size=8), "C3A (circular convolution)", LLAMA_QV),
    "randlora": Spec("RANDLORA", "llama", _ll(r=4), "RandLoRA", LLAMA_QV),
    "shira": Spec("SHIRA", "llama", _ll(r=2), "SHiRA (sparse high-rank)", LLAMA_QV),
    "vblora": Spec("VBLORA", "llama", _ll(r=2, vector_length=8, num_vectors=16), "VB-LoRA", LLAMA_QV),
    "poly": Spec("POLY", "llama", _ll(r=2, n_tasks=2), "Polytropon", LLAMA_QV),
    "hira": Spec("HIRA", "llama", _ll(r=2), "HiRA (Hadamard high-rank)", LLAMA_QV),
    "glora": Spec("GLORA", "llama", _ll(r=2), "GLoRA", LLAMA_QV),
    "gralora": Spec("GRALORA", "llama", _ll(r=4, hybrid_r=0, gralora_k=2), "GraLoRA", LLAMA_QV),
    "delora": Spec("DELORA", "llama", _ll(r=2), "DeLoRA", LLAMA_QV),
    "deft": Spec("DEFT", "llama", _ll(r=2), "DEFT", LLAMA_QV),
    "lily": Spec("LILY", "llama", _ll(r=2), "Lily", LLAMA_QV),
    "peanut": Spec("PEANUT", "llama", _ll(r=2), "PEANuT", LLAMA_QV),
    "beft": Spec("BEFT", "llama", _ll(), "BEFT (bias fine-tuning)", LLAMA_QV),
    "adamss": Spec("ADAMSS", "llama", _ll(r=8, num_subspaces=2, subspace_rank=2), "AdaMSS", LLAMA_QV,
                   needs=("sklearn",)),
    "frod": Spec("FROD", "llama", _ll(), "FRoD", LLAMA_QV),
    "unilora": Spec("UNILORA", "llama", _ll(r=2), "Uni-LoRA"),
    "road": Spec("ROAD", "llama", _ll(group_size=8), "RoAd (2D rotary adaptation)", LLAMA_QV),
    "trainable_tokens": Spec("TRAINABLE_TOKENS", "llama", {"token_indices": [1, 2],
                                                           "target_modules": ["embed_tokens"]},
                             "trainable tokens", 1),
    "osf": Spec("OSF", "llama", _ll(), "OSF (orthogonal subspace fine-tuning)", LLAMA_QV),
    "tinylora": Spec("TINYLORA", "llama", _ll(r=2), "TinyLoRA", LLAMA_QV),
    "psoft": Spec("PSOFT", "llama", _ll(r=4), "PSOFT", LLAMA_QV),
    "shadow": Spec("SHADOW", "llama", _ll(r=2), "Shadow", LLAMA_QV),
    "supertuning": Spec("SUPERTUNING", "llama", _ll(r=2), "SuperTuning", LLAMA_QV),
    "xlora": Spec("XLORA", "llama", {"hidden_size": 32, "xlora_depth": 1, "task_type": "CAUSAL_LM"}, "X-LoRA"),
}

# Types PEFT 0.21 has that no spec builds here, and why (the test enumerating PeftType reads this).
NOT_BUILT: dict[str, str] = {}


def _model(kind: str, seed: int) -> Any:
    import torch
    import transformers

    torch.manual_seed(seed)
    if kind == "t5":
        return transformers.T5ForConditionalGeneration(transformers.T5Config(
            vocab_size=64, d_model=16, d_kv=4, num_heads=2, d_ff=32, num_layers=2, num_decoder_layers=2,
            decoder_start_token_id=0))
    if kind == "llama":
        return transformers.LlamaForCausalLM(transformers.LlamaConfig(
            hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
            num_key_value_heads=2, vocab_size=64, max_position_embeddings=64, tie_word_embeddings=False))
    if kind == "gpt2":
        return transformers.GPT2LMHeadModel(transformers.GPT2Config(
            n_embd=32, n_layer=2, n_head=2, n_positions=64, vocab_size=64))
    raise ValueError(kind)


class AdapterFactory:
    def __init__(self, root: Path):
        self.root = root
        self._built: dict[str, Path] = {}
        self._failed: dict[str, str] = {}

    def __call__(self, name: str) -> Path:
        if name in self._failed:
            pytest.skip(self._failed[name])
        if name not in self._built:
            try:
                self._built[name] = self._build(name)
            except _CannotBuild as exc:
                self._failed[name] = str(exc)
                pytest.skip(str(exc))
        return self._built[name]

    def _build(self, name: str) -> Path:
        spec = SPECS[name]
        missing = [m for m in spec.needs if importlib.util.find_spec(m) is None]
        if missing:
            raise _CannotBuild(f"{spec.peft_type} needs {', '.join(missing)}, not installed here")
        import peft
        import torch

        out = self.root / name
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            config_cls = peft.mapping.PEFT_TYPE_TO_CONFIG_MAPPING[peft.PeftType[spec.peft_type]]
            kwargs = dict(spec.kwargs)
            if spec.peft_type == "XLORA":
                kwargs["adapters"] = {str(i): str(self(f"lora_llama_{i}")) for i in range(2)}
            model = _model(spec.model, spec.seed)
            if spec.peft_type == "XLORA":
                model.config.use_cache = False
            pm = peft.get_peft_model(model, config_cls(**kwargs))
            if spec.dtype:
                pm = pm.to(getattr(torch, spec.dtype))
            pm.save_pretrained(str(out))
        return out


class _CannotBuild(Exception):
    pass


# The two LoRA adapters X-LoRA mixes.
for _i in range(2):
    SPECS[f"lora_llama_{_i}"] = Spec("LORA", "llama", _ll(r=2, task_type="CAUSAL_LM", init_lora_weights=False),
                                     "LoRA", LLAMA_QV, seed=10 + _i)

_FACTORY: AdapterFactory | None = None


def factory(tmp_path_factory: pytest.TempPathFactory) -> AdapterFactory:
    """The session's one factory (a module global, so every test module shares its builds)."""
    global _FACTORY
    if _FACTORY is None:
        _FACTORY = AdapterFactory(tmp_path_factory.mktemp("adapters"))
    return _FACTORY


def copy_adapter(src: Path, dst: Path, config: Callable[[dict], dict] | None = None,
                 weights: bool = True) -> Path:
    """A copy of an adapter folder, its config edited by ``config`` (or removed when it returns None)."""
    dst.mkdir(parents=True, exist_ok=True)
    cfg = json.loads((src / "adapter_config.json").read_text())
    if config is not None:
        cfg = config(cfg)
    if cfg is not None:
        (dst / "adapter_config.json").write_text(json.dumps(cfg))
    if weights:
        shutil.copy(src / "adapter_model.safetensors", dst / "adapter_model.safetensors")
    return dst


def tensor_numels(path: Path) -> dict[str, int]:
    """name -> numel of every tensor, read by the safetensors library itself (torch allowed in tests)."""
    from safetensors import safe_open

    out = {}
    with safe_open(str(path), framework="pt") as f:
        for k in f.keys():
            n = 1
            for d in f.get_slice(k).get_shape():
                n *= d
            out[k] = n
    return out
