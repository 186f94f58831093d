"""The Compare page's Pack and Unpack: a run packed from the list comes back as a listed, ticked
run; unpacking over it again is refused in a dialog and nothing changes."""

from __future__ import annotations

import json

from PySide6.QtWidgets import QMessageBox

from tests.ui.test_experiments_pages import point_to, two_runs  # noqa: F401 - the fixture


def test_pack_then_unpack_lists_and_ticks_the_run(window, two_runs, tmp_path, monkeypatch):  # noqa: F811
    config, a, _ = two_runs
    (a / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": "m", "task_type": "SEQ_2_SEQ_LM"}))
    (a / "adapter_model.safetensors").write_bytes(b"weights")
    point_to(window, config)
    page = window.train_tab.compare_page
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: warnings.append((title, text)))
    assert page.pack(str(a.resolve()), tmp_path / "r8.zip") and (tmp_path / "r8.zip").is_file()
    folder = page.unpack(tmp_path / "r8.zip", tmp_path / "shared" / "r8-from-alice")
    assert folder is not None and str(folder.resolve()) in page.runs
    assert str(folder.resolve()) in page.ticked_paths()
    assert page.unpack(tmp_path / "r8.zip", folder) is None
    assert warnings == [("Unpack run", f"'{folder}' already exists and is not empty; unpack --into a new folder "
                                       f"(nothing was unpacked)")]
    assert not page.pack(str(a.resolve()), tmp_path / "r8.zip")
    assert warnings[-1] == ("Pack run", f"'{tmp_path / 'r8.zip'}' already exists; choose another --out "
                                        f"(nothing was written)")
