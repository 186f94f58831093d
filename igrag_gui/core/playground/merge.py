"""Merge an adapter into its base model, save a full model folder, and prove it right.

The merge is made on a fresh copy of the base model (loaded from the same place), never on the
session's own model: merging in place and unmerging afterwards would leave the session's weights
a rounding error away from the base. The folder (safetensors weights, config, generation config,
tokenizer) is written under a temporary name and renamed into place (``output_folders``: never over the
adapter or base model it reads, never over files igrag did not write; an old merge igrag wrote
goes to the trash when overwriting is allowed). Then the saved folder is
loaded back and compared with the session's base+adapter: greedy outputs on a few prompts, and
the largest difference of their logits on those prompts (teacher-forced on the adapter's output).

Memory: while it runs there is a second copy of the base model (the one being merged, then the
one read back), freed before it returns.
"""

from __future__ import annotations

import gc
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from ..errors import UserError
from ..methods.bottleneck_section import PEFT_TYPE as BOTTLENECK
from ..data.prompts import DetectedObject, build_prompt
from ..torch_thread import call as call_on_torch_thread
from .settings import GenerationSettings

if TYPE_CHECKING:  # pragma: no cover
    from .session import Session

BUSY_MERGE = "a merge is using the model; wait for it to finish"
LOGIT_TOLERANCE = 1e-3  # float32: a merge moves logits by ~1e-6; more means something is wrong

DEFAULT_VERIFY_PROMPTS = [
    build_prompt(["a man riding a wave on top of a surfboard.", "a surfer rides a large wave in the ocean."],
                 [DetectedObject("person", "center"), DetectedObject("surfboard", "bottom")]),
    build_prompt(["a plate of food with broccoli and rice.", "a white plate topped with meat and vegetables."],
                 [DetectedObject("broccoli", "center"), DetectedObject("dining table", "bottom")]),
    build_prompt(["two giraffes standing next to a tree.", "a giraffe eating leaves from a tall tree."],
                 [DetectedObject("giraffe", "left"), DetectedObject("giraffe", "right")]),
]


@dataclass
class MergeReport:
    out_dir: Path
    params: int
    same_outputs: bool
    max_logit_diff: float
    seconds: float
    adapter: str = ""
    base: str = ""
    files: list[str] = field(default_factory=list)
    bytes: int = 0
    prompts: list[str] = field(default_factory=list)
    adapter_outputs: list[str] = field(default_factory=list)
    merged_outputs: list[str] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return self.same_outputs and self.max_logit_diff <= LOGIT_TOLERANCE

    def lines(self) -> list[str]:
        out = [f"merged adapter '{self.adapter}' into {self.base}",
               f"saved {self.out_dir} ({', '.join(self.files)}; {self.bytes / 2**20:.1f} MiB, "
               f"{self.params:,} parameters) in {self.seconds:.1f} s",
               f"verified on {len(self.prompts)} prompts: greedy outputs "
               f"{'identical to' if self.same_outputs else 'DIFFERENT from'} base+adapter; "
               f"max |logit difference| {self.max_logit_diff:.2e}"]
        for i, (a, m) in enumerate(zip(self.adapter_outputs, self.merged_outputs), 1):
            if a != m:
                out.append(f"  prompt {i}: base+adapter '{a}' vs merged '{m}'")
        return out


def check_out_dir(out_dir: Path, overwrite: bool, sources: Sequence[Any] = (),
                  ask: str = " (or allow overwriting it)") -> None:
    """Refuse an ``out_dir`` that is a file, a source the merge reads (the adapter, the base
    model), a folder holding files igrag did not write, or a merged model igrag wrote when
    ``overwrite`` is not given (``ask``: how to give it)."""
    from ..files.output_folders import replace_refusal

    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"'{out_dir}' is a file; give a folder for the merged model")
    refusal = replace_refusal(out_dir, sources, replace=overwrite,
                              busy=f"'{out_dir}' already exists and is not empty; choose a new folder{ask}")
    if refusal:
        raise UserError(refusal)
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create '{out_dir.parent}': {exc.strerror or exc}") from None


