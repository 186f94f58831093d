"""The baseline for train_overhead.py: the smallest honest Trainer + PEFT script for the demo.

Same model, data, LoRA settings, batch size, steps and seed as `igrag train configs/demo.yaml`;
no evaluation, no checkpoints. Prints the Trainer's train_samples_per_second as JSON.
"""

from __future__ import annotations

import json
import sys

import yaml
from peft import LoraConfig, get_peft_model
from transformers import (AutoModelForSeq2SeqLM, AutoTokenizer, DataCollatorForSeq2Seq, Seq2SeqTrainer,
                          Seq2SeqTrainingArguments)


def main(config_path: str, max_steps: int, output_dir: str) -> None:
    from pathlib import Path

    cfg = yaml.safe_load(Path(config_path).read_text())
    base = Path(config_path).parent
    model_dir = (base / cfg["model"]["base_model_path"]).resolve()
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSeq2SeqLM.from_pretrained(model_dir)
    lora = cfg["lora"]
    model = get_peft_model(model, LoraConfig(r=lora["r"], lora_alpha=lora["lora_alpha"], lora_dropout=lora["dropout"],
                                             target_modules=lora["target_modules"], task_type="SEQ_2_SEQ_LM"))
    rows = [json.loads(line) for line in (base / cfg["data"]["train_path"]).read_text().splitlines() if line.strip()]
    enc = tokenizer([r["prompt"] for r in rows], truncation=True, max_length=cfg["data"]["max_source_length"])
    lab = tokenizer([r["caption"] for r in rows], truncation=True, max_length=cfg["data"]["max_target_length"])
    data = [{"input_ids": i, "labels": l} for i, l in zip(enc["input_ids"], lab["input_ids"])]
    t = cfg["training"]
    args = Seq2SeqTrainingArguments(
        output_dir=output_dir, max_steps=max_steps, per_device_train_batch_size=t["train_batch_size"],
        gradient_accumulation_steps=t["gradient_accumulation_steps"], learning_rate=float(t["learning_rate"]),
        warmup_steps=t["warmup_steps"], logging_steps=t["logging_steps"], eval_strategy="no", save_strategy="no",
        seed=t["seed"], data_seed=t["seed"], report_to=[], disable_tqdm=True, use_cpu=True,
        remove_unused_columns=False, dataloader_pin_memory=False)
    trainer = Seq2SeqTrainer(model=model, args=args, train_dataset=data,
                             data_collator=DataCollatorForSeq2Seq(tokenizer, model=model, label_pad_token_id=-100))
    result = trainer.train()
    print(json.dumps({"train_samples_per_second": result.metrics["train_samples_per_second"]}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
