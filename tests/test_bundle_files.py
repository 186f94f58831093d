"""The bundle's data files come by rule (packaging/bundle_files.py), and the rule covers what the app
really imports: a distribution whose data file the spec would leave behind fails here, not in a
user's bundle (as kernels' python_depends.json did under transformers 5.25)."""

from __future__ import annotations

import importlib.metadata as md
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# What the window, the training child and the CLI import between them (each path a user takes).
APP_MODULES = [
    "igrag_gui.app", "igrag_gui.ui.main_window", "igrag_gui.cli.main", "igrag_gui.core.training.train",
    "igrag_gui.core.playground.session", "igrag_gui.core.experiments.sweep", "igrag_gui.core.metrics.coco",
    "igrag_gui.core.data.prepare", "igrag_gui.core.data.importing", "igrag_gui.core.adapters.report",
    "transformers.models.t5.modeling_t5", "transformers.trainer", "peft", "datasets", "optuna",
]


def _bundle_files():
    spec = importlib.util.spec_from_file_location("bundle_files", ROOT / "packaging" / "bundle_files.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _imported_modules() -> list[str]:
    """The top-level modules a fresh interpreter holds after importing APP_MODULES."""
    code = ("import importlib, json, sys\n"
            f"for name in {APP_MODULES!r}: importlib.import_module(name)\n"
            "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=600,
                            env={"QT_QPA_PLATFORM": "offscreen", "HF_HUB_OFFLINE": "1",
                                 "PATH": "/usr/bin:/bin", "HOME": str(ROOT / ".pytest-home-unused")})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_every_imported_distribution_is_bundled_with_all_its_data_files():
    """What the spec does: the requirement closure, plus the distributions of whatever else the
    analysis finds imported (here: what a real interpreter imported), each with all its files."""
    rules = _bundle_files()
    imported = rules.distributions_of_modules(_imported_modules()) - {"igrag-gui"}
    bundled = rules.bundled_distributions(also=imported)
    collected = {source for source, _ in rules.bundle_datas(also=imported)}
    assert "transformers" in imported and "torch" in imported  # the import really happened
    missing_dists = sorted(imported - set(bundled) - set(rules.EXCLUDED))
    assert missing_dists == [], f"imported by the app but not bundled: {missing_dists}"
    missing_files = []
    for name in sorted(imported - set(rules.EXCLUDED)):
        for source, _ in rules.data_files(bundled[name]):
            if source not in collected:
                missing_files.append(source)
        # Independently of data_files(): every non-code file in the distribution's packages.
        for file in bundled[name].files or []:
            path = str(file)
            if path.startswith("..") or "/" not in path or path.split("/")[0].endswith((".dist-info", ".data")):
                continue
            source = str(bundled[name].locate_file(file))
            if Path(source).is_file() and not rules._skipped(name, path) and not rules._is_binary(Path(source)) \
                    and source not in collected:
                missing_files.append(source)
    assert missing_files == []


def test_an_optional_import_outside_the_closure_brings_its_files():
    """Pillow is no requirement of ours, yet transformers imports it when it is installed: the
    bundle must carry its metadata (and data files) or that import path breaks frozen."""
    try:
        pillow = md.distribution("pillow")
    except md.PackageNotFoundError:
        pytest.skip("Pillow is not installed here")
    rules = _bundle_files()
    assert "pillow" not in rules.bundled_distributions()  # outside igrag-gui's requirements
    assert rules.distributions_of_modules(["PIL.Image"]) == {"pillow"}
    extra = rules.bundle_datas(also={"pillow"}, skip=rules.bundled_distributions())
    assert (str(pillow._path), Path(pillow._path).name) in extra
    assert {source for source, _ in rules.data_files(pillow)} <= {source for source, _ in extra}
    assert all(not source.startswith(str(md.distribution("transformers")._path)) for source, _ in extra)


def test_an_excluded_distribution_is_not_brought_back_by_an_import():
    rules = _bundle_files()
    assert "mlflow" not in rules.bundled_distributions(also={"mlflow", "tensorboard"})
    assert "tensorboard" not in rules.bundled_distributions(also={"mlflow", "tensorboard"})


def test_each_bundled_distribution_brings_its_metadata():
    rules = _bundle_files()
    folders = {Path(source).name for source, _ in rules.bundle_datas() if source.endswith(".dist-info")}
    for name, dist in rules.bundled_distributions().items():
        assert any(_normal(folder.split("-")[0]) == name for folder in folders), name


def test_kernels_data_file_read_at_import_is_collected():
    """The regression that broke the bundle: transformers 5.25 imports kernels, which reads this."""
    try:
        dist = md.distribution("kernels")
    except md.PackageNotFoundError:
        pytest.skip("kernels is not installed (transformers older than 5.25)")
    rules = _bundle_files()
    wanted = [str(dist.locate_file(f)) for f in dist.files if str(f).endswith("python_depends.json")]
    pairs = dict(rules.bundle_datas())
    assert wanted and all(w in pairs for w in wanted)
    assert pairs[wanted[0]] == "kernels/_internals"


def test_skipped_files_each_say_why():
    rules = _bundle_files()
    assert all(reason.strip() for _, _, reason in rules.SKIPPED_FILES)
    assert all(reason.strip() for reason in rules.EXCLUDED.values())
