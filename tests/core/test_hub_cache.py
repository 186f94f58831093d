"""The models of the local Hugging Face cache, read with ``huggingface_hub.scan_cache_dir`` from a
cache laid out as huggingface_hub writes it (blobs, refs, snapshots of symlinks)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from huggingface_hub import try_to_load_from_cache

from igrag_gui.core.models.hub_cache import cached_model_ids, hub_cache_dir
from tests.hub_cache_layout import add_repo


@pytest.fixture
def cache(tmp_path) -> Path:
    cache = tmp_path / "hub"
    add_repo(cache, "google/flan-t5-base", {"config.json": "{}", "model.safetensors": "x"})
    add_repo(cache, "gpt2", {"config.json": "{}"})
    add_repo(cache, "Org/Alpha", {"config.json": "{}"})
    add_repo(cache, "org/tokenizer-only", {"tokenizer.json": "{}"})
    add_repo(cache, "org/data", {"config.json": "{}"}, repo_type="dataset")
    (cache / "models--half--downloaded").mkdir()  # no snapshots: scan_cache_dir skips it as corrupted
    (cache / "version.txt").write_text("1")
    return cache


def test_the_layout_is_the_one_huggingface_hub_reads(cache):
    found = try_to_load_from_cache("gpt2", "config.json", cache_dir=cache)
    assert isinstance(found, str) and Path(found).read_text() == "{}"


def test_models_with_a_config_are_listed_datasets_and_partial_repos_are_not(cache):
    assert cached_model_ids(cache) == ["google/flan-t5-base", "gpt2", "Org/Alpha"]


def test_no_cache_is_no_models(tmp_path):
    assert cached_model_ids(tmp_path / "missing") == []
    (tmp_path / "a-file").write_text("")
    assert cached_model_ids(tmp_path / "a-file") == []


def test_a_download_shows_up_at_the_next_look(cache):
    assert "new/model" not in cached_model_ids(cache)
    add_repo(cache, "new/model", {"config.json": "{}"})
    os.utime(cache, ns=(os.stat(cache).st_atime_ns, os.stat(cache).st_mtime_ns + 1_000_000_000))
    assert "new/model" in cached_model_ids(cache)


def test_the_default_cache_is_hf_hub_cache(cache, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    assert cached_model_ids() == ["google/flan-t5-base", "gpt2", "Org/Alpha"]


@pytest.mark.parametrize("env", [{}, {"HF_HOME": "~/hf"}, {"XDG_CACHE_HOME": "/x/cache"},
                                 {"HF_HOME": "/h", "HF_HUB_CACHE": "/c"}, {"HUGGINGFACE_HUB_CACHE": "/old"}])
def test_hub_cache_dir_agrees_with_huggingface_hub(env):
    """The folder is worked out without importing huggingface_hub (0.2 s before the first frame);
    a fresh huggingface_hub must find the same folder under the same variables."""
    clean = {k: v for k, v in os.environ.items()
             if k not in ("HF_HOME", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "XDG_CACHE_HOME")}
    code = ("from huggingface_hub import constants; from igrag_gui.core.models.hub_cache import hub_cache_dir; "
            "print(constants.HF_HUB_CACHE); print(hub_cache_dir())")
    out = subprocess.run([sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True,
                         check=True).stdout.split("\n")
    assert out[0] == out[1], env
    assert hub_cache_dir  # imported from the core, where the picker and the stand-in read it
