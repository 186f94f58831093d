"""What the PyInstaller bundle must carry besides code, derived from the installed distributions.

A hand-kept list of ``collect_data_files(...)`` calls missed ``kernels`` (transformers 5.25 imports
it, and it reads ``kernels/_internals/python_depends.json`` at import): every path that imported
the model code failed inside the bundle. So the rule is mechanical instead:

- the distributions are igrag-gui's installed requirement closure (``importlib.metadata``: each
  requirement whose environment marker holds, recursively, extras not followed), plus those whose
  modules PyInstaller's analysis found imported anyway (optional imports: transformers imports
  Pillow and protobuf when they are installed, whoever installed them; the spec passes them as
  ``also``), less the ones the bundle excludes on purpose (``EXCLUDED``);
- each of them brings its metadata (``.dist-info``: transformers and datasets check their
  dependencies' versions at import) and every non-Python file inside its packages, except the
  kinds of file no import reads (``SKIPPED_SUFFIXES``: C/C++ headers and sources, static
  libraries, type stubs, build files) and the few large files skipped for a reason
  (``SKIPPED_FILES``).

``tests/test_bundle_files.py`` imports what the app imports, maps the modules to their
distributions, and fails if one of them ships a data file this would not collect.
Plain Python (no PyInstaller import), so the suite can check it without building.
"""

from __future__ import annotations

import fnmatch
import importlib.metadata as md
import re
from pathlib import Path, PurePosixPath
from typing import Iterable

ROOT_DISTRIBUTION = "igrag-gui"

# Distributions in the closure the bundle leaves out (the spec's ``excludes`` drops their modules).
EXCLUDED = {
    "pycocotools": "only the tests' reference pipeline uses it",
    # the trackers extra is for pip installs (igrag.spec's excludes; report_to says so in the bundle)
    "mlflow": "the trackers extra: a web server, SQLAlchemy and pandas' tree",
    "mlflow-skinny": "the trackers extra (MLflow)",
    "mlflow-tracing": "the trackers extra (MLflow)",
    "tensorboard": "the trackers extra",
    "tbparse": "a test tool, reading TensorBoard files",
}

# Shared libraries are binaries (PyInstaller's own analysis collects them); these are read by
# compilers and type checkers, never by an import.
SKIPPED_SUFFIXES = (".py", ".pyc", ".pyo", ".so", ".pyd", ".dylib", ".dll", ".h", ".hpp", ".hxx", ".cuh",
                    ".c", ".cc", ".cpp", ".cxx", ".cu", ".pyx", ".pxd", ".pxi", ".pyi", ".a", ".lib",
                    ".cmake", ".typed")

# (distribution, glob on the path inside site-packages, why)
SKIPPED_FILES = [
    ("pycocoevalcap", "pycocoevalcap/meteor/*", "METEOR's jar and 62 MB paraphrase table need Java; "
                                                "METEOR says so in the app (core/metrics/coco.py)"),
    ("pycocoevalcap", "pycocoevalcap/spice/*", "SPICE's jars need Java; SPICE says so in the app"),
    ("pycocoevalcap", "pycocoevalcap/tokenizer/*.jar", "the CoreNLP tokenizer jar needs Java; the app "
                                                       "tokenizes with its own PTB tokenizer"),
    ("pyside6-essentials", "PySide6/*", "PyInstaller's Qt hooks collect the plugins, translations and "
                                        "qt.conf the loaded Qt modules need; the rest is 28 MB of QML, "
                                        "metatypes and translations for modules the spec excludes"),
    ("torch", "torch/bin/*", "torch's test and benchmark executables"),
    ("torch", "torch/share/cmake/*", "CMake files for building C++ extensions"),
]


def _name(dist: md.Distribution) -> str:
    return re.sub(r"[-_.]+", "-", dist.metadata["Name"]).lower()


def _requirements(dist: md.Distribution) -> list[str]:
    """Names of ``dist``'s requirements that apply here (markers evaluated, extras not taken)."""
    from packaging.requirements import Requirement

    names = []
    for text in dist.requires or []:
        requirement = Requirement(text)
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        names.append(re.sub(r"[-_.]+", "-", requirement.name).lower())
    return names


def distributions_of_modules(modules: Iterable[str]) -> set[str]:
    """The installed distributions (normalised names) that own these modules' top-level packages."""
    owners = md.packages_distributions()
    tops = {module.split(".", 1)[0] for module in modules}
    return {re.sub(r"[-_.]+", "-", dist).lower() for top in tops for dist in owners.get(top, [])}


def bundled_distributions(root: str = ROOT_DISTRIBUTION, also: Iterable[str] = ()) -> dict[str, md.Distribution]:
    """The installed requirement closure of ``root`` and of each name in ``also`` (root included),
    by normalised name."""
    found: dict[str, md.Distribution] = {}
    queue = [root, *also]
    while queue:
        name = queue.pop()
        if name in found or name in EXCLUDED:
            continue
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:  # a requirement not installed here (a platform's own)
            continue
        found[name] = dist
        queue.extend(_requirements(dist))
    return found


def _skipped(name: str, path: str) -> bool:
    if path.endswith(SKIPPED_SUFFIXES) or ".so." in path or "/__pycache__/" in f"/{path}":
        return True
    return any(name == dist and fnmatch.fnmatch(path, pattern) for dist, pattern, _ in SKIPPED_FILES)


def _is_binary(path: Path) -> bool:
    """A shared library or executable (ELF, Mach-O, PE): PyInstaller's analysis collects the
    binaries an import links (and the Qt hooks the plugins they need), never as data."""
    with open(path, "rb") as fh:
        magic = fh.read(4)
    return magic in (b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe") or magic[:2] == b"MZ"


def data_files(dist: md.Distribution) -> list[tuple[str, str]]:
    """``(source file, destination folder)`` for each data file inside ``dist``'s packages."""
    name = _name(dist)
    pairs = []
    for file in dist.files or []:
        path = PurePosixPath(str(file)).as_posix()
        top = path.split("/", 1)[0]
        if path.startswith("..") or "/" not in path or top.endswith((".dist-info", ".egg-info", ".data")):
            continue  # scripts, top-level modules, metadata (copied whole below)
        if _skipped(name, path):
            continue
        source = Path(dist.locate_file(file))
        if source.is_file() and not _is_binary(source):
            pairs.append((str(source), str(PurePosixPath(path).parent)))
    return pairs


def metadata_folders(dist: md.Distribution) -> list[tuple[str, str]]:
    """The distribution's ``.dist-info`` folder, for ``importlib.metadata`` inside the bundle."""
    folder = getattr(dist, "_path", None)  # PathDistribution's location; stdlib has no public name
    if folder is None or not Path(folder).is_dir():
        return []
    return [(str(folder), Path(folder).name)]


def bundle_datas(root: str = ROOT_DISTRIBUTION, also: Iterable[str] = (),
                 skip: Iterable[str] = ()) -> list[tuple[str, str]]:
    """Everything the spec adds to ``datas``: each bundled distribution's data files and metadata
    (``skip``: distributions already added)."""
    datas: list[tuple[str, str]] = []
    skipped = set(skip)
    for name, dist in sorted(bundled_distributions(root, also).items()):
        if name in skipped:
            continue
        if name == ROOT_DISTRIBUTION:  # our own data files come from the source tree (the spec)
            datas += metadata_folders(dist)
            continue
        datas += data_files(dist) + metadata_folders(dist)
    return datas
