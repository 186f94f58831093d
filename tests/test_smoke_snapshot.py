"""The bundle smoke test's "nothing written in the install folder" check sees every kind of write."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("smoke_test", ROOT / "packaging" / "smoke_test.py")
smoke = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(smoke)


def test_an_untouched_tree_has_no_changes(tmp_path):
    (tmp_path / "_internal").mkdir()
    (tmp_path / "_internal" / "a.py").write_text("x = 1\n")
    assert smoke.changes(smoke.snapshot(tmp_path), smoke.snapshot(tmp_path)) == []


def test_added_removed_rewritten_and_chmodded_files_are_all_named(tmp_path):
    internal = tmp_path / "_internal"
    internal.mkdir()
    for name in ("keep", "gone", "edit", "mode"):
        (internal / name).write_text("same")
    before = smoke.snapshot(tmp_path)
    (internal / "__pycache__").mkdir()
    (internal / "gone").unlink()
    (internal / "edit").write_text("other")
    os.chmod(internal / "mode", 0o600)
    found = smoke.changes(before, smoke.snapshot(tmp_path))
    assert "added _internal/__pycache__" in found
    assert "removed _internal/gone" in found
    assert "changed _internal/edit" in found
    assert "changed _internal/mode" in found
    assert not any("keep" in line for line in found)
