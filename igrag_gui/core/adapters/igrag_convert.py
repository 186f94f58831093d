"""IGRAG's ``prompt_embeddings.pt`` as a standard PEFT prompt-tuning adapter.

The folder holds ``adapter_config.json`` (``PROMPT_TUNING``, ``num_virtual_tokens`` and
``token_dim`` from the file, ``num_transformer_submodules`` 1 so only the encoder is prefixed, as
in IGRAG) and ``adapter_model.safetensors`` with the one tensor ``prompt_embeddings`` that
``PeftModel.from_pretrained`` loads unchanged. It is written to a temporary folder and renamed into
place, so a failure never leaves half an adapter. ``--out`` is checked first
(``output_folders.replace_refusal``): never the source's own folder, never a folder holding files
igrag did not write; ``--force`` replaces only an adapter igrag converted there (to the trash).
"""

from __future__ import annotations

import os
import shlex
import shutil
from pathlib import Path

from .files import CONFIG_NAME, SAFETENSORS_NAME
from ..errors import UserError
from .igrag_prompt import KEY, IgragPrompt, read_igrag_prompt


def _check_base(prompt: IgragPrompt, base: str) -> None:
    """The base model's hidden size must be the prompt's embedding size (when its config is here)."""
    from ..models.loading import ModelRef, load_model_config

    ref = ModelRef(base, folder=Path(base).resolve()) if Path(base).expanduser().exists() else ModelRef(base, hub_id=base)
    try:
        hf = load_model_config(ref)
    except UserError:
        return  # not on this machine: the adapter still names it; loading will tell
    size = getattr(hf, "d_model", None) or getattr(hf, "hidden_size", None)
    if size is not None and int(size) != prompt.embedding_dim:
        raise UserError(f"--base {base}: its hidden size is {size} but the prompt embeddings are "
                        f"{prompt.embedding_dim} wide; give the base model IGRAG trained them on "
                        f"(google/flan-t5-base for 768)")


def convert_command_line(source: str | os.PathLike, out: str | os.PathLike = "DIR",
                         base: str | None = "MODEL") -> str:
    """The ``igrag convert`` line for these paths, each one shell-quoted: a path with spaces,
    quotes or ``$(...)`` stays one argument and never runs as shell code when pasted."""
    return shlex.join(["igrag", "convert", str(source), "--out", str(out)] + (["--base", base] if base else []))


def holds_adapter(folder: Path) -> bool:
    return (folder / CONFIG_NAME).exists() or (folder / SAFETENSORS_NAME).exists()


def convert_igrag_prompt(path: str | os.PathLike, out: str | os.PathLike, base: str | None = None,
                         force: bool = False) -> tuple[Path, IgragPrompt]:
    """Write the PEFT adapter for IGRAG's prompt embeddings at ``path`` into folder ``out``."""
    from ..files.output_folders import put_in_place, replace_refusal, staging_beside

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out}: is a file; give a folder for the adapter")
    refusal = replace_refusal(out, sources=[path], replace=force, busy=(
        f"already holds an adapter ({CONFIG_NAME}); choose another folder, or pass --force to replace it"
        if holds_adapter(out) else "already holds a converted adapter; choose another folder, or pass "
                                   "--force to replace it"))
    if refusal:
        raise UserError(f"--out {out}: {refusal}")
    prompt = read_igrag_prompt(path)
    if base:
        _check_base(prompt, base)
    from safetensors.torch import save_file

    tmp = staging_beside(out)
    try:
        os.chmod(tmp, 0o777 & ~_umask())
        _peft_config(prompt.peft_config(base)).save_pretrained(str(tmp))
        save_file({KEY: prompt.embeddings}, str(tmp / SAFETENSORS_NAME),
                  metadata={"format": "pt", "converted_from": "IGRAG prompt_embeddings.pt"})
        for child in (tmp / CONFIG_NAME, tmp / SAFETENSORS_NAME):
            os.chmod(child, 0o666 & ~_umask())
        put_in_place(tmp, out, "convert")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # only this call's own temporary folder
    return out, prompt


def _peft_config(config: dict):
    """PEFT's own config class, so that adapter_config.json is exactly what PEFT writes."""
    from peft import PromptTuningConfig

    return PromptTuningConfig(**{k: v for k, v in config.items() if k != "peft_type"})


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
