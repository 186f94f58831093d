"""Cross-check igrag's bottleneck adapters against AdapterHub's ``adapters`` 1.3.0.

For several adapter configs this adds igrag's adapters to the demo's tiny T5 (resources/demo/model,
the model the tests train), gives every adapter tensor random values, saves the adapter in
AdapterHub's layout and computes the logits of a fixed batch. A second Python, in a venv with
``adapters`` 1.3.0 and transformers 4.57.6 (they cannot live beside our transformers 5), builds the
same model, loads each saved adapter with ``load_adapter(..., use_safetensors=True)``, counts its
trainable parameters after ``train_adapter`` and computes the same logits. Printed per config:
both counts and max |delta logit|; exit 1 when a count differs or a delta exceeds 1e-5.

    python scripts/adapterhub_crosscheck.py [--python /work/adapterhub-venv/bin/python]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "resources" / "demo" / "model"
DEFAULT_PYTHON = os.environ.get("IGRAG_ADAPTERHUB_PYTHON", "/work/adapterhub-venv/bin/python")
TOLERANCE = 1e-5
BASE = "(no adapter: the two transformers)"
CONFIGS = {  # name -> adapter section values
    "pfeiffer": {},
    "houlsby": {"placement": "houlsby"},
    "houlsby+cross+ln+learned": {"placement": "houlsby", "cross_adapter": True, "ln_before": True,
                                 "ln_after": True, "scaling": "learned"},
    "pfeiffer-encoder-24-gelu-channel": {"stacks": "encoder", "bottleneck_size": 24, "non_linearity": "gelu",
                                         "residual_before_ln": False, "scaling": "channel"},
    "houlsby-decoder-rf8-tanh-0.5": {"placement": "houlsby", "stacks": "decoder", "reduction_factor": 8,
                                     "non_linearity": "tanh", "scaling": 0.5, "init_weights": "mam_adapter"},
}
CHILD = r"""
import json, sys
import torch
import adapters
from safetensors.torch import load_file, save_file
from transformers import T5ForConditionalGeneration

torch.set_num_threads(1)
work = sys.argv[1]
batch = load_file(f"{work}/batch.safetensors")
out = {}
model = T5ForConditionalGeneration.from_pretrained(sys.argv[2]).eval()
with torch.no_grad():
    save_file({"logits": model(**batch).logits.contiguous()}, f"{work}/base_hub_logits.safetensors")
for name in json.load(open(f"{work}/names.json")):
    model = T5ForConditionalGeneration.from_pretrained(sys.argv[2]).eval()
    adapters.init(model)
    loaded = model.load_adapter(f"{work}/{name}", use_safetensors=True)
    model.set_active_adapters(loaded)
    model.train_adapter(loaded)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    model.eval()
    with torch.no_grad():
        logits = model(**batch).logits
    save_file({"logits": logits.contiguous()}, f"{work}/{name}/hub_logits.safetensors")
    out[name] = {"trainable": trainable, "adapters": adapters.__version__}
print(json.dumps(out))
"""


def batch() -> dict:
    import torch

    ids = torch.tensor([[37, 4, 12, 99, 250, 7, 18, 1], [5, 61, 300, 9, 1, 0, 0, 0]])
    mask = (ids != 0).long()
    mask[0] = 1
    dec = torch.tensor([[0, 14, 27, 3, 90], [0, 8, 8, 401, 2]])
    return {"input_ids": ids, "attention_mask": mask, "decoder_input_ids": dec}


def ours(work: Path) -> dict:
    """Save each config's adapter (random values) and our logits; return our counts."""
    import torch
    from safetensors.torch import save_file
    from transformers import AutoModelForSeq2SeqLM

    from igrag_gui.core.methods import bottleneck
    from igrag_gui.core.methods.bottleneck_section import AdapterSection

    torch.set_num_threads(1)
    inputs = batch()
    save_file(inputs, str(work / "batch.safetensors"))
    found = {}
    with torch.no_grad():
        found[BASE] = {"trainable": 0, "logits": AutoModelForSeq2SeqLM.from_pretrained(str(MODEL)).eval()(**inputs).logits}
    for i, (name, values) in enumerate(CONFIGS.items()):
        torch.manual_seed(1000 + i)
        model = AutoModelForSeq2SeqLM.from_pretrained(str(MODEL)).eval()
        bottleneck.add_adapters(model, bottleneck.build(AdapterSection(**values), model))
        with torch.no_grad():
            for key, param in model.named_parameters():
                if ".adapters." in key:
                    param.add_(torch.randn_like(param) * 0.05)
        trainable, _ = bottleneck.count(model)
        bottleneck.save(model, work / name)
        with torch.no_grad():
            logits = model(**inputs).logits
        found[name] = {"trainable": trainable, "logits": logits}
    (work / "names.json").write_text(json.dumps(list(CONFIGS)))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=DEFAULT_PYTHON, help="the AdapterHub venv's python")
    args = parser.parse_args(argv)
    if not Path(args.python).is_file():
        print(f"no AdapterHub python at {args.python}; make the venv (see docs/adapter-tuning.md)", file=sys.stderr)
        return 2
    from safetensors.torch import load_file

    with tempfile.TemporaryDirectory(prefix="igrag-crosscheck-") as tmp:
        work = Path(tmp)
        found = ours(work)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        run = subprocess.run([args.python, "-c", CHILD, str(work), str(MODEL)], capture_output=True, text=True,
                             env=env)
        if run.returncode != 0:
            print(run.stderr[-3000:], file=sys.stderr)
            return 1
        theirs = json.loads(run.stdout.strip().splitlines()[-1])
        ok = True
        theirs[BASE] = {"trainable": 0}
        print(f"{'config':<34} {'igrag':>8} {'adapters':>8}  max|delta logit|")
        for name in (BASE, *CONFIGS):
            where = work / "base_hub_logits.safetensors" if name == BASE else work / name / "hub_logits.safetensors"
            hub = load_file(str(where))["logits"]
            delta = float((found[name]["logits"] - hub).abs().max())
            same = found[name]["trainable"] == theirs[name]["trainable"]
            ok = ok and same and delta <= TOLERANCE
            print(f"{name:<34} {found[name]['trainable']:>8,} {theirs[name]['trainable']:>8,}  {delta:.3g}"
                  + ("" if same and delta <= TOLERANCE else "  MISMATCH"))
        version = theirs[next(iter(CONFIGS))]["adapters"]
        print(f"{'all equal' if ok else 'NOT equal'}: counts and logits within {TOLERANCE:g} against adapters {version}")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
