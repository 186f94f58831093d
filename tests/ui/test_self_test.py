"""``igrag-gui --self-test`` never waits for a person: a bad config ends it at once with a reason,
a dialog that opens is a failure (and is closed), and a background read that fails is reported
with its reason instead of after a timeout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _self_test(*args: str, cwd: Path, home: Path, timeout: int = 240) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "IGRAG_")) and k != "HF_HOME"}
    env.update(HOME=str(home), QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    # The timeout is a guard against the hang this file is about, not a speed requirement.
    return subprocess.run([sys.executable, "-m", "igrag_gui.app", "--self-test", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _demo_config(tmp_path: Path, **replace: str) -> Path:
    text = (ROOT / "configs" / "demo.yaml").read_text(encoding="utf-8").replace(
        "../resources", str(ROOT / "resources")).replace("../runs/demo", str(tmp_path / "runs" / "demo"))
    for old, new in replace.items():
        text = text.replace(old, new)
    path = tmp_path / "run.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("name, text, reason", [
    ("missing.yaml", None, "{path}: no such file"),
    ("list.yaml", "- model\n- data\n", "{path}: the top level must be a mapping with sections model, data, "
                                        "training, lora, got a list"),
    ("broken.yaml", "model: [unclosed\n", "{path}:2:1: YAML syntax error: "),
])
def test_a_bad_config_fails_at_once_with_one_line_and_no_window(tmp_path, name, text, reason):
    path = tmp_path / name
    if text is not None:
        path.write_text(text)
    before = _tree(tmp_path)
    result = _self_test(str(path), cwd=tmp_path, home=tmp_path / "home")
    lines = result.stdout.strip().splitlines()
    assert result.returncode == 2, result.stdout + result.stderr
    assert len(lines) == 1
    assert lines[0].startswith("self-test: FAILED the config as opened: " + reason.format(path=path)), lines[0]
    assert "status bar" not in result.stdout  # no window was made
    assert {k: v for k, v in _tree(tmp_path).items() if not k.startswith("home/")} == before


def test_a_config_with_errors_names_the_field_and_fails(tmp_path):
    path = _demo_config(tmp_path, **{"learning_rate: 2.0e-3": "learning_rate: -1"})
    result = _self_test(str(path), cwd=tmp_path, home=tmp_path / "home")
    assert result.returncode == 2, result.stdout + result.stderr
    line, = result.stdout.strip().splitlines()
    assert line.startswith(f"self-test: FAILED the config as opened: {path}:")
    assert "training.learning_rate: " in line


def test_a_model_that_cannot_be_read_is_reported_with_its_reason(tmp_path):
    """The model read fails in the background: the failure and its reason are printed when it
    happens (the old self-test printed '—' after its 300 s timeout)."""
    model = tmp_path / "model"
    model.mkdir()
    config = json.loads((ROOT / "resources" / "demo" / "model" / "config.json").read_text())
    config["d_kv"] = -1  # the model cannot be built: a negative dimension
    (model / "config.json").write_text(json.dumps(config))
    path = _demo_config(tmp_path, **{f"{ROOT}/resources/demo/model": str(model)})
    result = _self_test(str(path), cwd=tmp_path, home=tmp_path / "home")
    lines = [line for line in result.stdout.splitlines() if line.startswith("self-test:")]
    assert result.returncode == 1, result.stdout + result.stderr
    failed = [line for line in lines if line.startswith("self-test: FAILED")]
    assert failed and all("negative dimension" in line for line in failed), lines
    assert lines[-1].endswith("check(s) failed")
    assert not list((tmp_path / "runs").rglob("*.safetensors"))  # nothing was trained


def test_the_modal_guard_fails_and_closes_any_dialog(qtbot):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QMessageBox

    from igrag_gui.ui.self_test import ModalGuard

    seen: list[str] = []
    guard = ModalGuard(seen.append, interval_ms=10)
    answers: list[int] = []
    QTimer.singleShot(0, lambda: answers.append(QMessageBox.warning(None, "Cannot open config", "bad\nthing")))
    qtbot.waitUntil(lambda: bool(answers), timeout=10_000)  # the blocking dialog returned: it was closed
    guard.stop()
    assert seen == ["a dialog opened: Cannot open config: bad thing"]
