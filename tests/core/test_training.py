"""The training engine, for real, on the demo model: nothing about the loop is mocked."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from igrag_gui.core.config import load_config
from igrag_gui.core.errors import UserError
from igrag_gui.core.training.events import (CheckpointSaved, Collect, Evaluated, Failed, Finished, Logged, Message,
                                   Started)
from igrag_gui.resources import demo_config_path, demo_model_path

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def quiet_model(tmp_path_factory) -> Path:
    """The demo model with its dropout off, so that two runs can be compared number for number."""
    folder = tmp_path_factory.mktemp("model") / "demo-no-dropout"
    shutil.copytree(demo_model_path(), folder)
    config = json.loads((folder / "config.json").read_text())
    config["dropout_rate"] = 0.0
    (folder / "config.json").write_text(json.dumps(config))
    return folder


@pytest.fixture
def small_run(tmp_path):
    """A demo config writing into tmp_path, with a 16-example validation split."""

    def make(*overrides: str, val_examples: int = 16):
        val = tmp_path / "val.jsonl"
        lines = (demo_config_path().parent / "../resources/demo/data/val.jsonl").resolve().read_text().splitlines()
        val.write_text("\n".join(lines[:val_examples]) + "\n")
        cfg, _ = load_config(demo_config_path(), [f"training.output_dir={tmp_path / 'out'}",
                                                  f"data.val_path={val}", "training.logging_steps=1",
                                                  *overrides])
        return cfg

    return make


def run(cfg, **kwargs):
    from igrag_gui.core.training.train import train

    sink = Collect()
    closing = train(cfg, sink, **kwargs)
    return closing, sink


def test_events_files_and_adapter_of_a_short_run(small_run):
    cfg = small_run("training.eval_strategy=steps", "training.eval_steps=3", "training.save_strategy=steps",
                    "training.save_steps=3", "training.save_total_limit=2")
    closing, sink = run(cfg, max_steps=6)
    assert isinstance(closing, Finished) and closing.step == 6 and not closing.stopped
    started = sink.of(Started)[0]
    from igrag_gui.core.methods.params import count_parameters
    stats = count_parameters(cfg)
    assert (started.trainable, started.total) == (stats.trainable, stats.total)
    logs = sink.of(Logged)
    assert [e.step for e in logs] == [1, 2, 3, 4, 5, 6]
    assert all(e.loss > 0 and e.learning_rate >= 0 and e.grad_norm is not None for e in logs)
    assert logs[-1].learning_rate > logs[0].learning_rate  # warming up
    evals = sink.of(Evaluated)
    assert [e.step for e in evals] == [3, 6]
    assert all(set(e.scores) == {"bleu4", "cider"} and 0 <= e.scores["bleu4"] <= 1 and e.scores["cider"] >= 0
               and e.best_metric == "bleu4" for e in evals)
    out = cfg.output_path
    assert [p.name for p in sorted(out.glob("checkpoint-*"))] == ["checkpoint-3", "checkpoint-6"]
    assert [e.step for e in sink.of(CheckpointSaved)] == [3, 6]
    for name in ("adapter_config.json", "adapter_model.safetensors"):
        assert (out / name).is_file() and (out / "best" / name).is_file()
    assert not (out / ".staging").exists()
    adapter_config = json.loads((out / "adapter_config.json").read_text())
    assert Path(adapter_config["base_model_name_or_path"]) == demo_model_path().resolve()
    run_yaml = yaml.safe_load((out / "run.yaml").read_text())
    assert set(run_yaml["versions"]) == {"igrag_gui", "torch", "transformers", "peft"}
    assert run_yaml["lora"]["r"] == cfg.lora.r
    lines = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert lines[0]["event"] == "started" and {"trainable", "total", "percent"} <= set(lines[0])
    assert {"step", "epoch", "loss", "learning_rate", "grad_norm"} <= set(lines[1])
    assert any(line["event"] == "eval" and {"eval_bleu4", "eval_cider", "eval_loss"} <= set(line) for line in lines)
    best = json.loads((out / "best" / "igrag.json").read_text())
    assert best["best_metric"] == "bleu4" and best["eval_bleu4"] == max(e.scores["bleu4"] for e in evals)


def test_adapter_loads_in_plain_peft_and_generates_the_same(small_run):
    from peft import PeftModel
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    from igrag_gui.core.models.generation import generate_texts

    cfg = small_run("training.eval_strategy=no", "training.save_strategy=no")
    closing, _ = run(cfg, max_steps=8)
    prompts = [json.loads(line)["prompt"] for line in cfg.train_file.read_text().splitlines()[:3]]
    tokenizer = AutoTokenizer.from_pretrained(demo_model_path())
    plain = PeftModel.from_pretrained(AutoModelForSeq2SeqLM.from_pretrained(demo_model_path()), closing.output_dir)
    plain.eval()
    expected = []
    for prompt in prompts:
        ids = tokenizer(prompt, return_tensors="pt")
        out = plain.generate(**ids, max_new_tokens=cfg.data.max_target_length, do_sample=False)
        expected.append(tokenizer.decode(out[0], skip_special_tokens=True).strip())
    ours = generate_texts(plain, tokenizer, prompts, "seq2seq", cfg.data.max_source_length,
                          cfg.data.max_target_length)
    assert ours == expected and all(expected)


def _first_step(cfg, quiet_model, batch: int, accumulation: int):
    """The first logged loss and the accumulated gradients just before the first optimizer step."""
    from transformers import TrainerCallback

    from igrag_gui.core.training.train import prepare

    cfg.model.base_model_path = str(quiet_model)
    cfg.training.train_batch_size, cfg.training.gradient_accumulation_steps = batch, accumulation
    cfg.lora.dropout = 0.0
    grads = {}

    class Grab(TrainerCallback):
        def on_pre_optimizer_step(self, args, state, control, model=None, **kwargs):
            grads.update({n: p.grad.detach().clone() for n, p in model.named_parameters() if p.requires_grad})

    sink = Collect()
    prepared = prepare(cfg, sink, max_steps=1)
    prepared.trainer.add_callback(Grab())
    prepared.trainer.train()
    return sink.of(Logged)[0].loss, grads


def test_loss_and_gradients_do_not_depend_on_accumulation(small_run, quiet_model):
    """8 examples in one batch, or in 4 accumulated batches of 2: the same true token-mean loss,
    and the same update (the prompts differ in length, so a mean of means would differ)."""
    import torch

    loss_1, grads_1 = _first_step(small_run("training.eval_strategy=no", "training.save_strategy=no",
                                              "training.warmup_steps=0"), quiet_model, 8, 1)
    loss_4, grads_4 = _first_step(small_run("training.eval_strategy=no", "training.save_strategy=no",
                                              "training.warmup_steps=0",  # a new run: a folder of its own
                                              f"training.output_dir={small_run().output_path.parent / 'b'}"),
                                  quiet_model, 2, 4)
    assert loss_4 == pytest.approx(loss_1, rel=1e-4)
    assert grads_1 and grads_1.keys() == grads_4.keys()
    for name, g in grads_1.items():
        torch.testing.assert_close(grads_4[name], g, rtol=1e-3, atol=1e-4 * float(g.abs().max()))


def test_stop_then_resume_continues_the_same_curve(small_run, quiet_model):
    common = ("training.eval_strategy=no", "training.save_strategy=steps", "training.save_steps=100",
              f"model.base_model_path={quiet_model}")
    straight, sink = run(small_run(*common, "training.output_dir=" + str(Path(small_run().output_path.parent) / "a")),
                         max_steps=6)
    reference = {e.step: e.loss for e in sink.of(Logged)}

    from igrag_gui.core.training.train import RunState

    state = RunState()
    cfg = small_run(*common)

    def stop_at_3(event):  # asked during step 3's log: honoured at the end of the next step
        if isinstance(event, Logged) and event.step == 3:
            state.task.cancel()
    collected = Collect()
    closing = __import__("igrag_gui.core.training.train", fromlist=["train"]).train(
        cfg, lambda e: (collected(e), stop_at_3(e)), state, max_steps=6)
    assert isinstance(closing, Finished) and closing.stopped and closing.step == 4
    assert Path(closing.checkpoint).name == "checkpoint-4"
    assert not (cfg.output_path / "adapter_model.safetensors").exists()  # the final adapter is not written on stop

    resumed, sink2 = run(small_run(*common), max_steps=6, resume=True)
    assert sink2.of(Started)[0].start_step == 4
    assert isinstance(resumed, Finished) and resumed.step == 6
    after = {e.step: e.loss for e in sink2.of(Logged)}
    assert sorted(after) == [5, 6]
    for step in (5, 6):
        assert after[step] == pytest.approx(reference[step], rel=1e-4)
    metrics = [json.loads(line) for line in (cfg.output_path / "metrics.jsonl").read_text().splitlines()]
    assert [m["step"] for m in metrics if m["event"] == "log"] == [1, 2, 3, 4, 5, 6]


def test_resume_with_another_lora_shape_is_refused(small_run):
    cfg = small_run("training.eval_strategy=no", "training.save_strategy=steps", "training.save_steps=2",
                    "lora.target_modules=[q, v]")
    run(cfg, max_steps=2)
    changed = small_run("training.eval_strategy=no", "lora.r=4", "lora.target_modules=[q, k, v]")
    with pytest.raises(UserError) as err:
        run(changed, resume=True)
    assert str(err.value) == (f"cannot resume from '{cfg.output_path / 'checkpoint-2'}': it was trained with "
                              f"r=16, target_modules=[q, v] but the config asks for r=4, target_modules=[k, q, v]; "
                              f"resume with the original lora settings, or start a new run in another output_dir")


def test_resume_with_another_method_is_refused(small_run):
    cfg = small_run("training.eval_strategy=no", "training.save_strategy=steps", "training.save_steps=2")
    run(cfg, max_steps=2)
    changed = small_run("training.eval_strategy=no", "method=ia3")
    with pytest.raises(UserError) as err:
        run(changed, resume=True)
    assert str(err.value) == (f"cannot resume from '{cfg.output_path / 'checkpoint-2'}': it is a LORA adapter "
                              f"but the config asks for IA3 (method ia3); set method back, or start a new "
                              f"run in another output_dir")


def test_resume_without_a_checkpoint(small_run):
    cfg = small_run()
    with pytest.raises(UserError) as err:
        run(cfg, resume=True)
    assert str(err.value) == (f"--resume: no checkpoint in '{cfg.output_path}' to resume from; train without "
                              f"--resume first, or name a checkpoint folder")


def test_nan_loss_stops_with_a_message_and_keeps_the_last_good_checkpoint(small_run):
    cfg = small_run("training.eval_strategy=no", "training.save_strategy=steps", "training.save_steps=1",
                    "training.save_total_limit=10", "training.learning_rate=1e30", "training.warmup_steps=0",
                    "lora.target_modules=[q, k]")  # huge q and k updates: attention scores overflow
    closing, sink = run(cfg, max_steps=8)
    assert isinstance(closing, Failed), closing
    step = closing.step
    good = cfg.output_path / f"checkpoint-{step - 1}"
    assert closing.message == (f"the training loss became NaN at step {step}; lower training.learning_rate "
                               f"(now 1e+30) and resume or restart; the last good checkpoint is {good}")
    assert not (cfg.output_path / f"checkpoint-{step}").exists()
    assert not (cfg.output_path / "adapter_model.safetensors").exists()


def test_fp16_on_a_cpu_trains_in_fp32_with_a_warning(small_run):
    cfg = small_run("training.fp16=true", "training.eval_strategy=no", "training.save_strategy=no")
    closing, sink = run(cfg, max_steps=1)
    assert isinstance(closing, Finished)
    assert "training.fp16 is true but there is no CUDA GPU here; training in fp32 on the CPU instead" in [
        m.text for m in sink.of(Message)]
    assert sink.of(Started)[0].precision == "fp32"


@pytest.mark.parametrize("feature", ["AVX512_BF16", None])
def test_bf16_on_a_cpu_autocasts_only_where_the_cpu_has_native_bf16(small_run, monkeypatch, feature):
    from igrag_gui.core.training import precision
    from igrag_gui.core.training.train import prepare

    monkeypatch.setattr(precision, "cpu_bf16", lambda: feature)  # the two kinds of CPU, on whichever this is
    cfg = small_run("training.bf16=true", "training.eval_strategy=no", "training.save_strategy=no")
    sink = Collect()
    run_ = prepare(cfg, sink, max_steps=1)
    texts = [m.text for m in sink.of(Message)]
    if feature:
        assert ("training in bf16 mixed precision on the CPU (AVX512_BF16); the weights and the saved adapter "
                "stay fp32") in texts
        assert run_.trainer.accelerator.mixed_precision == "bf16"
    else:
        assert precision.NO_NATIVE_BF16 in texts
        assert run_.trainer.accelerator.mixed_precision == "no"
    assert sum("bf16" in t for t in texts) == 1  # one line says what precision it is


def test_bf16_on_a_cpu_with_native_bf16_trains_and_saves_an_fp32_adapter(small_run, monkeypatch):
    from safetensors import safe_open

    from igrag_gui.core.training import precision

    monkeypatch.setattr(precision, "cpu_bf16", lambda: "AVX512_BF16")
    cfg = small_run("training.bf16=true", "training.eval_strategy=no", "training.save_strategy=no")
    closing, sink = run(cfg, max_steps=2)
    assert isinstance(closing, Finished) and closing.step == 2
    assert sink.of(Started)[0].precision == "bf16"
    assert all(e.loss > 0 for e in sink.of(Logged))
    with safe_open(cfg.output_path / "adapter_model.safetensors", "pt") as f:
        assert {f.get_slice(k).get_dtype() for k in f.keys()} == {"F32"}


def test_truncation_is_reported(small_run):
    cfg = small_run("data.max_source_length=8", "training.eval_strategy=no", "training.save_strategy=no")
    closing, sink = run(cfg, max_steps=1)
    n = len(cfg.train_file.read_text().splitlines())
    assert (f"every one of the {n} prompts in train.jsonl are longer than data.max_source_length=8 tokens and "
            f"were truncated; raise max_source_length if that loses information") in [m.text for m in sink.of(Message)]


def test_bad_data_line_names_file_and_line(small_run, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "a", "caption": "b"}\n{"prompt": "a"\n')
    with pytest.raises(UserError) as err:
        run(small_run(f"data.train_path={bad}"))
    assert str(err.value).startswith(f"{bad}:2: not valid JSON")


def test_stop_ends_within_a_step_without_the_epoch_s_evaluation(small_run, quiet_model):
    """Stop saves a resumable checkpoint at the next step and ends: no validation pass first, even
    where the epoch's end would evaluate (eval_strategy epoch)."""
    from igrag_gui.core.training.events import CheckpointSaved, Evaluated
    from igrag_gui.core.training.train import RunState, train

    cfg = small_run("training.eval_strategy=epoch", "training.save_strategy=epoch", f"model.base_model_path={quiet_model}")
    state = RunState()
    collected = Collect()

    def stop_at_2(event):
        collected(event)
        if isinstance(event, Logged) and event.step == 2:
            state.task.cancel()
    closing = train(cfg, stop_at_2, state, max_steps=50)
    assert isinstance(closing, Finished) and closing.stopped and closing.step == 3
    assert collected.of(Evaluated) == []
    assert [Path(e.path).name for e in collected.of(CheckpointSaved)] == ["checkpoint-3"]
