"""Builders: the chosen method's config section into a PEFT config object.

LoRA reads its hand-written section (the IGRAG layout); every other method passes its section's
fields, which are PEFT's own names, straight to the PEFT config class. ``after_wrap`` finishes
what PEFT's config cannot express (IGRAG's text initialisation of the virtual tokens).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .registry import IGRAG_TEXT_INIT, METHOD_SPECS

if TYPE_CHECKING:  # pragma: no cover
    from ..config import RunConfig


def _task_type(kind: str) -> str:
    from ..models.loading import SEQ2SEQ  # models imports socket and json: not for the first frame

    return "SEQ_2_SEQ_LM" if kind == SEQ2SEQ else "CAUSAL_LM"


def build_lora(cfg: "RunConfig", kind: str, **_: Any) -> Any:
    from peft import LoraConfig

    lora = cfg.lora
    targets = lora.target_modules if isinstance(lora.target_modules, str) else list(lora.target_modules)
    return LoraConfig(
        r=lora.r,
        lora_alpha=lora.lora_alpha,
        lora_dropout=lora.dropout,
        target_modules=targets,
        bias=lora.bias,
        use_rslora=lora.use_rslora,
        use_dora=lora.use_dora,
        init_lora_weights=lora.init_lora_weights,
        task_type=_task_type(kind),
    )


def build_from_section(cfg: "RunConfig", kind: str, total_steps: int | None = None,
                       tokenizer_path: str | None = None) -> Any:
    """``PeftConfigClass(**section)``: the section's keys are the PEFT fields themselves."""
    import peft

    spec = METHOD_SPECS[cfg.method]
    values = {name: getattr(getattr(cfg, spec.name), name) for name in spec.fields}
    if spec.name == "adalora":
        values["total_step"] = max(int(total_steps or 1000), values["tinit"] + values["tfinal"] + 1)
    if spec.name == "prompt_tuning":
        if values["prompt_tuning_init"] == IGRAG_TEXT_INIT:
            values["prompt_tuning_init"] = "RANDOM"  # replaced after wrapping (after_wrap)
        elif values["prompt_tuning_init"] == "TEXT":
            values["tokenizer_name_or_path"] = tokenizer_path
        else:
            values["prompt_tuning_init_text"] = None
    return getattr(peft, spec.peft_class)(task_type=_task_type(kind), **values)


def build_peft_config(cfg: "RunConfig", kind: str, total_steps: int | None = None,
                      tokenizer_path: str | None = None) -> Any:
    """The PEFT config object for ``cfg.method``. ``total_steps`` is AdaLoRA's schedule length;
    ``tokenizer_path`` is what PEFT's TEXT initialisation tokenizes with."""
    builder = build_lora if cfg.method == "lora" else build_from_section
    return builder(cfg, kind, total_steps=total_steps, tokenizer_path=tokenizer_path)


def after_wrap(model: Any, cfg: "RunConfig", tokenizer: Any) -> None:
    """IGRAG's text initialisation: the sentence's token embeddings, the remaining virtual tokens
    filled with the embedding of its last token (their ``prompt_tuning`` script's way)."""
    if cfg.method != "prompt_tuning" or cfg.prompt_tuning.prompt_tuning_init != IGRAG_TEXT_INIT:
        return
    import torch

    ids = tokenizer(cfg.prompt_tuning.prompt_tuning_init_text or "", add_special_tokens=False)["input_ids"]
    if not ids:
        return
    encoder = model.prompt_encoder[model.active_adapter]
    table = encoder.embedding.weight
    n = table.shape[0]
    ids = (ids + [ids[-1]] * n)[:n] if len(ids) < n else ids[:n]
    per_module = cfg.prompt_tuning.num_virtual_tokens
    ids = (ids[:per_module] * (n // per_module))[:n] if per_module and n > per_module else ids
    with torch.no_grad():
        words = model.word_embeddings(torch.tensor(ids, device=table.device))
        table.copy_(words.to(table.dtype))
