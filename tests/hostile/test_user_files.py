"""Hostile cases for the user's files (issue 24): nothing igrag did not create is deleted, moved
or overwritten; ``--overwrite``/``--force`` replace only what igrag marked as its own, never a
source being read; a new run never reuses a run folder. Each case runs the command as a user
does (a subprocess), asserts the exact line and exit code, and hashes the user's tree before and
after: byte-identical."""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog, QLabel

from igrag_gui.resources import demo_config_path, demo_model_path
from tests.igrag_layout import save_igrag_prompt
# the UI fixtures (the window, a fresh QSettings, the guard against leftover threads and children)
from tests.ui.conftest import no_leftover_threads_or_processes, settings, window  # noqa: F401

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
MARKER = ".igrag-output.json"
D_MODEL = json.loads((demo_model_path() / "config.json").read_text())["d_model"]


def tree(folder: Path) -> dict[str, str]:
    """Every file and folder under ``folder``: its sha256 (a folder: 'dir')."""
    return {str(p.relative_to(folder)): "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*"))}


def igrag(*args: str, cwd: Path, trash: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1", "XDG_DATA_HOME": str(trash)}
    return subprocess.run([sys.executable, "-m", "igrag_gui", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def refused(result: subprocess.CompletedProcess) -> str:
    """The one line of a refusal (exit 2, no traceback)."""
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def train_args(out: Path, *extra: str) -> list[str]:
    return ["train", str(demo_config_path()), "--set", f"training.output_dir={out}", "--set",
            "training.eval_strategy=no", "--set", "training.save_strategy=no", "--max-steps", "2", *extra]


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    """A finished LoRA run of the demo (2 steps), trained once for this module."""
    root = tmp_path_factory.mktemp("finished")
    result = igrag(*train_args(root / "run"), cwd=root, trash=root / "share")
    assert result.returncode == 0, result.stderr
    return root / "run"


# ------------------------------------------------------------------------------ 1. convert
def test_convert_into_the_sources_own_folder_deletes_nothing(tmp_path):
    """Reproduced: ``igrag convert ck/prompt_embeddings.pt --out ck`` deleted notes.txt and the .pt."""
    ck = tmp_path / "ck"
    save_igrag_prompt(ck / "prompt_embeddings.pt", dim=D_MODEL)
    (ck / "notes.txt").write_text("my notes\n")
    before = tree(tmp_path)
    for force in ([], ["--force"]):
        line = refused(igrag("convert", "ck/prompt_embeddings.pt", "--out", "ck", *force, cwd=tmp_path,
                             trash=tmp_path / "share"))
        assert line == (f"igrag: error: --out ck: '{ck}' holds {ck / 'prompt_embeddings.pt'}, which it reads; "
                        f"write the output to another folder")
        assert tree(tmp_path) == before


def test_convert_force_never_replaces_a_folder_igrag_did_not_write(tmp_path):
    source = save_igrag_prompt(tmp_path / "prompt_embeddings.pt", dim=D_MODEL)
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "adapter_config.json").write_text("{}")  # an adapter of their own, and their notes
    (theirs / "notes.txt").write_text("keep me\n")
    before = tree(tmp_path)
    line = refused(igrag("convert", str(source), "--out", str(theirs), "--force", cwd=tmp_path,
                         trash=tmp_path / "share"))
    assert line == (f"igrag: error: --out {theirs}: '{theirs}' holds files igrag did not write "
                    f"(adapter_config.json, notes.txt); igrag never replaces those: choose a new or empty folder")
    assert tree(tmp_path) == before


def test_convert_into_a_folder_of_other_files_is_refused_without_force_too(tmp_path):
    """Before: a folder without adapter_config.json was replaced silently, with no --force."""
    source = save_igrag_prompt(tmp_path / "prompt_embeddings.pt", dim=D_MODEL)
    out = tmp_path / "out"
    out.mkdir()
    (out / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    before = tree(tmp_path)
    line = refused(igrag("convert", str(source), "--out", str(out), cwd=tmp_path, trash=tmp_path / "share"))
    assert line == (f"igrag: error: --out {out}: '{out}' holds files igrag did not write (photo.jpg); igrag "
                    f"never replaces those: choose a new or empty folder")
    assert tree(tmp_path) == before


def test_convert_force_replaces_its_own_output_and_the_old_one_goes_to_the_trash(tmp_path):
    source = save_igrag_prompt(tmp_path / "prompt_embeddings.pt", dim=D_MODEL)
    out, share = tmp_path / "adapter", tmp_path / "share"
    assert igrag("convert", str(source), "--out", str(out), cwd=tmp_path, trash=share).returncode == 0
    assert json.loads((out / MARKER).read_text())["kind"] == "convert"
    first = tree(out)
    save_igrag_prompt(source, dim=D_MODEL, seed=1)
    result = igrag("convert", str(source), "--out", str(out), "--force", cwd=tmp_path, trash=share)
    assert result.returncode == 0, result.stderr
    assert tree(share / "Trash" / "files" / "adapter") == first  # recoverable, byte for byte
    assert tree(out) != first and (out / "adapter_model.safetensors").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adapter", "prompt_embeddings.pt", "share"]


# ------------------------------------------------------------------------------ 2. train
def test_a_second_run_into_a_finished_run_is_refused(finished_run, tmp_path):
    """Reproduced: the second run overwrote adapter_model.safetensors and mixed two runs' checkpoints."""
    before = tree(finished_run)
    line = refused(igrag(*train_args(finished_run), cwd=tmp_path, trash=tmp_path / "share"))
    assert line == (f"igrag: error: training.output_dir: '{finished_run}' already holds an earlier run; a new "
                    f"run needs a fresh folder: choose another training.output_dir, or continue that run with "
                    f"--resume")
    assert tree(finished_run) == before


def test_a_run_into_a_folder_of_other_files_is_refused(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("my notes\n")
    before = tree(tmp_path)
    line = refused(igrag(*train_args(folder), cwd=tmp_path, trash=tmp_path / "share"))
    assert line == (f"igrag: error: training.output_dir: '{folder}' already holds files igrag did not write "
                    f"(notes.txt); a new run needs a fresh folder: choose another training.output_dir, or "
                    f"continue that run with --resume")
    assert tree(tmp_path) == before


def test_a_scratch_run_is_replaced_by_the_next_run_and_kept_in_the_trash(tmp_path):
    """The self-test's runs are scratch: the next run in that folder replaces them (to the trash)."""
    run, share = tmp_path / "run", tmp_path / "share"
    result = igrag(*train_args(run, "--scratch"), cwd=tmp_path, trash=share)
    assert result.returncode == 0, result.stderr
    assert json.loads((run / MARKER).read_text()) == {"written_by": "igrag", "kind": "run", "version": "0.1.0",
                                                      "scratch": True}
    first = tree(run)
    result = igrag(*train_args(run), cwd=tmp_path, trash=share)
    assert result.returncode == 0, result.stderr
    assert tree(share / "Trash" / "files" / "run") == first
    assert "scratch" not in json.loads((run / MARKER).read_text())  # this one is kept: a real run
    assert refused(igrag(*train_args(run), cwd=tmp_path, trash=share)).endswith("already holds an earlier run; "
                                                                                 "a new run needs a fresh folder: "
                                                                                 "choose another training.output_dir, "
                                                                                 "or continue that run with --resume")


def test_the_train_tab_start_shows_the_same_reason(window, qtbot, finished_run):
    tab = window.train_tab
    before = tree(finished_run)
    tab.form.editor("training.output_dir").setText(str(finished_run))
    reason = (f"Start is disabled: training.output_dir: '{finished_run}' already holds an earlier run; a new run "
              f"needs a fresh folder: choose another training.output_dir, or continue that run with --resume")
    qtbot.waitUntil(lambda: tab.reason_label.text() == reason, timeout=60_000)
    assert not tab.start_button.isEnabled() and not tab.start()
    assert tab.form.message_label("training.output_dir").text().startswith(f"'{finished_run}' already holds")
    assert tree(finished_run) == before


# ------------------------------------------------------------------------------ 3. merge
def test_merge_overwrite_never_replaces_the_adapter_it_reads(finished_run, tmp_path):
    """Reproduced: ``igrag merge --adapter RUN --out RUN --overwrite`` removed the run, then failed."""
    before = tree(finished_run.parent)
    line = refused(igrag("merge", "--base", "demo", "--adapter", str(finished_run), "--out", str(finished_run),
                         "--overwrite", cwd=tmp_path, trash=tmp_path / "share"))
    assert line == f"igrag: error: '{finished_run}' is the folder it reads; write the output to another folder"
    line = refused(igrag("merge", "--base", "demo", "--adapter", str(finished_run), "--out",
                         str(finished_run.parent), "--overwrite", cwd=tmp_path, trash=tmp_path / "share"))
    assert line == (f"igrag: error: '{finished_run.parent}' holds {finished_run}, which it reads; write the "
                    f"output to another folder")
    assert tree(finished_run.parent) == before


def test_merge_overwrite_never_replaces_files_igrag_did_not_write(finished_run, tmp_path):
    theirs = tmp_path / "model"
    theirs.mkdir()
    (theirs / "model.safetensors").write_bytes(b"theirs")
    before = tree(tmp_path)
    line = refused(igrag("merge", "--base", "demo", "--adapter", str(finished_run), "--out", str(theirs),
                         "--overwrite", cwd=tmp_path, trash=tmp_path / "share"))
    assert line == (f"igrag: error: '{theirs}' holds files igrag did not write (model.safetensors); igrag never "
                    f"replaces those: choose a new or empty folder")
    assert tree(tmp_path) == before


# ------------------------------------------------------------------------------ 8. suggested commands
HOSTILE = "it's a \"dir\" $(touch pwned) `touch pwned2`"


def test_the_suggested_convert_command_quotes_the_path(tmp_path):
    """Reproduced: the command the window suggests pasted the path unquoted into a shell line."""
    from igrag_gui.core.adapters import inspect_path

    source = save_igrag_prompt(tmp_path / HOSTILE / "prompt_embeddings.pt", dim=D_MODEL)
    warning = next(w for w in inspect_path(source).warnings if w.startswith("not a PEFT adapter folder yet"))
    line = warning.split("yet: `", 1)[1].rsplit("` writes one", 1)[0]
    assert shlex.split(line) == ["igrag", "convert", str(source), "--out", "DIR", "--base", "MODEL"]
    # pasted into a shell as it is (igrag spelled as this interpreter), it converts that very file
    pasted = line.replace("igrag convert", f"{shlex.quote(sys.executable)} -m igrag_gui convert", 1)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "XDG_DATA_HOME": str(tmp_path / "share")}
    result = subprocess.run(["bash", "-c", pasted], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "DIR" / "adapter_model.safetensors").is_file()
    assert not list(tmp_path.rglob("pwned*")), "the shell ran part of the path"


def test_the_pickle_conversion_command_quotes_the_path(tmp_path):
    """The one-liner for a pickled adapter: the path is a Python literal in one shell argument."""
    import torch

    from igrag_gui.core.adapters.weights_file import convert_command

    path = tmp_path / HOSTILE / "adapter_model.bin"
    path.parent.mkdir()
    torch.save({"w": torch.ones(2)}, path)
    result = subprocess.run(["bash", "-c", convert_command(path).replace("python", shlex.quote(sys.executable), 1)],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert (path.parent / "adapter_model.safetensors").is_file()
    assert not list(tmp_path.rglob("pwned*")), "the shell ran part of the path"


def test_the_convert_dialog_shows_the_quoted_command(window, qtbot, tmp_path):
    inspect = window.inspect_tab
    source = save_igrag_prompt(tmp_path / HOSTILE / "prompt_embeddings.pt", dim=D_MODEL)
    window.open_path(source)
    qtbot.waitUntil(lambda: inspect.current is not None, timeout=60_000)
    shown: list[str] = []

    def read_and_cancel() -> None:
        dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible())
        shown.append(dialog.findChild(QLabel, "convertCommand").text())
        dialog.reject()

    QTimer.singleShot(200, read_and_cancel)
    assert inspect.convert_action.ask_target() is None
    # the demo's width is not flan-t5-base's, so no base model is proposed
    assert shlex.split(shown[0]) == ["igrag", "convert", str(source), "--out", str(source.parent / "peft_adapter")]
