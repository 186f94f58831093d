"""The caption engines (core/playground/engines.py, ct2_cache.py): CTranslate2 writes the same
greedy captions as transformers for a trained LoRA, falls back with its reason where it cannot,
and rebuilds its converted model when the adapter changes."""

from __future__ import annotations

import json

import pytest
import torch

from igrag_gui.core.errors import UserError
from igrag_gui.core.playground import GenerationSettings, Session, run_batch
from igrag_gui.core.playground.engines import even_batch_size, prepare
from igrag_gui.resources import demo_model_path
from tests.core.test_playground import copy_adapter, demo_run_dir, save_peft

pytest.importorskip("ctranslate2")
pytestmark = pytest.mark.slow
GREEDY = GenerationSettings(max_new_tokens=48)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return demo_run_dir(tmp_path_factory)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "ct2-cache"
    monkeypatch.setenv("IGRAG_CT2_CACHE", str(folder))
    return folder


def captions(result, label):
    return [r.outputs[label] for r in result.done]


def test_ct2_gives_transformers_greedy_captions_for_a_trained_lora(run, cache):
    run_dir, val = run
    s = Session.load("demo", demo_folder=demo_model_path(), max_source_length=256)
    name = s.add_adapter(run_dir)
    plain = run_batch(s, val, None, GREEDY, batch_size=8, metrics=["cider"])
    said: list[str] = []
    fast = run_batch(s, val, None, GREEDY, batch_size=8, metrics=["cider"], engine="ct2", say=said.append)
    assert fast.labels == plain.labels == ["base", name]
    for label in fast.labels:
        same = sum(a == b for a, b in zip(captions(fast, label), captions(plain, label)))
        assert same >= 0.99 * len(plain.done) and len(fast.done) == len(plain.done) == 24
        assert fast.engines[label][0] == "ct2" and plain.engines[label] == ("transformers", "as asked")
    assert fast.scores[name].overall == pytest.approx(plain.scores[name].overall, abs=1e-4)
    assert [line.split(": ")[0] for line in said] == ["engine for base", f"engine for {name}"]
    assert all("merging and converting to CTranslate2 (float32)" in line for line in said)
    assert fast.engines[name][1].startswith("CTranslate2 ") and "float32, converted in" in fast.engines[name][1]
    # the second run reads the cache; auto checks the first batch against transformers and keeps ct2
    again = run_batch(s, val, [name], GREEDY, batch_size=8, metrics=["cider"], engine="auto", say=said.append)
    assert len(said) == 2 and captions(again, name) == captions(fast, name)
    engine, why = again.engines[name]
    first = 8 * torch.get_num_threads()  # one batch of 8 per CTranslate2 worker, one worker per thread
    assert engine == "ct2" and why.endswith(f"from the cache, checked on the first images; {first} of {first} greedy "
                                            f"captions of the first images identical to transformers'")


def test_prompt_tuning_falls_back_to_transformers_with_its_reason(cache, tmp_path):
    from peft import PromptTuningConfig

    folder = save_peft(demo_model_path(), PromptTuningConfig(num_virtual_tokens=4, task_type="SEQ_2_SEQ_LM"),
                       tmp_path / "demo-prompt")
    s = Session.load("demo", demo_folder=demo_model_path(), max_source_length=256)
    name = s.add_adapter(folder)
    val = demo_model_path().parent / "data" / "val.jsonl"
    plain = run_batch(s, val, [name], GREEDY, limit=6, batch_size=3, metrics=["cider"])
    result = run_batch(s, val, [name], GREEDY, limit=6, batch_size=3, metrics=["cider"], engine="auto")
    assert result.engine_lines() == [
        "engine for demo-prompt: transformers (a PROMPT_TUNING adapter adds virtual tokens to the input instead of "
        "weights, so it cannot be merged into a model CTranslate2 runs; using transformers)"]
    assert captions(result, name) == captions(plain, name)
    assert not cache.exists()  # nothing was converted


