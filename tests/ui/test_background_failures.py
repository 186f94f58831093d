"""A background read that fails (the model, the counts) says why in the tab that asked for it, as
soon as it fails: never a blank box waiting forever."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_model_that_cannot_be_built_is_reported_in_the_train_tab(window, qtbot, tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    config = json.loads((ROOT / "resources" / "demo" / "model" / "config.json").read_text())
    config["d_kv"] = -1  # config.json reads, but no model can be built from it
    (model / "config.json").write_text(json.dumps(config))
    tab = window.train_tab
    qtbot.waitUntil(lambda: "/" in tab.stats_label.text(), timeout=120_000)  # the demo's counts first
    tab.form.editor("model.base_model_path").setText(str(model))
    qtbot.waitUntil(lambda: bool(tab.model_problem or tab.stats_problem), timeout=120_000)
    reason = tab.model_problem or tab.stats_problem
    assert reason == (f"{model}: its config.json describes a model that cannot be built (Trying to create "
                      f"tensor with negative dimension -4: [-4, 128]); check the folder holds the model's own "
                      f"config.json")
    assert tab.stats_label.text() == "—"
    assert tab.reason_label.text() == f"Start is disabled: model.base_model_path: {reason}"
    assert not tab.start_button.isEnabled()
