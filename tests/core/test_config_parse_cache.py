"""A config text parsed once is read back from ``parse_cache`` without PyYAML, exactly as PyYAML
gave it; what JSON cannot carry unchanged is parsed every time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from igrag_gui.core.config import load_config
from igrag_gui.core.config import parse_cache

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cache(tmp_path, monkeypatch):
    path = tmp_path / "cache" / "parsed-configs.json"
    monkeypatch.setenv("IGRAG_CONFIG_CACHE", str(path))
    return path


def test_a_second_load_of_the_same_text_gives_the_same_config(cache, make_config):
    path = make_config(raw="model:\n  base_model_path: demo\nlora:\n  r: 8\n  alpha: 16  # an alias\n  target_modules: [q, v]\n"
                           "training:\n  learning_rate: 3.0e-4\n  fp16: false\n  odd: 1\n")
    first, warnings_first = load_config(path)
    assert cache.exists() and json.loads(cache.read_text())["entries"][0]["text"] == path.read_text()
    second, warnings_second = load_config(path)
    assert second.to_dict() == first.to_dict() and second.lines == first.lines
    assert (second.unknown, second.spellings, warnings_second) == (first.unknown, first.spellings, warnings_first)
    assert second.lines["lora.lora_alpha"] == 5 and second.lora.lora_alpha == 16 and type(second.training.learning_rate) is float
    assert second.lora.r == 8 and type(second.lora.r) is int


def test_an_edited_file_is_parsed_again(cache, make_config):
    path = make_config(raw="lora:\n  r: 8\n")
    assert load_config(path)[0].lora.r == 8
    path.write_text("lora:\n  r: 4\n")  # same size, same second: only the text tells them apart
    assert load_config(path)[0].lora.r == 4
    assert [e["data"] for e in json.loads(cache.read_text())["entries"]] == [{"lora": {"r": 4}}, {"lora": {"r": 8}}]


@pytest.mark.parametrize("text", ["training:\n  note: 2024-01-31\n",  # a date
                                  "lora:\n  1: one\n",  # a key that is not a string
                                  "training:\n  learning_rate: .nan\n"])
def test_values_json_would_change_are_not_cached(cache, tmp_path, text):
    path = tmp_path / "odd.yaml"
    path.write_text(text)
    load_config(path)
    assert not cache.exists() or json.loads(cache.read_text())["entries"] == []


def test_same_tells_types_apart():
    assert parse_cache.same({"a": [1, 2.0, True, None, "x"]}, {"a": [1, 2.0, True, None, "x"]})
    assert not parse_cache.same(1, 1.0) and not parse_cache.same(True, 1) and not parse_cache.same([1], (1,))
    assert not parse_cache.same({"a": 1}, {"a": 1, "b": 2})


def test_a_broken_or_unwritable_cache_is_ignored(cache, make_config):
    cache.parent.mkdir(parents=True)
    cache.write_text("{not json")
    path = make_config(raw="lora:\n  r: 8\n")
    assert load_config(path)[0].lora.r == 8  # parsed, and the cache written afresh
    assert json.loads(cache.read_text())["entries"][0]["data"] == {"lora": {"r": 8}}
    cache.unlink()
    cache.mkdir()  # a folder where the file should be: nothing can be written
    assert load_config(path)[0].lora.r == 8


def test_a_syntax_error_is_reported_every_time(cache, tmp_path):
    from igrag_gui.core.errors import UserError

    path = tmp_path / "bad.yaml"
    path.write_text("lora:\n  r: [8\n")
    for _ in range(2):
        with pytest.raises(UserError, match=r"bad.yaml:3:1: YAML syntax error"):
            load_config(path)


def test_a_cached_text_loads_without_importing_pyyaml(cache):
    """What the window's first frame gains: the last config opens without PyYAML's ~10 ms."""
    probe = ("import sys; from igrag_gui.core.config import load_config; "
             "load_config(sys.argv[1]); print('yaml' in sys.modules)")
    env = {**os.environ, "IGRAG_CONFIG_CACHE": str(cache)}
    demo = str(ROOT / "configs" / "demo.yaml")
    runs = [subprocess.run([sys.executable, "-c", probe, demo], capture_output=True, text=True, env=env,
                           cwd=ROOT, check=True).stdout.split() for _ in range(2)]
    assert runs == [["True"], ["False"]]