def test_a_conversion_failure_falls_back_with_its_reason(run, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("IGRAG_CT2_CACHE", str(blocker / "ct2"))
    s = Session.load("demo", demo_folder=demo_model_path(), max_source_length=256)
    name = s.add_adapter(run[0])
    plain = run_batch(s, run[1], [name], GREEDY, limit=4, batch_size=4, metrics=["cider"])
    result = run_batch(s, run[1], [name], GREEDY, limit=4, batch_size=4, metrics=["cider"], engine="ct2")
    engine, why = result.engines[name]
    assert engine == "transformers" and why.startswith(f"cannot create the cache folder '{blocker / 'ct2'}': ")
    assert why.endswith("; using transformers") and captions(result, name) == captions(plain, name)
    assert blocker.read_text() == "not a folder"


def test_the_converted_model_is_rebuilt_when_the_adapter_changes(run, cache, tmp_path):
    from safetensors.torch import load_file, save_file

    adapter = copy_adapter(run[0], tmp_path / "changing")
    s = Session.load("demo", demo_folder=demo_model_path(), max_source_length=256)
    name = s.add_adapter(adapter)
    first = run_batch(s, run[1], [name], GREEDY, limit=8, batch_size=8, metrics=["cider"], engine="ct2")
    folders = [p for p in cache.iterdir() if not p.name.startswith(".")]
    assert len(folders) == 1 and (folders[0] / "model.bin").is_file()
    meta = json.loads((folders[0] / "igrag-ct2.json").read_text())
    assert meta["adapter"] == str(adapter.resolve()) and meta["quantization"] == "float32"
    # the same adapter again: read from the cache, not converted
    said: list[str] = []
    cached = run_batch(s, run[1], [name], GREEDY, limit=8, batch_size=8, metrics=["cider"], engine="ct2",
                       say=said.append)
    assert said == [] and "from the cache" in cached.engines[name][1]
    # new weights in the same folder (as a second training run leaves): a new model, the old one gone
    weights = load_file(adapter / "adapter_model.safetensors")
    save_file({k: v * 3 if "lora_B" in k else v for k, v in weights.items()}, adapter / "adapter_model.safetensors")
    s.remove_adapter(name)
    name = s.add_adapter(adapter)
    changed = run_batch(s, run[1], [name], GREEDY, limit=8, batch_size=8, metrics=["cider"], engine="ct2",
                        say=said.append)
    reference = run_batch(s, run[1], [name], GREEDY, limit=8, batch_size=8, metrics=["cider"])
    assert len(said) == 1 and "converted in" in changed.engines[name][1]
    now = [p for p in cache.iterdir() if not p.name.startswith(".")]
    assert len(now) == 1 and now[0] != folders[0]
    assert captions(changed, name) == captions(reference, name) != captions(first, name)


def test_engine_requests_are_checked_before_anything_runs(run):
    s = Session.load("demo", demo_folder=demo_model_path(), max_source_length=256)
    with pytest.raises(UserError) as caught:
        run_batch(s, run[1], None, GREEDY, engine="onnx")
    assert str(caught.value) == "engine must be one of auto, transformers, ct2, got 'onnx'"
    with pytest.raises(UserError) as caught:
        run_batch(s, run[1], None, GREEDY, engine="transformers", quantization="int8")
    assert str(caught.value) == ("quantization int8 applies to the CTranslate2 engine; use --engine ct2 or auto, or "
                                 "leave --quantization out")
    sampled = run_batch(s, run[1], None, GenerationSettings(do_sample=True, max_new_tokens=4), limit=2,
                        metrics=["cider"], engine="ct2")
    assert sampled.engines["base"] == ("transformers", "the CTranslate2 engine is used for plain greedy decoding only "
                                                       "(these settings sample, use beams, a repetition penalty or "
                                                       "a minimum length); using transformers")


@pytest.mark.parametrize("count, most, workers, size", [(48, 16, 2, 12), (100, 16, 2, 13), (32, 16, 2, 16),
                                                         (5, 16, 2, 3), (1, 16, 2, 1), (16, 16, 1, 16),
                                                         (17, 16, 1, 9), (48, 16, 4, 12), (0, 16, 2, 16)])
def test_ct2_batches_are_even_across_workers_and_never_above_the_batch_size(count, most, workers, size):
    assert even_batch_size(count, most, workers) == size


def test_even_batches_hold_for_every_small_case():
    for count in range(1, 70):
        for most in range(1, 20):
            for workers in range(1, 5):
                size = even_batch_size(count, most, workers)
                batches = -(-count // size)
                least = -(-(-(-count // most)) // workers) * workers  # the fewest batches, rounded to the workers
                assert 1 <= size <= most and batches <= least, (count, most, workers, size)


def test_two_workers_caption_as_transformers_and_leave_torch_its_threads(run, cache):
    """CTranslate2 runs one batch per thread; building its Translator sets the process's OpenMP
    thread count to one, which would leave torch (training, the Playground) on one core."""
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        s = Session.load("demo", demo_folder=demo_model_path(), max_source_length=256)
        name = s.add_adapter(run[0])
        with s.exclusive("the test is using the model") as use:
            engine = prepare(s, use, [name], GREEDY, "ct2", None)[0]
        assert engine.engine == "ct2" and engine.workers == 2 and engine.captioner.workers == 2
        assert torch.get_num_threads() == 2
        plain = run_batch(s, run[1], [name], GREEDY, limit=20, batch_size=4, metrics=["cider"])
        seen: list[tuple[int, int]] = []
        fast = run_batch(s, run[1], [name], GREEDY, limit=20, batch_size=4, metrics=["cider"], engine="ct2",
                         progress=lambda done, total: seen.append((done, total)))
        assert captions(fast, name) == captions(plain, name)
        assert seen == [(8, 20), (16, 20), (20, 20)]  # two batches of 4 at a time, one per worker
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
