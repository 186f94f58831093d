"""IGRAG's own LoRA config, unchanged: family names, paths from their repository root, a model
folder that exists only on their machine, and saving that keeps their file theirs."""

from __future__ import annotations

import difflib
import shutil

import pytest

from igrag_gui.core.config import load_config
from igrag_gui.core.config.path_base import find_base
from igrag_gui.core.models.family import family_kind, type_warning
from igrag_gui.core.models.loading import describe_model
from tests.conftest import FLAN_T5_BASE
from tests.igrag_layout import LORA_CONFIG, hub_cache, igrag_copy, use_hub_cache


@pytest.fixture
def igrag(tmp_path, monkeypatch):
    """The IGRAG layout, with FLAN-T5-base's config.json in the Hugging Face cache."""
    use_hub_cache(monkeypatch, hub_cache(tmp_path))
    return igrag_copy(tmp_path)


@pytest.mark.parametrize("word,kind", [("flan-t5", "seq2seq"), ("T5", "seq2seq"), ("mt5", "seq2seq"),
                                       ("bart", "seq2seq"), ("gpt2", "causal"), ("Llama", "causal"),
                                       ("qwen2", "causal"), ("mistral", "causal"), ("seq2seq", "seq2seq"),
                                       ("auto", "auto"), ("encoder", None)])
def test_family_names_map_to_kinds(word, kind):
    assert family_kind(word) == kind


