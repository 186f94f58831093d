"""``igrag sweep --report SWEEP``: Optuna's analyses of a finished tiny sweep on the demo model, as
JSON and as lines, from the sweep file or its folder; a sweep that never ran is refused in one line."""

from __future__ import annotations

import json

import pytest

from tests.cli.test_cli import assert_user_error, igrag
from tests.cli.test_sweep_cli import sweep_file


@pytest.fixture(scope="module")
def finished_sweep(tmp_path_factory):
    """Three trials on the tiny demo run: two ranks and two learning rates (one trial's worth of grid
    left out by the budget), each two steps and one evaluation."""
    where = tmp_path_factory.mktemp("report")
    path = sweep_file(where, space={"lora.r": [2, 4], "training.learning_rate": [3e-3, 1e-4]}, trials=3,
                      sampler="grid", metric="loss")
    result = igrag("sweep", str(path), env={"OMP_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stderr
    return path


@pytest.mark.slow
def test_report_json_holds_the_four_analyses_of_a_finished_sweep(finished_sweep):
    result = igrag("sweep", "--report", str(finished_sweep), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"study", "metric", "direction", "trials", "complete", "best", "importance",
                         "importance_note", "history", "parallel", "slices"}
    assert (data["study"], data["metric"], data["direction"]) == ("sweep", "loss", "minimize")
    assert data["trials"] == {"complete": 3} and data["complete"] == 3
    keys = ["lora.r", "training.learning_rate"]
    assert set(data["importance"]) == set(keys) and sum(data["importance"].values()) == pytest.approx(1.0)
    assert [h["trial"] for h in data["history"]] == [0, 1, 2]
    values = [h["value"] for h in data["history"]]
    assert [h["best"] for h in data["history"]] == [min(values[:i + 1]) for i in range(3)]
    assert data["best"] == {"trial": values.index(min(values)), "value": min(values)}
    assert data["parallel"]["params"] == keys
    assert [t["value"] for t in data["parallel"]["trials"]] == values
    assert {t["params"]["lora.r"] for t in data["parallel"]["trials"]} == {2, 4}
    assert set(data["slices"]) == set(keys)
    assert [p["value"] for p in data["slices"]["lora.r"]] == values

    by_folder = igrag("sweep", "--report", str(finished_sweep.parent / "sweep"), "--json")
    assert json.loads(by_folder.stdout) == data
    text = igrag("sweep", "--report", str(finished_sweep)).stdout.splitlines()
    assert text[0] == "study 'sweep': 3 complete; minimize loss"
    assert text[1] == "parameter importance (Optuna, PED-ANOVA):"
    assert text[-1] == f"best: trial {data['best']['trial']} ({data['best']['value']:.4g})"


def test_report_of_a_sweep_that_never_ran_or_a_folder_without_one_is_refused(tmp_path):
    path = sweep_file(tmp_path)
    assert assert_user_error(igrag("sweep", "--report", str(path))) == [
        f"igrag: error: sweep '{path}' has not run yet (no study in sqlite:///{tmp_path / 'sweep' / 'sweep.db'}); "
        f"run 'igrag sweep {path}' first"]
    assert assert_user_error(igrag("sweep", "--report", str(tmp_path))) == [
        f"igrag: error: folder '{tmp_path}' holds no sweep (sweep.json is missing); give a sweep file or the "
        f"folder a sweep ran in"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sweep.yaml"]
