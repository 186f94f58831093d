"""``igrag convert PATH --out DIR``: IGRAG's prompt_embeddings.pt as a PEFT adapter folder."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("convert", help="turn IGRAG's prompt_embeddings.pt into a PEFT adapter folder",
                       description="Read IGRAG's prompt_embeddings.pt (torch.load weights_only=True: "
                                   "never runs code) and write a standard PEFT prompt-tuning adapter "
                                   "(adapter_config.json, adapter_model.safetensors) that "
                                   "PeftModel.from_pretrained, the Playground and igrag generate load.")
    p.add_argument("path", metavar="PATH", help="IGRAG's prompt_embeddings.pt")
    p.add_argument("--out", required=True, metavar="DIR", help="the adapter folder to write")
    p.add_argument("--base", metavar="MODEL",
                   help="the base model it was trained on (a folder or a Hugging Face id such as "
                        "google/flan-t5-base), written into adapter_config.json")
    p.add_argument("--force", action="store_true", help="replace an adapter already in DIR")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..core.adapters.igrag_convert import convert_igrag_prompt

    out, prompt = convert_igrag_prompt(args.path, args.out, base=args.base, force=args.force)
    print(f"wrote {out}: PEFT prompt tuning, {prompt.prompt_length} virtual tokens x "
          f"{prompt.embedding_dim} (encoder only), {prompt.num_params:,} parameters, base model "
          f"{args.base or 'not named (pass --base MODEL to name it)'}")
    return 0
