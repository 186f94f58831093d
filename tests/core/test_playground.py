"""The playground's core on the demo model, for real: one base in memory, adapters by name,
streaming with stop, batch runs with COCO metrics, merge and export, and every refusal's exact words."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from igrag_gui.core.errors import UserError
from igrag_gui.core.playground import (BUSY_GENERATING, EMPTY_PROMPT, PRESETS, GenerationSettings, Session,
                                       merge_and_save, run_batch, training_eval_settings)
from igrag_gui.resources import demo_config_path, demo_model_path
from igrag_gui.core.task_state import TaskState

pytestmark = pytest.mark.slow

VAL_ROWS = 24
DEMO = str(demo_model_path().resolve())


def demo_run_dir(tmp_path_factory) -> tuple[Path, Path]:
    """A LoRA adapter trained 40 steps on the demo data (evaluated at its last step on a
    24-example validation split, batches of 8), trained once per test session: (run dir, val file).

    A plain function, so that tests/cli can share the run (two modules' fixtures would train twice).
    """
    root = tmp_path_factory.getbasetemp()
    run_dir, val = root / "playground-run", root / "playground-val.jsonl"
    if (run_dir / "adapter_model.safetensors").is_file() and (run_dir / "metrics.jsonl").is_file():
        return run_dir, val
    from igrag_gui.core.config import load_config
    from igrag_gui.core.training.events import Collect
    from igrag_gui.core.training.train import train

    lines = (demo_config_path().parent / "../resources/demo/data/val.jsonl").resolve().read_text().splitlines()
    val.write_text("\n".join(lines[:VAL_ROWS]) + "\n")
    cfg, _ = load_config(demo_config_path(), [f"training.output_dir={run_dir}", f"data.val_path={val}",
                                              "training.eval_strategy=steps", "training.eval_steps=40",
                                              "training.save_strategy=no", "training.eval_batch_size=8",
                                              "training.logging_steps=10"])
    train(cfg, Collect(), max_steps=40)
    return run_dir, val


def reported_eval_scores(run_dir: Path) -> dict[str, float]:
    """The caption metrics training logged at its last evaluation (config name -> 0-1 value)."""
    from igrag_gui.core.metrics import scores_of

    events = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    evals = [e for e in events if e["event"] == "eval"]
    assert evals and evals[-1]["step"] == 40
    return scores_of(evals[-1])


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return demo_run_dir(tmp_path_factory)


@pytest.fixture(scope="module")
def session(run):
    s = Session.load("demo", demo_folder=demo_model_path(), max_source_length=256)
    assert s.add_adapter(run[0], name="demo") == "demo"
    return s


@pytest.fixture(scope="module")
def prompts(run):
    return [json.loads(line)["prompt"] for line in run[1].read_text().splitlines()[:3]]


def copy_adapter(run_dir: Path, dest: Path, **config_changes) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("adapter_config.json", "adapter_model.safetensors"):
        shutil.copy(run_dir / name, dest / name)
    config = json.loads((dest / "adapter_config.json").read_text())
    config.update(config_changes)
    (dest / "adapter_config.json").write_text(json.dumps(config))
    return dest


@pytest.fixture(scope="module")
def tiny_t5(tmp_path_factory) -> Path:
    """A T5 of another shape (d_model 64, one layer each side) saved as a model folder."""
    from transformers import T5Config, T5ForConditionalGeneration

    folder = tmp_path_factory.mktemp("bases") / "tiny-t5-64"
    config = T5Config(vocab_size=766, d_model=64, d_kv=16, d_ff=128, num_layers=1, num_decoder_layers=1,
                      num_heads=4, feed_forward_proj="gated-gelu", decoder_start_token_id=0, pad_token_id=0,
                      eos_token_id=1)
    T5ForConditionalGeneration(config).save_pretrained(folder)
    return folder


def save_peft(base_folder: Path, peft_config, dest: Path) -> Path:
    from peft import get_peft_model
    from transformers import AutoModelForCausalLM, AutoModelForSeq2SeqLM

    auto = AutoModelForCausalLM if peft_config.task_type == "CAUSAL_LM" else AutoModelForSeq2SeqLM
    model = get_peft_model(auto.from_pretrained(base_folder), peft_config)
    model.save_pretrained(dest)
    return dest


# ------------------------------------------------------------------------------------ settings
def test_settings_check_every_field_and_presets_are_valid():
    assert GenerationSettings().validate() == []
    assert GenerationSettings().generate_kwargs() == {"max_new_tokens": 40, "do_sample": False, "num_beams": 1}
    assert all(p.validate() == [] for p in PRESETS.values())
    assert set(PRESETS) >= {"Greedy", "Beam search (4)", "Sampling (creative)", "Sampling (focused)"}
    bad = GenerationSettings(max_new_tokens=0, temperature=0.0, top_p=1.5, top_k=-1, num_beams=0,
                             repetition_penalty=0, seed=-1)
    assert bad.validate() == [
        "max_new_tokens must be between 1 and 4,096, got 0",
        "temperature must be above 0 (1 leaves the model's distribution as it is; lower is more focused), got 0.0",
        "top_p must be above 0 and at most 1 (1 keeps every token), got 1.5",
        "top_k must be between 0 and 1,000,000, got -1",
        "num_beams must be between 1 and 32, got 0",
        "repetition_penalty must be above 0 and at most 10 (1 means no penalty), got 0",
        "seed must be between 0 and 4,294,967,295, got -1",
    ]
    assert GenerationSettings.from_dict({**PRESETS["Sampling (focused)"].to_dict(), "old": 1}) == \
        PRESETS["Sampling (focused)"]


def test_importing_the_playground_loads_no_torch():
    code = ("import sys, igrag_gui.core.playground, igrag_gui.cli.main\n"
            "bad = [m for m in ('torch', 'transformers', 'peft') if m in sys.modules]\n"
            "assert not bad, bad")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


# ------------------------------------------------------------------------------------ one base, adapters
def test_one_base_in_memory_and_adapters_switch_without_reloading(session, prompts):
    base_bytes = 1_296_128 * 4  # the demo model's float32 parameters (tied embeddings counted once)
    info = session.adapter_info("demo")
    assert info.peft_type == "LORA" and info.warnings == []
    assert session.memory_bytes() == base_bytes + info.num_params * 4
    assert session.adapters == ["demo"] and session.max_source_length == 256
    base = session.generate(prompts, adapter=None)
    tuned = session.generate(prompts, adapter="demo")
    assert all(base) and all(tuned) and base != tuned
    assert session.side_by_side(prompts[0]) == {"base": base[0], "demo": tuned[0]}
    for adapter in (None, "demo", None, "demo"):
        assert session.switch_seconds(adapter) < 0.05
    assert session.generate(prompts, adapter=None) == base  # disabling really restores the base
    assert session.memory_bytes() == base_bytes + info.num_params * 4


def test_stream_yields_what_generate_gives_with_figures(session, prompts):
    for adapter in (None, "demo"):
        stream = session.stream(prompts[0], GenerationSettings(), adapter)
        text = "".join(stream)
        assert text.strip() == session.generate([prompts[0]], adapter=adapter)[0]
        stats = stream.stats
        assert 0 < stats.first_token_s <= stats.seconds and stats.new_tokens >= 1
        assert stats.tokens_per_s == pytest.approx(stats.new_tokens / stats.seconds)
        assert not stats.stopped and not stats.truncated_prompt and stats.adapter == adapter
    beams = session.stream(prompts[0], PRESETS["Beam search (4)"], "demo")  # arrives whole
    assert len(list(beams)) == 1 and beams.stats.new_tokens >= 1


def test_same_seed_same_sample_and_sampling_differs_from_greedy(session, prompts):
    settings = PRESETS["Sampling (creative)"].with_(seed=7)
    first = session.generate([prompts[1]], settings, "demo")
    assert session.generate([prompts[1]], settings, "demo") == first
    assert "".join(session.stream(prompts[1], settings, "demo")).strip() == first[0]


def test_stop_ends_a_stream_at_once_and_a_second_caller_is_refused(session, prompts):
    long = GenerationSettings(max_new_tokens=400, min_new_tokens=400)
    stop = TaskState()
    stream = session.stream(prompts[0], long, "demo", state=stop)
    next(iter(stream))
    assert session.busy
    with pytest.raises(UserError) as caught:
        session.generate([prompts[0]])
    assert str(caught.value) == BUSY_GENERATING == "a generation is already running; stop it first"
    with pytest.raises(UserError) as caught:
        session.stream(prompts[0])
    assert str(caught.value) == BUSY_GENERATING
    started = time.perf_counter()
    stop.cancel()
    assert list(stream) == []  # the iteration ends at once
    assert time.perf_counter() - started < 1.0
    assert stream.stats.stopped and 1 <= stream.stats.new_tokens < 400
    assert not session.busy and session.generate([prompts[0]], adapter="demo")  # the lock is free again


def test_generating_while_an_adapter_loads_is_refused(session, run, prompts, monkeypatch, tmp_path):
    loading, release = threading.Event(), threading.Event()

    def slow_load(self, meta, name):
        loading.set()
        release.wait(10)
        raise UserError("test: loading abandoned")

    monkeypatch.setattr(Session, "_load_adapter_weights", slow_load)
    errors = []
    worker = threading.Thread(target=lambda: errors.append(
        pytest.raises(UserError, session.add_adapter, copy_adapter(run[0], tmp_path / "second"), "second")))
    worker.start()
    assert loading.wait(10)
    try:
        with pytest.raises(UserError) as caught:
            session.generate([prompts[0]], adapter="demo")
        assert str(caught.value) == "the adapter 'second' is still loading; wait until it has loaded"
    finally:
        release.set()
        worker.join()
    assert session.adapters == ["demo"] and not session.busy


# ------------------------------------------------------------------------------------ prompts
def test_long_prompts_are_cut_like_training_and_say_so(session, prompts):
    long = " ".join([prompts[0]] * 6)
    prepared = session.prepare_prompt(long)
    assert prepared.truncated and prepared.n_tokens > 256 and len(prepared.input_ids) == 256
    assert prepared.input_ids == session.tokenizer(long, truncation=True, max_length=256)["input_ids"]
    assert session.truncation_warning(prepared.n_tokens) == (
        f"the prompt is {prepared.n_tokens} tokens long, over the model's limit of 256; only the first 256 "
        f"are used")
    stream = session.stream(long, GenerationSettings(max_new_tokens=5), "demo")
    stream.wait()
    assert stream.stats.truncated_prompt and stream.stats.prompt_tokens == prepared.n_tokens
    short = session.prepare_prompt(prompts[0])
    assert not short.truncated and short.n_tokens == len(short.input_ids) < 256


def test_an_empty_prompt_is_refused(session):
    assert EMPTY_PROMPT == ("the prompt is empty; type the text the model should answer (an IGRAG prompt "
                            "lists the captions of similar images and the detected objects)")
    for call in (lambda: session.prepare_prompt("  \n"), lambda: session.stream(""),
                 lambda: session.generate([""])):
        with pytest.raises(UserError) as caught:
            call()
        assert str(caught.value) == EMPTY_PROMPT
    with pytest.raises(UserError) as caught:
        session.generate(["a cat", " "])
    assert str(caught.value) == f"prompt 2 of 2: {EMPTY_PROMPT}"
    assert not session.busy


# ------------------------------------------------------------------------------------ bad adapters
@pytest.mark.parametrize("task, words", [("SEQ_CLS", "sequence classification"),
                                         ("FEATURE_EXTRACTION", "feature extraction")])
def test_an_adapter_for_another_task_is_refused(session, run, tmp_path, task, words):
    path = copy_adapter(run[0], tmp_path / task.lower(), task_type=task)
    with pytest.raises(UserError) as caught:
        session.add_adapter(path)
    assert str(caught.value) == (
        f"adapter '{path}' is a {words} adapter (task_type {task}); it cannot generate text with '{DEMO}', a "
        f"sequence-to-sequence (encoder-decoder) model: open an adapter trained with task_type SEQ_2_SEQ_LM")
    assert session.adapters == ["demo"]


def test_a_lora_for_another_base_is_refused_naming_both(session, tiny_t5, tmp_path, prompts):
    from peft import LoraConfig

    path = save_peft(tiny_t5, LoraConfig(r=4, lora_alpha=8, target_modules=["q", "v"], task_type="SEQ_2_SEQ_LM",
                                         init_lora_weights=False), tmp_path / "tiny-lora")
    before = session.generate([prompts[0]], adapter="demo")
    with pytest.raises(UserError) as caught:
        session.add_adapter(path)
    assert str(caught.value) == (
        f"adapter '{path}' was made for base model '{tiny_t5}', not for '{DEMO}': its tensors do not fit this "
        f"model: decoder.block.0.layer.0.SelfAttention.q takes 64 inputs in the adapter's base and 128 here "
        f"(and 11 more); open it with its own base model")
    assert session.adapters == ["demo"] and session.generate([prompts[0]], adapter="demo") == before


def test_a_prompt_tuning_adapter_for_another_architecture_is_refused(session, tiny_t5, tmp_path):
    from peft import PromptTuningConfig

    path = save_peft(tiny_t5, PromptTuningConfig(num_virtual_tokens=4, task_type="SEQ_2_SEQ_LM"),
                     tmp_path / "tiny-prompt")
    with pytest.raises(UserError) as caught:
        session.add_adapter(path)
    assert str(caught.value) == (
        f"adapter '{path}' was made for base model '{tiny_t5}', not for '{DEMO}': its virtual tokens need a "
        f"token dimension of 64 and this model's is 128; open it with its own base model")
    config = json.loads((path / "adapter_config.json").read_text())
    config["task_type"] = None
    (path / "adapter_config.json").write_text(json.dumps(config))
    with pytest.raises(UserError) as caught:
        session.add_adapter(path)
    assert str(caught.value) == (
        f"adapter '{path}' is a PROMPT_TUNING adapter saved without a task_type, so PEFT cannot generate "
        f"text with it; prompt-learning adapters must be trained with task_type SEQ_2_SEQ_LM for '{DEMO}', "
        f"a sequence-to-sequence (encoder-decoder) model")


def test_another_base_name_with_fitting_shapes_is_a_warning(session, run, tmp_path, prompts):
    path = copy_adapter(run[0], tmp_path / "renamed", base_model_name_or_path="google/flan-t5-small")
    warnings = []
    name = session.add_adapter(path, warn=warnings.append)
    try:
        assert name == "renamed" and session.adapters == ["demo", "renamed"]
        assert warnings == session.adapter_info(name).warnings == [
            f"adapter '{path}' records base model 'google/flan-t5-small' but this session's base is '{DEMO}'; "
            f"every tensor fits, so it is attached, but its outputs mean nothing unless '{DEMO}' holds the "
            f"same weights"]
        assert session.generate(prompts, adapter=name) == session.generate(prompts, adapter="demo")
        with pytest.raises(UserError) as caught:
            session.add_adapter(path, name="demo")
        assert str(caught.value) == "an adapter named 'demo' is already attached; choose another name"
    finally:
        session.remove_adapter(name)
    assert session.adapters == ["demo"]
    with pytest.raises(UserError) as caught:
        session.generate(prompts, adapter=name)
    assert str(caught.value) == "no adapter named 'renamed' is attached (attached: demo); add it first"


def test_removing_the_last_adapter_leaves_the_plain_base(run, prompts, tmp_path):
    from peft import PromptTuningConfig
    from peft.tuners.tuners_utils import BaseTunerLayer

    s = Session.load("demo", demo_folder=demo_model_path(), max_source_length=256)
    plain = s.generate(prompts)
    name = s.add_adapter(run[0])
    assert name == "playground-run" and s.generate(prompts, adapter=name) != plain
    s.remove_adapter(name)
    assert s.adapters == [] and s.generate(prompts) == plain
    assert not any(isinstance(m, BaseTunerLayer) for m in s.model.modules())
    assert s.memory_bytes() == 1_296_128 * 4
    # a prompt-tuning adapter made for this model attaches; it cannot sit beside LoRA, nor be merged
    prompt_path = save_peft(demo_model_path(), PromptTuningConfig(num_virtual_tokens=4, task_type="SEQ_2_SEQ_LM"),
                            tmp_path / "demo-prompt")
    assert s.add_adapter(prompt_path) == "demo-prompt"
    assert s.generate(prompts[:1], GenerationSettings(max_new_tokens=5), "demo-prompt")
    assert s.generate(prompts) == plain  # the base model beside virtual tokens: PEFT's disable_adapter()
    with pytest.raises(UserError) as caught:
        s.add_adapter(run[0])
    assert str(caught.value) == (f"cannot attach '{run[0]}', a LORA adapter, beside the PROMPT_TUNING adapters "
                                 f"demo-prompt: PEFT keeps one adapter method per model; remove those first")
    with pytest.raises(UserError) as caught:
        merge_and_save(s, "demo-prompt", tmp_path / "merged")
    assert str(caught.value) == ("adapter 'demo-prompt' is a PROMPT_TUNING adapter: its virtual tokens are not "
                                 "weights of the model, so it cannot be merged; only LoRA-style adapters can")
    s.remove_adapter("demo-prompt")
    assert s.generate(prompts) == plain


def test_a_causal_base_streams_merges_and_refuses_a_seq2seq_adapter(run, tmp_path):
    """The same code on a decoder-only model: a tiny random GPT-2 (prompt limit from its position
    table) with a LoRA on its Conv1D c_attn."""
    from peft import LoraConfig
    from transformers import GPT2Config, GPT2LMHeadModel

    folder = tmp_path / "tiny-gpt2"
    GPT2LMHeadModel(GPT2Config(vocab_size=766, n_positions=256, n_embd=32, n_layer=1, n_head=2, bos_token_id=1,
                               eos_token_id=1)).save_pretrained(folder)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(demo_model_path() / name, folder / name)
    adapter = save_peft(folder, LoraConfig(r=4, lora_alpha=16, target_modules=["c_attn"], task_type="CAUSAL_LM",
                                           init_lora_weights=False), tmp_path / "gpt2-lora")
    s = Session.load(str(folder))
    assert (s.kind, s.max_source_length) == ("causal", 256)
    name = s.add_adapter(adapter)
    settings = GenerationSettings(max_new_tokens=8, min_new_tokens=8)
    pair = s.side_by_side("a man riding a wave", settings)
    assert list(pair) == ["base", name] and pair["base"] != pair[name]
    stream = s.stream("a man riding a wave", settings, name)
    assert "".join(stream).strip() == pair[name] and stream.stats.new_tokens == 8
    with pytest.raises(UserError) as caught:
        s.add_adapter(run[0])
    assert str(caught.value) == (
        f"adapter '{run[0]}' is a sequence-to-sequence language model adapter (task_type SEQ_2_SEQ_LM); it "
        f"cannot generate text with '{folder}', a causal (decoder-only) model: open an adapter trained with "
        f"task_type CAUSAL_LM")
    report = merge_and_save(s, name, tmp_path / "merged-gpt2", verify_prompts=["a man riding a wave"])
    assert report.verified, report.lines()


# ------------------------------------------------------------------------------------ batch and metrics
def test_eval_scores_equal_what_training_reported(run):
    """The same adapter, split and settings: the BLEU-4 and CIDEr training logged at its last
    evaluation are what a fresh session computes from the saved adapter, to the last digit."""
    from igrag_gui.core.config import load_config

    run_dir, val = run
    cfg, _ = load_config(demo_config_path(), [f"data.val_path={val}", "training.eval_batch_size=8"])
    s = Session.load("demo", demo_folder=demo_model_path(), max_source_length=cfg.data.max_source_length)
    s.add_adapter(run_dir, name="adapter")
    settings, batch_size = training_eval_settings(cfg)
    assert (settings.max_new_tokens, batch_size) == (48, 8)
    result = run_batch(s, val, [None, "adapter"], settings, batch_size=batch_size, metrics=("bleu4", "cider"))
    assert len(result.rows) == VAL_ROWS and not result.cancelled
    adapter, base = result.overall("adapter"), result.overall("base")
    assert {m: adapter[m] for m in ("bleu4", "cider")} == reported_eval_scores(run_dir)
    assert adapter["bleu4"] > base["bleu4"] + 0.05 and adapter["cider"] > base["cider"]


def test_batch_rows_csv_and_cancel(session, run, tmp_path):
    progress = []
    result = run_batch(session, run[1], None, GenerationSettings(max_new_tokens=20), limit=10,
                       progress=lambda done, total: progress.append((done, total)), batch_size=4,
                       metrics=("bleu4", "cider"))
    assert result.labels == ["base", "demo"] and len(result.rows) == 10 and progress == [(4, 10), (8, 10), (10, 10)]
    assert set(result.scores) == {"base", "demo"} and set(result.overall("demo")) == {"bleu4", "cider"}
    row = result.rows[0]
    assert row.line == 1 and row.references and set(row.outputs) == {"base", "demo"}
    assert set(result.per_image("demo", row)) == {"bleu4", "cider"}
    worst = [result.per_image("demo", r)["cider"] for r in result.worst_first("demo")]
    assert worst == sorted(worst) and len(worst) == 10
    out = result.to_csv(tmp_path / "batch.csv")
    with out.open(encoding="utf-8", newline="") as fh:
        table = list(csv.reader(fh))
    assert table[0] == ["line", "image_id", "prompt", "references", "base", "demo", "truncated"]
    assert len(table) == 11 and table[1][2] == row.prompt and table[1][5] == row.outputs["demo"]
    coco = json.loads(result.to_coco_results(tmp_path / "demo.json", "demo").read_text())
    assert coco[0] == {"image_id": row.image_id, "caption": row.outputs["demo"]} and len(coco) == 10
    from igrag_gui.core.task_state import TaskState

    seen: list[str] = []
    state = TaskState(on_status=lambda line: (seen.append(line), state.cancel()))  # cancel after the first batch
    cancelled = run_batch(session, run[1], [None, "demo"], GenerationSettings(max_new_tokens=5), batch_size=4,
                          state=state, metrics=("bleu4",))
    assert cancelled.cancelled and len(cancelled.done) == 4 and set(cancelled.scores) == {"base", "demo"}
    assert seen == ["4 of 24 images through 2 model(s)…"] and state.progress == 4 / 24


def test_batch_groups_rows_of_one_image_into_its_references(session, tmp_path):
    """Rows sharing an image_id are one image: one caption generated, all captions as references."""
    path = tmp_path / "val.jsonl"
    rows = [{"image_id": 1, "prompt": "Caption: a dog on grass", "caption": c} for c in ("a dog", "a brown dog")]
    rows.append({"image_id": 2, "prompt": "Caption: a cat", "caption": "a cat"})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = run_batch(session, path, [None], GenerationSettings(max_new_tokens=5), metrics=("bleu1",))
    assert [(r.image_id, r.references, r.line) for r in result.rows] == [(1, ["a dog", "a brown dog"], 1),
                                                                        (2, ["a cat"], 3)]
    assert result.scores["base"].images == 2


def test_a_non_utf8_data_file_names_file_and_line(session, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(json.dumps({"prompt": "p", "caption": "c"}).encode() + b"\n"
                     + b'{"prompt": "caf\xe9", "caption": "c"}\n')
    with pytest.raises(UserError) as caught:
        run_batch(session, path, [None])
    assert str(caught.value) == f"{path}:2: not UTF-8 text (byte 47); save the file as UTF-8"


# ------------------------------------------------------------------------------------ merge
def test_merge_saves_a_full_model_that_generates_the_same(session, tmp_path, prompts):
    out = tmp_path / "merged"
    report = merge_and_save(session, "demo", out, verify_prompts=prompts)
    assert report.same_outputs and report.max_logit_diff < 1e-3 and report.verified
    assert report.params == 1_296_128 and report.out_dir == out.resolve()
    assert {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"} <= set(report.files)
    assert report.adapter_outputs == session.generate(prompts, adapter="demo")
    assert report.adapter_outputs != session.generate(prompts, adapter=None)
    merged = Session.load(str(out), max_source_length=256)
    assert merged.generate(prompts) == report.adapter_outputs
    with pytest.raises(UserError) as caught:
        merge_and_save(session, "demo", out)
    assert str(caught.value) == (f"'{out.resolve()}' already exists and is not empty; choose a new folder "
                                 f"(or allow overwriting it)")
    assert session.adapters == ["demo"] and not session.busy


def test_streams_generate_on_the_torch_thread_and_arrive_in_fewer_longer_pieces(session, prompts, monkeypatch):
    """One thread for torch (see torch_thread); the streamer decodes at most every FLUSH_SECONDS
    (the first token at once), and the pieces still add up to the whole text."""
    from igrag_gui.core import torch_thread
    from igrag_gui.core.playground import stream as stream_module
    from igrag_gui.core.playground.exclusive import ModelUse

    threads = []
    real = ModelUse.stream

    def spy(self, *args, **kwargs):
        threads.append(threading.current_thread().name)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(ModelUse, "stream", spy)
    settings = GenerationSettings(max_new_tokens=48, min_new_tokens=48)
    whole = session.generate([prompts[0]], settings, "demo")[0]
    monkeypatch.setattr(stream_module, "FLUSH_SECONDS", 3600.0)  # after the first token: only at the end
    pieces = list(session.stream(prompts[0], settings, "demo"))
    assert threads == [torch_thread.NAME]
    assert "".join(pieces).strip() == whole and len(pieces) <= 3  # first token, the rest, its last word
    monkeypatch.setattr(stream_module, "FLUSH_SECONDS", 0.0)  # every token decoded, as transformers does
    each = session.stream(prompts[0], settings, "demo")
    assert "".join(each).strip() == whole and each.stats.new_tokens == 48
    # a stream read on the torch thread itself generates beside it instead of waiting for itself
    beside = torch_thread.call(lambda: "".join(session.stream(prompts[0], settings, "demo")))
    assert beside.strip() == whole and threads[-1] == "igrag-generate"
