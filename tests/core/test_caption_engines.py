"""The caption engines (core/playground/engines.py, ct2_cache.py): CTranslate2 writes the same
greedy captions as transformers for a trained LoRA, falls back with its reason where it cannot,
and rebuilds its converted model when the adapter changes."""

from __future__ import annotations

import json

import pytest
import torch

from igrag_gui.core.errors import UserError
from igrag_gui.core.playground import GenerationSettings, Session, run_batch
from igrag_gui.core.playground.engines import plan_batches, prepare
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
    workers = torch.get_num_threads()  # one CTranslate2 worker per thread, each taking up to 8 x workers
    first = min(24, 8 * workers * workers)  # short prompts; the split has 24 images
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


@pytest.mark.parametrize("lengths, most, tokens, workers, sizes", [
    ([71] * 48, 32, 4096, 2, [24, 24]),  # the demo's prompts at batch 16 x 512 tokens: one batch per worker
    ([71] * 100, 32, 4096, 2, [25, 25, 25, 25]),
    ([512] * 32, 32, 4096, 2, [8, 8, 8, 8]),  # full-length prompts: the user's batch shared by the workers
    ([10] * 5, 32, 4096, 2, [3, 2]),
    ([10], 32, 4096, 2, [1]),
    ([10] * 17, 16, 8192, 1, [9, 8]),
    ([900, 10], 4, 512, 1, [1, 1]),  # longer than the bound: alone
    ([], 32, 4096, 2, []),
])
def test_ct2_batches_are_even_and_within_the_examples_and_the_tokens(lengths, most, tokens, workers, sizes):
    assert [len(b) for b in plan_batches(lengths, most, tokens, workers)] == sizes


def test_planned_batches_hold_for_many_cases():
    import random

    rng = random.Random(0)
    for _ in range(3000):
        lengths = [rng.randint(1, 600) for _ in range(rng.randint(1, 70))]
        most, workers = rng.randint(1, 40), rng.randint(1, 4)
        tokens = rng.randint(1, 40) * 512 // workers
        batches = plan_batches(lengths, most, tokens, workers)
        assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
        for batch in batches:
            longest = max(lengths[i] for i in batch)
            assert len(batch) <= most and (len(batch) == 1 or len(batch) * longest <= tokens), (lengths, batch)
            assert [lengths[i] for i in batch] == sorted(lengths[i] for i in batch)
        assert max(map(len, batches)) - min(map(len, batches)) <= 1  # even: no worker waits on an extra batch
        if len(lengths) >= workers:
            assert len(batches) % workers == 0 or len(batches) == len(lengths)


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
        assert engine.engine == "ct2" and engine.captioner.workers == 2
        assert engine.captioner.limits(4) == (8, 512) and engine.images_per_step(4) == 16
        assert torch.get_num_threads() == 2
        plain = run_batch(s, run[1], [name], GREEDY, limit=20, batch_size=4, metrics=["cider"])
        seen: list[tuple[int, int]] = []
        fast = run_batch(s, run[1], [name], GREEDY, limit=20, batch_size=4, metrics=["cider"], engine="ct2",
                         progress=lambda done, total: seen.append((done, total)))
        assert captions(fast, name) == captions(plain, name)
        assert seen == [(16, 20), (20, 20)]  # a batch of up to 8 short prompts per worker at a time
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
