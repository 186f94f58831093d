"""training.seed, end to end on the demo model (dropout on): the same seed gives the same losses and
the same adapter bit for bit; another seed gives others; the seed is recorded in the run."""

from __future__ import annotations

import json

import pytest

from igrag_gui.core.config import load_config
from igrag_gui.core.training.events import Collect, Finished, Logged
from igrag_gui.core.experiments.runs import load_run
from igrag_gui.resources import demo_config_path

pytestmark = pytest.mark.slow


def _run(tmp_path, name: str, seed: int):
    from safetensors.torch import load_file

    from igrag_gui.core.training.train import train

    out = tmp_path / name
    # dropout stays on (the demo's lora.dropout 0.05 and the model's own): its masks follow the seed too
    val = tmp_path / "val.jsonl"
    if not val.exists():  # 16 rows of the demo's validation split (its images, 5 captions each)
        lines = (demo_config_path().parent / "../resources/demo/data/val.jsonl").resolve().read_text().splitlines()
        val.write_text("\n".join(lines[:16]) + "\n")
    cfg, _ = load_config(demo_config_path(), [f"training.output_dir={out}", f"training.seed={seed}",
                                              f"data.val_path={val}", "training.eval_strategy=steps",
                                              "training.eval_steps=3", "training.save_strategy=no",
                                              "training.logging_steps=1", "lora.dropout=0.2"])
    sink = Collect()
    closing = train(cfg, sink, max_steps=3)
    assert isinstance(closing, Finished) and closing.step == 3
    return [e.loss for e in sink.of(Logged)], load_file(out / "adapter_model.safetensors"), out


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """Three short demo runs that evaluate at their end: seeds 7, 7 and 8."""
    where = tmp_path_factory.mktemp("seeds")
    return where, [_run(where, name, seed) for name, seed in (("a", 7), ("b", 7), ("c", 8))]


def test_the_same_seed_repeats_a_run_and_another_seed_does_not(seeded):
    import torch

    _, [(losses_a, weights_a, out_a), (losses_b, weights_b, _), (losses_c, weights_c, out_c)] = seeded
    assert len(losses_a) == 3 and losses_a == losses_b
    assert weights_a.keys() == weights_b.keys() == weights_c.keys()
    for name in weights_a:
        assert torch.equal(weights_a[name], weights_b[name]), name
    assert losses_c != losses_a
    assert any(not torch.equal(weights_a[n], weights_c[n]) for n in weights_a)
    # recorded: the started event in metrics.jsonl, and run.yaml
    started = json.loads((out_a / "metrics.jsonl").read_text().splitlines()[0])
    assert started["event"] == "started" and started["seed"] == 7
    assert load_run(out_a).seed == 7 and load_run(out_c).summary()["seed"] == 8


def test_an_evaluating_run_keeps_its_captions_per_image_and_runs_compare_bounds_them(seeded):
    from igrag_gui.core.experiments.compare import comparison
    from igrag_gui.core.metrics.eval_captions import read_eval_captions

    tmp_path, [(_, _, out_a), (_, _, out_b), _] = seeded
    kept = read_eval_captions(out_a)
    assert kept.step == 3 and kept.metrics == ["bleu4", "cider"]
    lines = [json.loads(x) for x in (tmp_path / "val.jsonl").read_text().splitlines()]
    assert list(kept.references) == list(dict.fromkeys(x["image_id"] for x in lines))
    assert all(len(r) >= 1 for r in kept.references.values())
    data = comparison([load_run(out_a), load_run(out_b)], resamples=200)
    got = data["intervals"]
    assert got["images"] == len(kept.references) and got["metrics"] == ["bleu4", "cider"]
    assert got["unavailable"] == {} and got["not_bootstrapped"] == {"loss": "the validation loss is not kept per image"}
    cider = got["runs"][str(out_a)]["metrics"]["cider"]
    evaluated = load_run(out_a).metrics()["cider"]["last"]
    assert cider["value"] == pytest.approx(evaluated, rel=1e-9) and cider["low"] <= cider["value"] <= cider["high"]
    # one seed, the same captions: the difference is exactly 0, and not distinguishable
    pair = next(p for p in got["pairs"] if p["metric"] == "cider")
    assert (pair["difference"], pair["low"], pair["high"], pair["distinguishable"]) == (0.0, 0.0, 0.0, False)
