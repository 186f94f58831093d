"""``runs compare``'s intervals over run folders: per run and per pair, the reasons where a run
has none, the same figures from the CLI (JSON and text), and a bad --resamples refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from igrag_gui.core.experiments.compare import comparison, intervals
from igrag_gui.core.experiments.runs import load_run
from igrag_gui.core.metrics.eval_captions import FILE, write_eval_captions
from tests.cli.test_cli import assert_user_error, igrag
from tests.core.experiments.test_runs import CONFIG, log, started, write_run
from tests.core.test_metrics_bootstrap import _corpus


def _evaluated(folder: Path, captions: dict, references: dict) -> Path:
    write_run(folder, [started(), log(1, 2.0),
                       {"event": "eval", "step": 4, "epoch": 1.0, "eval_loss": 2.0, "eval_bleu4": 0.2,
                        "eval_cider": 0.5},
                       {"event": "finished", "step": 4, "output_dir": str(folder)}], CONFIG)
    write_eval_captions(folder, 4, captions, references, ["bleu4", "cider"])
    return folder


@pytest.fixture
def runs(tmp_path):
    captions, references = _corpus(60)
    worse = {i: ("a plate of food on a table" if n % 3 == 0 else c) for n, (i, c) in enumerate(captions.items())}
    good = _evaluated(tmp_path / "good", captions, references)
    bad = _evaluated(tmp_path / "bad", worse, references)
    never = write_run(tmp_path / "never", [started(), log(1, 2.0), {"event": "finished", "step": 1}], CONFIG)
    old = write_run(tmp_path / "old", [started(), {"event": "eval", "step": 1, "eval_loss": 2.0, "eval_bleu": 7.0}],
                    CONFIG)
    return good, bad, never, old


def test_each_run_and_each_pair_has_an_interval_and_runs_without_captions_say_why(runs):
    good, bad, never, old = runs
    got = intervals([load_run(p) for p in runs], resamples=200)
    assert (got["images"], got["resamples"], got["seed"], got["confidence"]) == (60, 200, 0, 0.95)
    assert got["metrics"] == ["bleu4", "cider"] and set(got["runs"]) == {str(good), str(bad)}
    assert got["runs"][str(good)]["step"] == 4
    assert got["unavailable"] == {
        str(never): "it never evaluated on validation data (no data.val_path, or eval_strategy: no)",
        str(old): f"it kept no per-image evaluation ({FILE}), which igrag keeps since the runs with seeds and "
                  f"intervals; train it again to get intervals"}
    assert got["not_bootstrapped"] == {"loss": "the validation loss is not kept per image"}
    cider = [p for p in got["pairs"] if p["metric"] == "cider"]
    assert len(cider) == 1 and (cider[0]["a"], cider[0]["b"]) == (str(good), str(bad))
    assert cider[0]["low"] > 0 and cider[0]["distinguishable"] is True
    one = got["runs"][str(good)]["metrics"]["cider"]
    assert one["low"] < one["value"] < one["high"]
    # the same runs, the same seed: the same figures
    assert intervals([load_run(p) for p in runs], resamples=200) == got


def test_unreadable_captions_and_runs_on_other_images(tmp_path, runs):
    good = runs[0]
    broken = _evaluated(tmp_path / "broken", {1: "a"}, {1: ["a"]})
    (broken / FILE).write_text("{not json")
    elsewhere = _evaluated(tmp_path / "elsewhere", {"x": "a dog"}, {"x": ["a dog runs"]})
    got = intervals([load_run(good), load_run(broken), load_run(elsewhere)], resamples=50)
    assert got["unavailable"][str(broken)].startswith(f"its {FILE} cannot be read (JSONDecodeError: ")
    assert got["unavailable"][str(elsewhere)] == ("its validation images share none with good's; intervals "
                                                  "compare runs evaluated on the same images")
    assert list(got["runs"]) == [str(good)] and got["pairs"] == []


def test_the_cli_prints_the_intervals_as_json_and_as_text(runs):
    good, bad, never, _ = runs
    result = igrag("runs", "compare", str(good), str(bad), str(never), "--json", "--resamples", "200")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"runs", "differences", "results", "intervals"}
    assert data["intervals"] == comparison([load_run(good), load_run(bad), load_run(never)], 200)["intervals"]
    text = igrag("runs", "compare", str(good), str(bad), str(never), "--resamples", "200").stdout
    assert "95% intervals (paired bootstrap over 60 validation images, 200 resamples, seed 0):" in text
    pair = next(p for p in data["intervals"]["pairs"] if p["metric"] == "cider")
    assert (f"good - bad: cider {pair['difference']:+.3f} [{pair['low']:+.3f}, {pair['high']:+.3f}], "
            f"distinguishable") in text
    assert "never: no intervals (it never evaluated on validation data" in text


def test_a_bad_resample_count_is_refused(runs):
    assert assert_user_error(igrag("runs", "compare", str(runs[0]), str(runs[1]), "--resamples", "0")) == [
        "igrag: error: --resamples 0: give at least 1 (1000 is usual)"]
