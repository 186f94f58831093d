"""The baseline for train_overhead.py: what a user's own Trainer + PEFT script does with the same
config, field for field.

Same model, data, limits, LoRA settings, batch size, accumulation, learning rate, warm-up,
weight decay, linear schedule, logging cadence, seed and data seed as `igrag train CONFIG`; the
stock DataCollatorForSeq2Seq (per-batch padding, labels padded with -100, attention masks from the
tokenizer's pad); the model's own loss. No evaluation, no checkpoints. Prints the Trainer's
train_samples_per_second as JSON.

    python benchmarks/plain_trainer.py CONFIG STEPS OUTPUT_DIR [MODEL_DIR] [--group-by-length]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml
from peft import LoraConfig, get_peft_model
from transformers import (AutoModelForSeq2SeqLM, AutoTokenizer, DataCollatorForSeq2Seq, Seq2SeqTrainer,
                          Seq2SeqTrainingArguments)


def main(config_path: str, max_steps: int, output_dir: str, model_dir: str | None, group: bool) -> None:
    cfg = yaml.safe_load(Path(config_path).read_text())
    base = Path(config_path).parent
    model_dir = model_dir or str((base / cfg["model"]["base_model_path"]).resolve())
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSeq2SeqLM.from_pretrained(model_dir)
    t, d, lora = cfg["training"], cfg["data"], cfg["lora"]
    from transformers import set_seed

    set_seed(t["seed"])  # the same LoRA initialisation as igrag's
    model = get_peft_model(model, LoraConfig(r=lora["r"], lora_alpha=lora["lora_alpha"], lora_dropout=lora["dropout"],
                                             target_modules=lora["target_modules"], task_type="SEQ_2_SEQ_LM"))
    rows = [json.loads(line) for line in (base / d["train_path"]).read_text().splitlines() if line.strip()]
    enc = tokenizer([r["prompt"] for r in rows], truncation=True, max_length=d["max_source_length"])
    lab = tokenizer([r["caption"] for r in rows], truncation=True, max_length=d["max_target_length"])
    data = [{"input_ids": i, "labels": l} for i, l in zip(enc["input_ids"], lab["input_ids"])]
    args = Seq2SeqTrainingArguments(
        output_dir=output_dir, max_steps=max_steps, per_device_train_batch_size=t["train_batch_size"],
        gradient_accumulation_steps=t["gradient_accumulation_steps"], learning_rate=float(t["learning_rate"]),
        weight_decay=float(t["weight_decay"]), warmup_steps=t["warmup_steps"], lr_scheduler_type="linear",
        logging_steps=t["logging_steps"], logging_first_step=True, eval_strategy="no", save_strategy="no",
        seed=t["seed"], data_seed=t["seed"], report_to=[], disable_tqdm=True, use_cpu=True,
        remove_unused_columns=False, dataloader_pin_memory=False, train_sampling_strategy="group_by_length" if group else "random")
    trainer = Seq2SeqTrainer(model=model, args=args, train_dataset=data,
                             data_collator=DataCollatorForSeq2Seq(tokenizer, model=model, label_pad_token_id=-100))
    result = trainer.train()
    print(json.dumps({"train_samples_per_second": result.metrics["train_samples_per_second"]}))


if __name__ == "__main__":
    flags = [a for a in sys.argv[1:] if a.startswith("--")]
    pos = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(pos[0], int(pos[1]), pos[2], pos[3] if len(pos) > 3 else None, "--group-by-length" in flags)