def test_igrag_config_loads_without_a_problem_but_the_stand_in(igrag, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # any working folder
    cfg, warnings = load_config(igrag / LORA_CONFIG)
    assert warnings == []
    assert cfg.model.type == "flan-t5"
    assert cfg.base_dir == igrag.resolve()
    assert cfg.train_file == igrag.resolve() / "lora_training/data/coco_lora_train_train.jsonl"
    assert cfg.output_path == igrag.resolve() / "lora_training/checkpoints"
    assert cfg.training.report_to == []
    info, _ = describe_model(cfg)
    assert (str(info.ref), info.kind, info.type_note) == ("google/flan-t5-base", "seq2seq", None)
    problems = cfg.validate(model=info)
    assert [(p.field, p.severity) for p in problems] == [("model.base_model_path", "warning")]
    assert problems[0].message == (
        "folder '/home/m025/qqw/models/flan-t5-base' does not exist on this machine; using "
        "google/flan-t5-base from the Hugging Face cache instead (set model.base_model_path to "
        "google/flan-t5-base or to a local model folder to say so)")


def test_path_base_is_described(igrag):
    cfg, _ = load_config(igrag / LORA_CONFIG)
    assert cfg.path_base.describe() == (
        f"relative paths start at {igrag.resolve()}, the nearest folder above the config's folder "
        f"that holds data.train_path (as IGRAG's scripts, run from there, expect)")


def test_data_next_to_the_config_wins(tmp_path):
    (tmp_path / "cfg" / "data").mkdir(parents=True)
    (tmp_path / "data").mkdir()
    for folder in (tmp_path / "cfg" / "data", tmp_path / "data"):
        (folder / "t.jsonl").write_text("{}\n")
    base = find_base(tmp_path / "cfg", [("data.train_path", "data/t.jsonl")])
    assert base.folder == tmp_path / "cfg" and base.is_config_folder


def test_paths_that_resolve_nowhere_name_both_bases(igrag):
    shutil.rmtree(igrag / "lora_training" / "data")
    cfg, _ = load_config(igrag / LORA_CONFIG)
    folder = igrag / "lora_training" / "config"
    assert [str(p) for p in cfg.validate() if p.field.startswith("data.")] == [
        f"data.train_path: 'lora_training/data/coco_lora_train_train.jsonl' exists neither in the "
        f"config's folder {folder} nor in any folder above it up to /; check the path",
        f"data.val_path: 'lora_training/data/coco_lora_train_val.jsonl' exists neither in the "
        f"config's folder {folder} nor in any folder above it up to /; check the path",
    ]


def test_missing_model_folder_without_a_cached_stand_in_is_one_error(igrag, monkeypatch, tmp_path):
    use_hub_cache(monkeypatch, tmp_path / "empty-cache")
    cfg, _ = load_config(igrag / LORA_CONFIG)
    found = [p for p in cfg.validate() if p.field == "model.base_model_path"]
    assert [(p.severity, p.message) for p in found] == [("error", (
        "folder '/home/m025/qqw/models/flan-t5-base' does not exist on this machine; set "
        "model.base_model_path to a Hugging Face id such as google/flan-t5-base (found in the Hugging "
        "Face cache; on a machine with internet `hf download google/flan-t5-base` puts it there) or "
        "to a local folder holding config.json and the weights"))]


def test_model_type_is_another_spelling_of_type(make_config):
    path = make_config(raw=f"model:\n  base_model_path: {FLAN_T5_BASE}\n  model_type: seq2seq\n")
    cfg, warnings = load_config(path)
    assert (cfg.model.type, warnings) == ("seq2seq", [])
    assert "model_type: seq2seq" in cfg.to_yaml()


def test_a_family_name_that_contradicts_config_json_is_a_warning(make_config, tiny_gpt2):
    cfg, _ = load_config(make_config(model={"base_model_path": str(tiny_gpt2), "type": "flan-t5"},
                                     lora={"target_modules": ["c_attn"]}))
    info, _ = describe_model(cfg)
    assert info.kind == "causal"
    found = [p for p in cfg.validate(model=info) if p.field == "model.type"]
    assert [(p.severity, p.message) for p in found] == [("warning", (
        "'flan-t5' names a seq2seq family but config.json says GPT2LMHeadModel, model_type 'gpt2', "
        "a causal model; the model is trained as causal; set model.type to 'causal' or 'auto'"))]


def test_an_unknown_word_warns_naming_what_config_json_says(make_config):
    cfg, _ = load_config(make_config(model={"type": "encoder"}))
    info, _ = describe_model(cfg)
    assert [str(p) for p in cfg.validate(model=info) if p.field == "model.type"] == [
        "model.type: 'encoder' is not a model family igrag knows; config.json says "
        "T5ForConditionalGeneration, model_type 't5', so the model is trained as seq2seq; set "
        "model.type to 'seq2seq' or 'auto' to silence this"]


def test_type_warning_is_none_for_our_words_and_matching_families(make_config):
    cfg, _ = load_config(make_config())
    from igrag_gui.core.models.loading import load_model_config, resolve_model_ref

    hf = load_model_config(resolve_model_ref(cfg))
    assert [type_warning(w, hf) for w in ("seq2seq", "auto", "flan-t5", "t5")] == [None] * 4


def _diff(before: str, after: str) -> list[str]:
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_saving_unchanged_gives_back_the_same_bytes(igrag):
    path = igrag / LORA_CONFIG
    before = path.read_bytes()
    cfg, _ = load_config(path)
    cfg.save(path)
    assert path.read_bytes() == before


def test_changing_lora_r_changes_exactly_one_line(igrag):
    path = igrag / LORA_CONFIG
    before = path.read_text(encoding="utf-8")
    cfg, _ = load_config(path)
    cfg.lora.r = 8
    cfg.save(path)
    assert _diff(before, path.read_text(encoding="utf-8")) == ["-  r: 16", "+  r: 8"]


def test_saving_keeps_quotes_comments_flow_lists_and_spellings(igrag):
    path = igrag / LORA_CONFIG
    before = path.read_text(encoding="utf-8")
    cfg, _ = load_config(path)
    cfg.training.eval_strategy = "steps"
    cfg.lora.target_modules = ["q", "k", "v"]
    cfg.save(path)
    assert _diff(before, path.read_text(encoding="utf-8")) == [
        '-  eval_strategy: "epoch"  # 新版本 transformers 使用 eval_strategy 而不是 evaluation_strategy',
        '+  eval_strategy: "steps"  # 新版本 transformers 使用 eval_strategy 而不是 evaluation_strategy',
        '-  target_modules: ["q", "v"]',
        '+  target_modules: ["q", "k", "v"]',
    ]
    again, _ = load_config(path)
    assert (again.training.eval_strategy, again.lora.target_modules) == ("steps", ["q", "k", "v"])


def test_aliases_are_written_back_as_the_user_spelled_them(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("# mine\nmodel:\n  model_type: 'seq2seq'   # kept\nlora:\n  alpha: 32\n  lora_dropout: 0.1\n")
    cfg, _ = load_config(path)
    cfg.lora.lora_alpha, cfg.lora.dropout = 64, 0.05
    cfg.save(path)
    assert path.read_text() == ("# mine\nmodel:\n  model_type: 'seq2seq'   # kept\nlora:\n  alpha: 64\n"
                                "  lora_dropout: 0.05\n")
