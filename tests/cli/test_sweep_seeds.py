"""``seeds:`` in a sweep file: each setting trained once per seed, ranked by the mean with its
spread (std, n); bad seed lists refused before any trial."""

from __future__ import annotations

import csv
import json
import statistics

import pytest
import yaml

from igrag_gui.core.experiments.runs import load_run
from igrag_gui.core.experiments.sweep_spec import load_sweep
from tests.cli.test_cli import assert_user_error, igrag
from tests.cli.test_sweep_cli import sweep_file


@pytest.mark.parametrize("seeds", [[], [1, 1], "1, 2", [1, -2], [True]])
def test_a_bad_seed_list_is_refused_before_any_trial(tmp_path, seeds):
    path = sweep_file(tmp_path, seeds=seeds)
    assert assert_user_error(igrag("sweep", str(path))) == [
        f"igrag: error: {path}: seeds: give a list of different whole numbers from 0 to 4294967295, e.g. "
        f"seeds: [1, 2, 3] (each setting is trained once per seed)"]
    assert not (tmp_path / "sweep").exists()


def test_seeds_and_a_seed_in_the_space_are_refused_together(tmp_path):
    path = sweep_file(tmp_path, seeds=[1, 2], space={"training.seed": [1, 2]})
    assert assert_user_error(igrag("sweep", str(path))) == [
        f"igrag: error: {path}: seeds: training.seed is also in space; vary it in one place"]


def test_seeds_make_another_study(tmp_path):
    plain = load_sweep(sweep_file(tmp_path, "a.yaml"))
    seeded = load_sweep(sweep_file(tmp_path, "b.yaml", seeds=[3, 1]))
    assert plain.seeds == [] and seeded.seeds == [3, 1]
    assert plain.fingerprint() != seeded.fingerprint()
    assert load_sweep(sweep_file(tmp_path, "c.yaml", seeds=[3, 1])).fingerprint() == seeded.fingerprint()


@pytest.mark.slow
def test_each_setting_runs_once_per_seed_and_ranks_by_the_mean_with_its_spread(tmp_path):
    path = sweep_file(tmp_path, space={"lora.r": [2, 4]}, trials=2, metric="loss", seeds=[11, 12])
    result = igrag("sweep", str(path))
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "sweep"
    rows = list(csv.DictReader((folder / "sweep.csv").open()))
    assert [r["state"] for r in rows] == ["complete", "complete"] and [r["n"] for r in rows] == ["2", "2"]
    assert float(rows[0]["value"]) <= float(rows[1]["value"])  # loss: lower first, by the mean
    for row in rows:
        losses = []
        for seed in (11, 12):
            run = load_run(folder / f"trial-{int(row['trial']):03d}" / f"seed-{seed}")
            assert run.status == "finished" and run.seed == seed
            assert yaml.safe_load((run.path / "run.yaml").read_text())["training"]["seed"] == seed
            losses.append(min(p.value for p in run.series()["loss"]))
        assert float(row["value"]) == pytest.approx(statistics.fmean(losses))
        assert float(row["std"]) == pytest.approx(statistics.stdev(losses))
        assert losses[0] != losses[1]  # the seed changed the run
    header = next(line for line in result.stdout.splitlines() if line.startswith("rank"))
    assert header.split()[:6] == ["rank", "trial", "state", "loss", "mean", "std"]
    # the seeds' runs are runs: compare finds and bounds them
    compared = igrag("runs", "compare", str(folder / "trial-000" / "seed-11"), str(folder / "trial-000" / "seed-12"),
                     "--json", "--resamples", "50")
    data = json.loads(compared.stdout)
    assert data["differences"] == {"training.seed": [11, 12]}
    assert len(data["intervals"]["runs"]) == 2