def merge_and_save(session: "Session", adapter: str, out_dir: str | os.PathLike,
                   verify_prompts: Sequence[str] | None = None,
                   progress: Callable[[str], None] | None = None, overwrite: bool = False) -> MergeReport:
    """Merge ``adapter`` into a copy of the session's base model, save it as a full model folder
    in ``out_dir`` (``model.safetensors``, config, tokenizer), load it back and compare it with
    the session's base+adapter on ``verify_prompts`` (default: three IGRAG prompts)."""
    import torch
    from peft import PeftModel

    from ..files.output_folders import MARKER, put_in_place, staging_beside
    from ..models.generation import generate_batched
    from ..models.loading import ModelRef, load_model

    say = progress or (lambda line: None)
    start = time.perf_counter()
    if adapter is None:
        raise UserError("choose an adapter to merge; the base model alone needs no merging")
    info = session.adapter_info(adapter)
    if info.prompt_learning:
        raise UserError(f"adapter '{adapter}' is a {info.peft_type} adapter: its virtual tokens are not "
                        f"weights of the model, so it cannot be merged; only LoRA-style adapters can")
    if info.peft_type == BOTTLENECK:
        raise UserError(f"adapter '{adapter}' is a bottleneck adapter: its non-linearity sits between its "
                        f"down- and up-projection, so it cannot fold into the model's weights; use it "
                        f"attached to the base model instead (igrag generate --adapter)")
    out_dir = Path(out_dir).expanduser().resolve()
    check_out_dir(out_dir, overwrite, sources=[info.path, getattr(session.ref, "folder", None)])
    prompts = list(verify_prompts) if verify_prompts else list(DEFAULT_VERIFY_PROMPTS)
    session.check_prompts(prompts)

    def work(use: Any) -> MergeReport:  # on the torch thread, the model held by this caller
        dtype = next(use.model.parameters()).dtype
        say(f"loading a fresh copy of {session.base}")
        fresh = load_model(session.ref, session.kind, dtype=dtype)
        say(f"merging '{adapter}'")
        try:
            merged = PeftModel.from_pretrained(fresh, str(info.path)).merge_and_unload()
        except Exception as exc:  # noqa: BLE001 - PEFT's reasons become a sentence
            raise UserError(f"PEFT cannot merge adapter '{adapter}' ({info.peft_type}): "
                            f"{str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}") from None
        say(f"saving to {out_dir}")
        staging = None
        try:
            staging = staging_beside(out_dir)  # this call's own: removed on failure, never another's
            merged.save_pretrained(str(staging))
            with session.tokenizer_lock:
                session.tokenizer.save_pretrained(str(staging))
            _usual_permissions(staging)
            put_in_place(staging, out_dir, "merge")  # a merge igrag wrote before goes to the trash
        except OSError as exc:
            if staging is not None:
                shutil.rmtree(staging, ignore_errors=True)
            raise UserError(f"cannot save the merged model to '{out_dir}': {exc.strerror or exc}") from None
        except UserError:
            if staging is not None:
                shutil.rmtree(staging, ignore_errors=True)
            raise
        finally:
            del merged, fresh
            gc.collect()
        files = sorted(p.name for p in out_dir.iterdir() if p.is_file() and p.name != MARKER)
        size = sum((out_dir / f).stat().st_size for f in files)
        say("loading the saved model back to verify it")
        reloaded = load_model(ModelRef(str(out_dir), folder=out_dir), session.kind, dtype=dtype).to(session.device)
        reloaded.eval()
        try:
            settings = GenerationSettings(max_new_tokens=40)
            ours = use.generate(prompts, settings, adapter, batch_size=len(prompts))
            theirs = generate_batched(reloaded, session.tokenizer, prompts, session.kind, session.max_source_length,
                                      settings.generate_kwargs(), len(prompts), tokenizer_lock=session.tokenizer_lock)
            diff = 0.0
            with torch.no_grad(), use.active(adapter) as model:
                for prompt, text in zip(prompts, ours):
                    inputs = _teacher_forced(session, prompt, text)
                    a = model(**inputs).logits.float()
                    b = reloaded(**inputs).logits.float()
                    diff = max(diff, float((a - b).abs().max()))
            params = sum(p.numel() for p in reloaded.parameters())
        finally:
            del reloaded
            gc.collect()
        return MergeReport(out_dir=out_dir, params=int(params), same_outputs=ours == theirs, max_logit_diff=diff,
                           seconds=time.perf_counter() - start, adapter=adapter, base=session.base, files=files,
                           bytes=size, prompts=prompts, adapter_outputs=ours, merged_outputs=theirs)

    with session.exclusive(BUSY_MERGE) as use:
        return call_on_torch_thread(work, use)


def _teacher_forced(session: "Session", prompt: str, output: str) -> dict[str, Any]:
    """Model inputs that score ``output`` after ``prompt`` (logits for every output position)."""
    import torch

    ids = session.prepare_prompt(prompt).input_ids
    with session.tokenizer_lock:
        target = session.tokenizer(output or session.tokenizer.eos_token, add_special_tokens=True)["input_ids"]
    device = session.device
    if session.kind == "seq2seq":
        return {"input_ids": torch.tensor([ids], device=device), "labels": torch.tensor([target], device=device)}
    joined = torch.tensor([ids + target], device=device)
    return {"input_ids": joined, "attention_mask": torch.ones_like(joined)}


def _usual_permissions(folder: Path) -> None:
    """transformers writes the weights through a private temporary file (mode 0600); give every
    file the mode a plain write would have (0666 less the umask), as the rest of the folder has."""
    umask = os.umask(0)
    os.umask(umask)
    for path in folder.iterdir():
        if path.is_file():
            path.chmod(0o666 & ~umask)
