"""The file names PEFT saves an adapter under, and whether a path the user gave names one.

Kept apart from ``core.adapters`` (the inspector) so that the window can route a path given on
the command line or dropped on it without importing the inspector before its first frame.
"""

from __future__ import annotations

from pathlib import Path

CONFIG_NAME = "adapter_config.json"
SAFETENSORS_NAME = "adapter_model.safetensors"
PICKLE_NAMES = ("adapter_model.bin", "adapter_model.pt", "adapter_model.pth", "pytorch_adapter.bin")  # the last AdapterHub's
PICKLE_SUFFIXES = (".bin", ".pt", ".pth")


def looks_like_adapter(path: Path) -> bool:
    """Whether a path is for the inspector rather than a YAML config for the Train tab."""
    if path.is_dir():
        return (path / CONFIG_NAME).is_file() or any(path.glob("adapter_model.*"))
    return path.name == CONFIG_NAME or path.suffix in (".safetensors", *PICKLE_SUFFIXES)
