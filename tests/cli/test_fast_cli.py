"""``igrag validate`` and ``igrag params`` answer without torch once a model's config.json has been
seen: the model facts cache (``core/models/facts.py``), its hits and its invalidation."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

from tests.cli.test_cli import ROOT, assert_user_error, igrag
from tests.conftest import FLAN_T5_BASE

HEAVY = ("torch", "transformers", "peft")


def imported_heavy(*args: str, env: dict) -> tuple[subprocess.CompletedProcess, set[str]]:
    """Run ``igrag ARGS`` under ``-X importtime`` and name the heavy top-level packages it imported."""
    import os

    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "igrag_gui", *args], cwd=ROOT,
                            env={**os.environ, "HF_HUB_OFFLINE": "1", **env}, capture_output=True, text=True,
                            timeout=300)
    timing = [line for line in result.stderr.splitlines() if line.startswith("import time:")]
    found = {line.rsplit("|", 1)[-1].strip() for line in timing}
    result.stderr = "".join(line + "\n" for line in result.stderr.splitlines() if line not in timing)
    return result, found & set(HEAVY)


def flan_folder(tmp_path):
    folder = tmp_path / "flan-t5-base"
    shutil.copytree(FLAN_T5_BASE, folder)
    return folder


def test_validate_and_params_skip_torch_once_the_model_was_seen(tmp_path, make_config):
    env = {"IGRAG_MODEL_CACHE": str(tmp_path / "cache")}
    model = flan_folder(tmp_path)
    args = (str(make_config(model={"base_model_path": str(model)})),)
    first, heavy = imported_heavy("params", *args, "--json", env=env)
    assert first.returncode == 0, first.stderr
    assert {"torch", "peft"} <= heavy  # the first question about a model pays the imports
    second, heavy = imported_heavy("params", *args, "--json", env=env)
    assert second.returncode == 0, second.stderr
    assert heavy == set()
    assert json.loads(second.stdout) | {"seconds": 0} == json.loads(first.stdout) | {"seconds": 0}
    checked, heavy = imported_heavy("validate", *args, env=env)
    assert checked.returncode == 0, checked.stderr
    assert heavy == set()
    assert "ok (T5ForConditionalGeneration, seq2seq, method lora)" in checked.stdout


def test_the_cache_follows_config_json_and_method_settings(tmp_path, make_config):
    env = {"IGRAG_MODEL_CACHE": str(tmp_path / "cache")}
    model = flan_folder(tmp_path)
    config_path = str(make_config(model={"base_model_path": str(model)}))
    args = ("params", config_path, "--json")
    base = json.loads(igrag(*args, env=env).stdout)
    assert (base["trainable"], base["total"]) == (1_769_472, 249_347_328)
    # another method setting: a new count (PEFT's), not the cached one
    r8 = json.loads(igrag(*args, "--set", "lora.r=8", env=env).stdout)
    assert r8["trainable"] == 884_736
    # an edited config.json (two fewer decoder layers): the cache must not answer for it
    config = json.loads((model / "config.json").read_text())
    config["num_decoder_layers"] = config["num_layers"] - 2
    (model / "config.json").write_text(json.dumps(config))
    edited, heavy = imported_heavy(*args, env=env)
    assert edited.returncode == 0, edited.stderr
    assert "torch" in heavy
    smaller = json.loads(edited.stdout)
    assert smaller["total"] < base["total"] and smaller["trainable"] < base["trainable"]
    assert smaller["modules"] == base["modules"] - 2 * 4  # q, v of self- and cross-attention per layer
    # and a target the edited model lacks is still caught from the cached module names
    bad = igrag("validate", config_path, "--set", "lora.target_modules=[q, nope]", env=env)
    assert any("lora.target_modules" in line and "nope" in line for line in assert_user_error(bad))


def test_a_contradicting_model_type_is_an_error_from_the_cache_too(tmp_path, make_config):
    env = {"IGRAG_MODEL_CACHE": str(tmp_path / "cache")}
    config_path = make_config(model={"base_model_path": str(flan_folder(tmp_path)), "type": "auto"})
    args = ("validate", str(config_path))
    assert igrag(*args, env=env).returncode == 0  # fills the cache
    result, heavy = imported_heavy(*args, "--set", "model.type=causal", env=env)
    assert heavy == set()
    [line] = assert_user_error(result)
    assert line.endswith("model.base_model_path: model.type is 'causal' but the model "
                         "(T5ForConditionalGeneration) is a seq2seq model; set model.type to 'seq2seq' or 'auto'")


def test_an_unwritable_cache_costs_only_speed(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("")
    env = {"IGRAG_MODEL_CACHE": str(blocked / "cache")}
    result = igrag("params", "configs/lora_config.yaml", "--json", "--set",
                   f"model.base_model_path={FLAN_T5_BASE}", env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["trainable"] == 1_769_472
