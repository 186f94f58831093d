"""The issue's commands on a copy of the IGRAG repository, run from elsewhere as a user would."""

from __future__ import annotations

import json
import shutil

import pytest

from igrag_gui.resources import demo_model_path
from tests.cli.test_cli import assert_user_error, igrag
from tests.igrag_layout import LORA_CONFIG, hub_cache, igrag_copy, save_igrag_prompt

PT = "prompt_tuning/checkpoints/prompt_embeddings.pt"


@pytest.fixture
def layout(tmp_path):
    root = igrag_copy(tmp_path)
    env = {"HF_HUB_CACHE": str(hub_cache(tmp_path))}
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    return root, env, elsewhere


STAND_IN = ("igrag: warning: {cfg}:2: model.base_model_path: folder '/home/m025/qqw/models/flan-t5-base' "
            "does not exist on this machine; using google/flan-t5-base from the Hugging Face cache instead "
            "(set model.base_model_path to google/flan-t5-base or to a local model folder to say so)")


def test_validate_their_config_from_any_folder(layout):
    root, env, elsewhere = layout
    cfg = root / LORA_CONFIG
    result = igrag("validate", str(cfg), cwd=elsewhere, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"{cfg}: ok (T5ForConditionalGeneration, seq2seq, method lora)",
        f"paths: relative paths start at {root}, the nearest folder above the config's folder that "
        f"holds data.train_path (as IGRAG's scripts, run from there, expect)"]
    assert result.stderr.splitlines() == [STAND_IN.format(cfg=cfg)]


@pytest.mark.parametrize("where", ["root", "config", "elsewhere"])
def test_params_their_config_prints_their_figures(layout, where):
    root, env, elsewhere = layout
    cwd = {"root": root, "config": root / LORA_CONFIG.parent, "elsewhere": elsewhere}[where]
    result = igrag("params", str(root / LORA_CONFIG), "--json", cwd=cwd, env=env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["trainable"], data["total"]) == (1_769_472, 249_347_328)
    assert data["model"] == "google/flan-t5-base"


def test_paths_that_resolve_nowhere_name_both_bases(layout):
    root, env, elsewhere = layout
    shutil.rmtree(root / "lora_training" / "data")
    cfg = root / LORA_CONFIG
    lines = assert_user_error(_stderr_errors(igrag("validate", str(cfg), cwd=elsewhere, env=env)))
    assert lines == [
        f"igrag: error: {cfg}:6: data.train_path: 'lora_training/data/coco_lora_train_train.jsonl' exists "
        f"neither in the config's folder {cfg.parent} nor in any folder above it up to /; check the path",
        f"igrag: error: {cfg}:7: data.val_path: 'lora_training/data/coco_lora_train_val.jsonl' exists "
        f"neither in the config's folder {cfg.parent} nor in any folder above it up to /; check the path"]


def _stderr_errors(result):
    """The result with warnings dropped from stderr (the stand-in warning is not under test here)."""
    result.stderr = "".join(line for line in result.stderr.splitlines(keepends=True)
                            if not line.startswith("igrag: warning:"))
    return result


def test_missing_model_folder_without_a_cache_is_one_error(layout, tmp_path):
    root, _, elsewhere = layout
    cfg = root / LORA_CONFIG
    lines = assert_user_error(igrag("params", str(cfg), cwd=elsewhere,
                                    env={"HF_HUB_CACHE": str(tmp_path / "empty")}))
    assert lines == [
        f"igrag: error: {cfg}:2: model.base_model_path: folder '/home/m025/qqw/models/flan-t5-base' does "
        f"not exist on this machine; set model.base_model_path to a Hugging Face id such as "
        f"google/flan-t5-base (found in the Hugging Face cache; on a machine with internet `hf download "
        f"google/flan-t5-base` puts it there) or to a local folder holding config.json and the weights"]


