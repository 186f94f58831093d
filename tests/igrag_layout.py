"""Fixtures laid out like the IGRAG repository and a Hugging Face cache holding FLAN-T5-base's
config.json only (enough for validate and params; no weights)."""

from __future__ import annotations

import shutil
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
IGRAG = FIXTURES / "igrag"
LORA_CONFIG = Path("lora_training/config/lora_config.yaml")


def igrag_copy(tmp_path: Path) -> Path:
    """A fresh copy of the IGRAG layout (their repository root) under ``tmp_path``."""
    root = tmp_path / "IGRAG"
    shutil.copytree(IGRAG, root)
    return root


def hub_cache(tmp_path: Path, repo_id: str = "google/flan-t5-base") -> Path:
    """A Hugging Face hub cache (``HF_HUB_CACHE``) holding ``repo_id``'s config.json."""
    cache = tmp_path / "hf-cache"
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    commit = "0" * 40
    snapshot = repo / "snapshots" / commit
    blobs = repo / "blobs"
    snapshot.mkdir(parents=True)
    blobs.mkdir()
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    blob = blobs / "config-blob"
    shutil.copy(FIXTURES / "flan-t5-base" / "config.json", blob)
    (snapshot / "config.json").symlink_to(Path("..", "..", "blobs", blob.name))
    return cache


def use_hub_cache(monkeypatch, cache: Path) -> Path:
    """Point this process (and its children) at ``cache``: huggingface_hub reads the cache folder
    from ``constants`` on each call, fixed from the environment at its first import."""
    from huggingface_hub import constants

    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    return cache


def save_igrag_prompt(path: Path, length: int = 20, dim: int = 768, seed: int = 0, **extra) -> Path:
    """A ``prompt_embeddings.pt`` exactly as IGRAG's prompt-tuning script writes it."""
    import torch

    torch.manual_seed(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {"prompt_embeddings": torch.nn.Parameter(torch.randn(length, dim) * 0.5),
             "prompt_length": length, "embedding_dim": dim, "initialization": "random", **extra}
    torch.save(state, path)
    return path
