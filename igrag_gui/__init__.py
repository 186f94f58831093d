"""igrag-gui: LoRA fine-tuning of Hugging Face models with PEFT, as a desktop app and a CLI."""

__version__ = "0.1.0"
