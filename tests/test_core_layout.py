"""The core's shape (shared/DESIGN.md, "the layout"): domain packages, a few cross-cutting modules
at the root, every import pointing down the layers, and no import cycle anywhere in the core."""

from __future__ import annotations

import tomllib
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "igrag_gui" / "core"
PACKAGES = {"adapters", "config", "data", "experiments", "files", "methods", "metrics", "models", "playground",
            "training"}
ROOT_MODULES = {"errors", "logs", "ranks", "task_state", "torch_thread", "user_dirs"}


def _graph() -> grimp.ImportGraph:
    # function-level imports count (a cycle is not dodged by moving an import into a function);
    # TYPE_CHECKING imports name a type and run nothing
    return grimp.build_graph("igrag_gui", exclude_type_checking_imports=True, cache_dir=None)


def _core_edges(graph: grimp.ImportGraph) -> dict[str, set[str]]:
    core = [m for m in graph.modules if m.startswith("igrag_gui.core.")]
    return {m: {x for x in graph.find_modules_directly_imported_by(m) if x.startswith("igrag_gui.core.")}
            for m in core}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_the_cycle_finder_finds_a_cycle_and_nothing_else():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set(), "c": {"a", "b"}}) == []


def test_the_core_has_no_import_cycle():
    assert cycles(_core_edges(_graph())) == []


def _layers() -> list[set[str]]:
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    inside = next(c for c in contracts if c.get("containers") == ["igrag_gui.core"])
    return [{name.strip() for name in layer.replace(":", "|").split("|")} for layer in inside["layers"]]


def test_every_import_inside_the_core_points_down_the_layers():
    layers = _layers()
    level = {name: i for i, layer in enumerate(layers) for name in layer}
    assert set(level) == PACKAGES | ROOT_MODULES  # every package and root module has its layer
    upward = []
    for importer, imported in ((a, b) for a, bs in _core_edges(_graph()).items() for b in bs):
        top_a, top_b = importer.split(".")[2], imported.split(".")[2]
        if top_a == top_b:
            continue
        same_layer_ok = level[top_a] == level[top_b] == len(layers) - 1  # the cross-cutting ones
        if level[top_b] < level[top_a] or (level[top_b] == level[top_a] and not same_layer_ok):
            upward.append(f"{importer} -> {imported}")
    assert upward == []


def test_the_core_root_holds_a_few_cross_cutting_modules_and_the_domain_packages():
    loose = {p.stem for p in CORE.glob("*.py") if p.name != "__init__.py"}
    assert loose == ROOT_MODULES and len(loose) <= 6
    for name in loose:  # each says why it is cross-cutting
        assert (CORE / f"{name}.py").read_text().startswith('"""')
    packages = {p.parent.name for p in CORE.glob("*/__init__.py")}
    assert packages == PACKAGES
    for gone in ("models.py", "training.py", "layouts", "params.py", "events.py", "safetensors_header.py",
                 "prompts.py", "generation.py", "data_preview.py", "adapter_files.py"):
        assert not (CORE / gone).exists(), gone


def test_the_core_never_reads_the_apps_resources():
    graph = _graph()
    readers = [m for m in graph.modules if m.startswith("igrag_gui.core")
               and "igrag_gui.resources" in graph.find_modules_directly_imported_by(m)]
    assert readers == []


def test_the_window_keeps_its_form_in_the_train_tab_and_its_small_widgets_together():
    ui = ROOT / "igrag_gui" / "ui"
    assert {p.stem for p in (ui / "train" / "form").glob("*.py")} >= {
        "config_form", "editors", "log_scale_field", "method_panel", "model_picker", "target_picker"}
    assert {p.stem for p in (ui / "widgets").glob("*.py")} >= {"lazy_page", "themed_plot"}
    for gone in ("config_form.py", "form_editors.py", "log_scale_field.py", "method_panel.py", "model_picker.py",
                 "target_picker.py", "lazy_page.py", "themed_plot.py", "training_runner.py", "train/commands.py",
                 "sweep/sweep_runner.py"):
        assert not (ui / gone).exists(), gone


def test_one_vocabulary_for_background_work():
    """One TaskState, one child runner, one ML thread: the words of the ways they replaced are gone."""
    retired = ("PreparationStopped", "ml_lock", "_TabHost", "QThreadPool", "TrainChild", "TrainingRunner",
               "SweepRunner", "stop: threading.Event")
    sources = {p: p.read_text() for p in (ROOT / "igrag_gui").rglob("*.py")}
    assert [(p.relative_to(ROOT).as_posix(), word) for p, text in sources.items() for word in retired
            if word in text] == []


def test_no_module_is_over_500_lines():
    tracked = [p for folder in ("igrag_gui", "tests", "tools", "benchmarks", "scripts", "packaging")
               for p in (ROOT / folder).rglob("*.py")]
    long = {p.relative_to(ROOT).as_posix(): n for p in tracked if (n := len(p.read_text().splitlines())) > 500}
    assert long == {}
