"""PEFT methods: each turns its config section into a PEFT config object.

LoRA (with its rsLoRA and DoRA switches) is the first; another method is one more section in
``config.py`` and one more builder here, registered in ``BUILDERS``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from .models import SEQ2SEQ

if TYPE_CHECKING:  # pragma: no cover
    from .config import RunConfig


def _task_type(kind: str) -> str:
    return "SEQ_2_SEQ_LM" if kind == SEQ2SEQ else "CAUSAL_LM"


def build_lora(cfg: "RunConfig", kind: str) -> Any:
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
        task_type=_task_type(kind),
    )


BUILDERS: dict[str, Callable[["RunConfig", str], Any]] = {"lora": build_lora}


def build_peft_config(cfg: "RunConfig", kind: str) -> Any:
    """The PEFT config object for ``cfg.method``."""
    return BUILDERS[cfg.method](cfg, kind)
