"""The Train tab's memory and time estimate: shown before Start from an ``igrag estimate`` probe
once editing pauses, probed again when a field that moves it changes, blocked by a field's error,
kept when only the output folder changes."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "sweep"
LONG = 300_000


def tiny_config(tmp_path: Path) -> Path:
    config = yaml.safe_load((FIXTURES / "tiny.yaml").read_text())
    config["model"]["base_model_path"] = str(ROOT / "resources" / "demo" / "model")
    config["data"] = {**config["data"], "train_path": str(FIXTURES / "train.jsonl"),
                      "val_path": str(FIXTURES / "val.jsonl")}
    config["training"]["output_dir"] = str(tmp_path / "runs" / "tiny")
    (tmp_path / "run.yaml").write_text(yaml.safe_dump(config))
    return tmp_path / "run.yaml"


@pytest.mark.slow
def test_the_estimate_is_shown_before_start_and_follows_the_fields(window, qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("IGRAG_AUTO_ESTIMATE", "1")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert window.open_config(tiny_config(tmp_path))
    tab = window.train_tab
    box = tab.estimate_box
    qtbot.waitUntil(lambda: box.result is not None, timeout=LONG)
    first = box.result
    assert (first.verdict, first.examples, first.steps, first.effective_batch_size) == ("fits", 16, 2, 8)
    assert box.verdict_label.text().startswith("Memory: ") and box.verdict_label.text().endswith(")")
    assert "s per step x 2 steps" in box.detail_label.text()
    assert tab.start_button.isEnabled() and not box.busy()

    tab.form.editor("training.output_dir").setText(str(tmp_path / "runs" / "elsewhere"))
    qtbot.wait(400)  # the tab's debounce has passed: the estimate stands
    assert box.result is first and not box.busy()

    tab.form.editor("data.train_path").setText(str(tmp_path / "missing.jsonl"))
    qtbot.waitUntil(lambda: box.detail_label.text() == "Fix data.train_path to see the estimate.", timeout=10_000)
    assert not box.busy()
    tab.form.editor("data.train_path").setText(str(FIXTURES / "train.jsonl"))
    tab.form.editor("training.train_batch_size").setValue(4)
    qtbot.waitUntil(lambda: box.result is not None and box.result is not first, timeout=LONG)
    assert (box.result.effective_batch_size, box.result.worst_batch["examples"]) == (4, 4)
    assert not (tmp_path / "runs").exists()  # the probe never writes into output_dir