def test_a_family_name_contradicting_config_json_warns(layout, tiny_gpt2):
    root, env, elsewhere = layout
    cfg = root / LORA_CONFIG
    result = igrag("validate", str(cfg), "--set", f"model.base_model_path={tiny_gpt2}",
                   "--set", "lora.target_modules=[c_attn]", cwd=elsewhere, env=env)
    assert result.returncode == 0, result.stderr
    assert [line for line in result.stderr.splitlines() if line.startswith("igrag:")] == [
        f"igrag: warning: {cfg}:3: model.type: 'flan-t5' names a seq2seq family but config.json says "
        f"GPT2LMHeadModel, model_type 'gpt2', a causal model; the model is trained as causal; set "
        f"model.type to 'causal' or 'auto'"]


def test_inspect_their_prompt_embeddings_json(layout):
    root, env, elsewhere = layout
    path = save_igrag_prompt(root / PT)
    result = igrag("inspect", str(path), "--json", cwd=elsewhere, env=env)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert (doc["method"], doc["peft_type"], doc["num_params"]) == (
        "prompt tuning (IGRAG prompt embeddings)", "PROMPT_TUNING", 15_360)
    assert (doc["details"]["num_virtual_tokens"], doc["details"]["token_dim"]) == (20, 768)


def test_inspect_refuses_a_pt_of_unexpected_structure(tmp_path):
    import torch

    path = tmp_path / "prompt_embeddings.pt"
    torch.save({"prompt_embeddings": "not a tensor", "prompt_length": 20}, path)
    assert assert_user_error(igrag("inspect", str(path))) == [
        f"igrag: error: {path}: refused: 'prompt_embeddings' must be a 2-D floating-point tensor "
        f"[prompt_length, embedding_dim], got str; expected a dict with 'prompt_embeddings' (a "
        f"[prompt_length, embedding_dim] tensor), 'prompt_length', 'embedding_dim' and "
        f"'initialization', as IGRAG's prompt-tuning script saves"]


def test_inspect_refuses_a_code_running_pickle_and_runs_nothing(tmp_path):
    marker = tmp_path / "ran"
    path = tmp_path / "prompt_embeddings.pt"
    payload = (b"\x80\x02cos\nsystem\nq\x00X" + len(f"touch {marker}").to_bytes(4, "little")
               + f"touch {marker}".encode() + b"q\x01\x85q\x02Rq\x03.")
    path.write_bytes(payload)
    lines = assert_user_error(igrag("inspect", str(path)))
    assert len(lines) == 1 and lines[0].startswith(f"igrag: error: {path}: ")
    assert not marker.exists()


def test_inspect_refuses_a_pt_larger_than_memory_before_loading(tmp_path):
    path = tmp_path / "prompt_embeddings.pt"
    with path.open("wb") as fh:  # sparse: a terabyte that takes no disk
        fh.truncate(2**40)
    lines = assert_user_error(igrag("inspect", str(path)))
    assert len(lines) == 1
    assert lines[0].startswith(f"igrag: error: {path}: refused: the file is 1024.0 GiB and this "
                               f"machine has ")


def test_convert_then_generate_with_the_demo_model(tmp_path):
    demo = demo_model_path()
    d_model = json.loads((demo / "config.json").read_text())["d_model"]
    path = save_igrag_prompt(tmp_path / PT, dim=d_model)
    out = tmp_path / "igrag-prompt"
    result = igrag("convert", str(path), "--out", str(out), "--base", str(demo))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (f"wrote {out}: PEFT prompt tuning, 20 virtual tokens x {d_model} "
                                     f"(encoder only), {20 * d_model:,} parameters, base model {demo}")
    assert assert_user_error(igrag("convert", str(path), "--out", str(out))) == [
        f"igrag: error: --out {out}: already holds an adapter (adapter_config.json); choose another "
        f"folder, or pass --force to replace it"]
    result = igrag("generate", "a dog on the grass", "--base", str(demo), "--adapter", str(out),
                   "--max-new-tokens", "4")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
