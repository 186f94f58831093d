"""User folders: each platform's own (platformdirs), IGRAG_HOME and IGRAG_LOG_DIR override them."""

from __future__ import annotations

import sys

import pytest

from igrag_gui.core import logs, user_dirs


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("IGRAG_HOME", "IGRAG_LOG_DIR", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the XDG layout is Linux's")
def test_linux_uses_the_xdg_data_and_state_folders(clean_env, tmp_path):
    clean_env.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    clean_env.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert user_dirs.data_dir() == tmp_path / "share" / "igrag-gui"
    assert user_dirs.log_dir() == tmp_path / "state" / "igrag-gui" / "log"
    assert logs.log_file() == tmp_path / "state" / "igrag-gui" / "log" / "igrag.log"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the XDG layout is Linux's")
def test_linux_defaults_are_under_the_home_folder(clean_env, tmp_path):
    clean_env.setenv("HOME", str(tmp_path))
    assert user_dirs.data_dir() == tmp_path / ".local" / "share" / "igrag-gui"
    assert user_dirs.log_dir() == tmp_path / ".local" / "state" / "igrag-gui" / "log"


def test_igrag_home_holds_data_and_logs(clean_env, tmp_path):
    clean_env.setenv("IGRAG_HOME", str(tmp_path / "home"))
    assert user_dirs.data_dir() == tmp_path / "home"
    assert user_dirs.log_dir() == tmp_path / "home" / "logs"


def test_igrag_log_dir_overrides_igrag_home_for_logs(clean_env, tmp_path):
    clean_env.setenv("IGRAG_HOME", str(tmp_path / "home"))
    clean_env.setenv("IGRAG_LOG_DIR", str(tmp_path / "logs"))
    assert user_dirs.log_dir() == tmp_path / "logs"
    path = logs.log_exception(ValueError("boom"), "test")
    assert path == tmp_path / "logs" / "igrag.log"
    assert "ValueError: boom" in path.read_text(encoding="utf-8")
