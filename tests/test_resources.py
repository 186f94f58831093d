"""One resource helper finds the shipped files from a checkout, an installed wheel and a bundle."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from igrag_gui import resources
from igrag_gui.core.config import load_config

ROOT = Path(__file__).resolve().parents[1]


def test_checkout_finds_configs_and_demo_assets():
    assert resources.data_root() == ROOT
    assert resources.demo_model_path() == ROOT / "resources" / "demo" / "model"
    assert (resources.demo_model_path() / "config.json").is_file()
    assert resources.demo_config_path().is_file()


def test_demo_config_is_valid_as_shipped():
    cfg, warnings = load_config(resources.demo_config_path())
    assert warnings == [] and cfg.validate() == []


def test_pyinstaller_bundle_root_comes_first(tmp_path, monkeypatch):
    (tmp_path / "resources").mkdir()
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    resources.data_root.cache_clear()
    try:
        assert resources.resource_path("icon.svg") == tmp_path / "resources" / "icon.svg"
    finally:
        resources.data_root.cache_clear()


@pytest.mark.slow
def test_installed_wheel_carries_resources_and_configs(tmp_path):
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                            "-q", "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr
    wheel = next(tmp_path.glob("igrag_gui-*.whl"))
    assert wheel.stat().st_size < 15_000_000
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = ("from igrag_gui import resources; from igrag_gui.core.config import load_config\n"
            "cfg, w = load_config(resources.demo_config_path())\n"
            "bad = [str(p) for p in cfg.validate() if p.field != 'training.output_dir']\n"
            "print(resources.data_root()); assert not bad, bad\n"
            "assert (resources.demo_model_path() / 'model.safetensors').is_file()")
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env={"PYTHONPATH": str(site), "PATH": ""},
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == str(site / "igrag_gui" / "_data")


def test_an_installed_app_opens_a_writable_copy_of_the_demo_config(tmp_path, monkeypatch):
    from igrag_gui import resources
    from igrag_gui.core.config import load_config

    monkeypatch.setattr(resources, "is_source_checkout", lambda: False)
    monkeypatch.setenv("IGRAG_HOME", str(tmp_path / "home"))
    path = resources.startup_config_path()
    assert path == tmp_path / "home" / "demo.yaml"
    cfg, _ = load_config(path)
    assert cfg.output_path == tmp_path / "home" / "runs" / "demo"
    assert cfg.resolve_path(cfg.model.base_model_path) == resources.demo_model_path()
    assert cfg.resolve_path(cfg.data.train_path).is_file()
    cfg.lora.r = 4  # the user's edits survive the next start
    cfg.save(path)
    assert load_config(resources.startup_config_path())[0].lora.r == 4
    cfg.model.base_model_path = str(tmp_path / "moved-away")  # the installation moved: fresh copy
    cfg.save(path)
    assert load_config(resources.startup_config_path())[0].lora.r == 16


def test_a_checkout_opens_the_repository_demo_config():
    from igrag_gui import resources

    assert resources.install_kind() == "checkout" and resources.is_source_checkout()
    assert resources.startup_config_path() == resources.demo_config_path()


@pytest.fixture
def fresh_root():
    resources.data_root.cache_clear()
    yield
    resources.data_root.cache_clear()


def test_a_bundle_laid_out_like_a_checkout_is_not_one(tmp_path, monkeypatch, fresh_root):
    """PyInstaller puts the package and resources/ side by side in _MEIPASS, as a checkout has them."""
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(ROOT), raising=False)
    assert resources.data_root() == ROOT
    assert resources.install_kind() == "bundle" and not resources.is_source_checkout()


def _installed_package(site: Path) -> Path:
    package = site / "igrag_gui"
    (package / "_data" / "resources").mkdir(parents=True)
    return package


def test_a_wheel_install_is_not_a_checkout(tmp_path, monkeypatch, fresh_root):
    monkeypatch.setattr(resources, "_PACKAGE", _installed_package(tmp_path / "site"))
    assert resources.data_root() == tmp_path / "site" / "igrag_gui" / "_data"
    assert resources.install_kind() == "installed"


def test_resources_beside_a_package_without_a_project_file_are_an_install(tmp_path, monkeypatch, fresh_root):
    (tmp_path / "site" / "resources").mkdir(parents=True)
    monkeypatch.setattr(resources, "_PACKAGE", tmp_path / "site" / "igrag_gui")
    assert resources.data_root() == tmp_path / "site"
    assert resources.install_kind() == "installed"
    (tmp_path / "site" / "pyproject.toml").write_text("[project]\n")
    assert resources.install_kind() == "checkout"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the XDG layout is Linux's")
def test_a_bundle_puts_the_users_demo_copy_in_the_platform_data_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.delenv("IGRAG_HOME", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    path = resources.startup_config_path()
    assert path == tmp_path / "share" / "igrag-gui" / "demo.yaml"
    cfg, _ = load_config(path)
    assert cfg.output_path == tmp_path / "share" / "igrag-gui" / "runs" / "demo"
    assert cfg.validate() == []


def test_an_unwritable_data_folder_opens_the_shipped_config(tmp_path, monkeypatch):
    """Start then says why (output folder not writable) instead of the app failing to open."""
    monkeypatch.setattr(resources, "is_source_checkout", lambda: False)
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv("IGRAG_HOME", str(tmp_path / "a-file" / "home"))
    assert resources.startup_config_path() == resources.demo_config_path()
