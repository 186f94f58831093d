"""A run's model card: ``README.md`` in the Hugging Face model-card layout, as a run pack holds it.

The front matter is huggingface_hub's ``ModelCardData`` (``base_model``, ``library_name: peft``,
tags with PEFT's own ``base_model:adapter:<id>``), so the card is what the Hub reads on upload;
the body says what a reader asks first: the method, the data, the metrics, how to load it.
Everything here comes from the run's files (``run.yaml``, ``metrics.jsonl``,
``adapter_config.json``), already scrubbed of local paths by ``packs.py``.
"""

from __future__ import annotations

from typing import Any

from .runs import Run

TASKS = {"SEQ_2_SEQ_LM": ("AutoModelForSeq2SeqLM", "text2text-generation"),
         "CAUSAL_LM": ("AutoModelForCausalLM", "text-generation")}


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _method_lines(config: dict[str, Any], method: str) -> list[str]:
    section = config.get(method if method in config else "lora") or {}
    return [f"- `{key}`: {_fmt(value)}" for key, value in section.items()
            if value not in (None, [], {}) and not isinstance(value, dict)]


def card_text(run: Run, base_model: str, base_is_local: bool, adapter_config: dict[str, Any]) -> str:
    """The whole ``README.md``: YAML front matter, then the sections."""
    from huggingface_hub import ModelCard, ModelCardData

    task = str(adapter_config.get("task_type") or "")
    auto_class, pipeline = TASKS.get(task, ("AutoModel", None))
    method = run.method
    data = ModelCardData(base_model=base_model, library_name="peft", pipeline_tag=pipeline,
                         tags=[f"base_model:adapter:{base_model}", method, "transformers", "igrag-gui"])
    cfg = run.config
    t, d = cfg.get("training") or {}, cfg.get("data") or {}
    versions = cfg.get("versions") or {}
    started = next((e for e in run.events if e.get("event") == "started"), {})
    lines = [f"# {run.name}", "",
             f"A {method.upper()} adapter for `{base_model}`, trained with igrag-gui "
             f"{versions.get('igrag_gui', '')} (PEFT {versions.get('peft', '?')}, transformers "
             f"{versions.get('transformers', '?')}, torch {versions.get('torch', '?')}).", ""]
    if base_is_local:
        lines += [f"The base model was a local folder (`{base_model}`), not a Hugging Face Hub id: before "
                  f"uploading, set `base_model` above (and `base_model_name_or_path` in "
                  f"`adapter_config.json`) to the model's Hub id.", ""]
    lines += ["## Method", "", f"PEFT method `{method}`:", "", *_method_lines(cfg, method), ""]
    if started.get("trainable"):
        lines += [f"Trainable parameters: {int(started['trainable']):,} of {int(started['total']):,} "
                  f"({float(started['percent']):g}%).", ""]
    lines += ["Training: " + ", ".join(f"{k} {_fmt(t[k])}" for k in
                                       ("learning_rate", "num_train_epochs", "max_steps", "train_batch_size",
                                        "gradient_accumulation_steps", "warmup_steps", "weight_decay", "seed")
                                       if k in t)
              + f"; effective batch {started.get('effective_batch_size', '?')}, precision "
                f"{started.get('precision', '?')}, {run.steps} steps ({run.status}).", ""]
    lines += ["## Data", "",
              f"- Training: {started.get('num_train_examples', '?')} examples (`{d.get('train_path', '?')}`)",
              f"- Validation: {started.get('num_val_examples', 0)} examples (`{d.get('val_path') or 'none'}`)",
              f"- Input field `{d.get('prompt_field', 'prompt')}`, target field `{d.get('caption_field', 'caption')}`; "
              f"at most {d.get('max_source_length', '?')} source and {d.get('max_target_length', '?')} target tokens",
              ""]
    results = run.metrics()
    lines += ["## Metrics", ""]
    if results:
        lines += ["Validation, over the run's evaluations (COCO caption metrics by pycocoevalcap; loss is "
                  "token-mean cross-entropy):", "", "| metric | best | last |", "|---|---|---|"]
        lines += [f"| {name} | {v['best']:.4g} | {v['last']:.4g} |" for name, v in results.items()]
    else:
        lines += ["The run recorded no validation metrics."]
    lines += ["", "`metrics.jsonl` holds every logged step and evaluation; `run.yaml` the full config.", "",
              "## How to load it with PEFT", "", "```python",
              f"from transformers import {auto_class}, AutoTokenizer",
              "from peft import PeftModel", "",
              f'base = {auto_class}.from_pretrained("{base_model}")',
              f'tokenizer = AutoTokenizer.from_pretrained("{base_model}")',
              'model = PeftModel.from_pretrained(base, "path/to/this/folder")  # or the Hub id it was uploaded to',
              "```", "",
              "Or in igrag: `igrag runs unpack run.zip --into runs/NAME`, then open it in the Inspector or the "
              "Playground.", ""]
    return str(ModelCard(f"---\n{data.to_yaml()}\n---\n\n" + "\n".join(lines)))
