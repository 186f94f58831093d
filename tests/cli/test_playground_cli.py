"""``igrag generate``, ``igrag eval`` and ``igrag merge`` as a user runs them (subprocesses)."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from igrag_gui.core.playground import EMPTY_PROMPT
from igrag_gui.resources import demo_model_path
from tests.cli.test_cli import assert_user_error
from tests.core.test_playground import demo_run_dir, reported_eval_scores

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
DEMO = str(demo_model_path().resolve())


def igrag(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "igrag_gui", *args], cwd=ROOT, env=env, input=stdin,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return demo_run_dir(tmp_path_factory)


@pytest.fixture(scope="module")
def prompt(run):
    return json.loads(run[1].read_text().splitlines()[1])["prompt"]


def test_generate_side_by_side_streams_labelled_outputs(run, prompt):
    result = igrag("generate", "--base", "demo", "--adapter", str(run[0]), "--side-by-side", prompt)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split(" ", 1)[0] for line in lines] == ["[base]", "[playground-run]"]
    assert lines[0] != lines[1].replace("[playground-run]", "[base]")
    stats = [line for line in result.stderr.splitlines() if "first token" in line]
    assert [s.split(":")[1].strip() for s in stats] == ["base", "playground-run"]
    assert all("tokens/s" in s for s in stats) and "Traceback" not in result.stderr
    # one adapter, the prompt from stdin, greedy: the adapter's line of the side-by-side run
    single = igrag("generate", "--base", "demo", "--adapter", str(run[0]), "-", stdin=prompt + "\n")
    assert single.returncode == 0, single.stderr
    assert single.stdout == lines[1].split(" ", 1)[1] + "\n"


def test_generate_refusals_are_one_line(run, tmp_path):
    missing = tmp_path / "nowhere"
    lines = assert_user_error(igrag("generate", "--base", str(missing), "a prompt"))
    assert lines == [f"igrag: error: base model '{missing}' not found: there is no folder '{missing}'; give "
                     f"a model folder (with config.json), a Hugging Face id from the local cache, or 'demo' for "
                     f"the demo model"]
    assert assert_user_error(igrag("generate", "--base", "demo", "-", stdin=" \n")) == [
        f"igrag: error: {EMPTY_PROMPT}"]
    assert assert_user_error(igrag("generate", "--base", "demo", "--top-p", "2", "x")) == [
        "igrag: error: top_p must be above 0 and at most 1 (1 keeps every token), got 2.0"]
    bad = tmp_path / "classifier"
    bad.mkdir()
    for name in ("adapter_config.json", "adapter_model.safetensors"):
        (bad / name).write_bytes((run[0] / name).read_bytes())
    config = json.loads((bad / "adapter_config.json").read_text())
    (bad / "adapter_config.json").write_text(json.dumps({**config, "task_type": "SEQ_CLS"}))
    assert assert_user_error(igrag("generate", "--base", "demo", "--adapter", str(bad), "x")) == [
        f"igrag: error: adapter '{bad}' is a sequence classification adapter (task_type SEQ_CLS); it cannot "
        f"generate text with '{DEMO}', a sequence-to-sequence (encoder-decoder) model: open an adapter trained "
        f"with task_type SEQ_2_SEQ_LM"]


def test_eval_prints_every_metric_side_by_side_and_what_training_reported(run, tmp_path):
    from igrag_gui.core.metrics import format_score

    run_dir, val = run
    out, results, per_image = tmp_path / "rows.csv", tmp_path / "results", tmp_path / "per-image.json"
    result = igrag("eval", "configs/demo.yaml", "--set", f"training.output_dir={run_dir}",
                   "--set", f"data.val_path={val}", "--set", "training.eval_batch_size=8", "--csv", str(out),
                   "--metrics", "bleu4,cider,rouge_l", "--results", str(results), "--per-image", str(per_image))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"COCO caption metrics on {val} (24 images; greedy, max_new_tokens 48")
    assert lines[0].endswith("; 0-1 scale):")
    assert lines[1].split() == ["base", "playground-run"]
    table = {line.split()[0]: line.split()[1:] for line in lines[2:5]}
    assert list(table) == ["BLEU-4", "ROUGE-L", "CIDEr"]
    reported = reported_eval_scores(run_dir)
    assert table["BLEU-4"][1] == format_score(reported["bleu4"]) and table["CIDEr"][1] == format_score(reported["cider"])
    assert lines[5].strip() == (f"(training reported BLEU-4 {format_score(reported['bleu4'])}, CIDEr "
                                f"{format_score(reported['cider'])} at step 40, its last evaluation, on the final "
                                f"weights, on its validation split)")
    assert "igrag: eval 24/24 images" in result.stderr
    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["line", "image_id", "prompt", "references", "base", "playground-run", "truncated"]
    assert len(rows) == 25
    worst = json.loads(per_image.read_text())
    ciders = [w["playground-run"]["CIDEr"] for w in worst]
    assert ciders == sorted(ciders) and len(worst) == 24
    # the exported COCO results, scored by igrag score against the split, give the same figures
    again = igrag("score", str(results / "playground-run.json"), "--references", str(val), "--json",
                  "--metrics", "bleu4,cider")
    assert again.returncode == 0, again.stderr
    data = json.loads(again.stdout)
    assert (data["BLEU-4"], data["CIDEr"], data["images"]) == (reported["bleu4"], reported["cider"], 24)


def test_eval_with_ct2_gives_transformers_captions_in_the_same_files(run, tmp_path):
    pytest.importorskip("ctranslate2")
    run_dir, val = run
    common = ["eval", "configs/demo.yaml", "--set", f"training.output_dir={run_dir}", "--set",
              f"data.val_path={val}", "--set", "training.eval_batch_size=8", "--metrics", "bleu4,cider"]
    outputs = {}
    for engine in ("transformers", "ct2"):
        result = igrag(*common, "--engine", engine, "--results", str(tmp_path / engine))
        assert result.returncode == 0, result.stderr
        outputs[engine] = result
    import ctranslate2

    engines = [line for line in outputs["ct2"].stderr.splitlines()
               if line.startswith("igrag: engine for ") and "merging" not in line]
    assert [line.split(" (")[0] for line in engines] == ["igrag: engine for base: ct2",
                                                          "igrag: engine for playground-run: ct2"]
    # converted now, or by an earlier eval of the same model (the conversion cache is keyed by content)
    how = re.compile(rf" \(CTranslate2 {re.escape(ctranslate2.__version__)}, float32, "
                     rf"(converted in \d+\.\d s|from the cache)")
    assert all(how.search(line) for line in engines), engines
    assert "igrag: engine for playground-run: transformers (as asked)" in outputs["transformers"].stderr
    files = {engine: sorted(p.name for p in (tmp_path / engine).iterdir()) for engine in outputs}
    assert files["ct2"] == files["transformers"] == ["base.json", "playground-run.json"]
    for name in files["ct2"]:
        ours = json.loads((tmp_path / "ct2" / name).read_text())
        theirs = json.loads((tmp_path / "transformers" / name).read_text())
        assert [r["image_id"] for r in ours] == [r["image_id"] for r in theirs] and len(ours) == 24
        same = sum(a == b for a, b in zip(ours, theirs))
        assert same >= 0.99 * len(theirs), (name, same)
    # the same table on stdout (same captions: same figures)
    assert outputs["ct2"].stdout.splitlines()[:4] == outputs["transformers"].stdout.splitlines()[:4]
    refused = assert_user_error(igrag(*common, "--engine", "transformers", "--quantization", "int8"))
    assert refused == ["igrag: error: quantization int8 applies to the CTranslate2 engine; use --engine ct2 or "
                       "auto, or leave --quantization out"]


def test_merge_saves_and_verifies(run, tmp_path):
    out = tmp_path / "merged"
    result = igrag("merge", "--base", "demo", "--adapter", str(run[0]), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert f"merged adapter 'playground-run' into {DEMO}" in result.stdout
    assert "greedy outputs identical to base+adapter; max |logit difference|" in result.stdout
    assert (out / "model.safetensors").is_file() and (out / "tokenizer.json").is_file()
    again = igrag("merge", "--base", "demo", "--adapter", str(run[0]), "--out", str(out))
    assert assert_user_error(again) == [f"igrag: error: '{out}' already exists and is not empty; choose a new "
                                        f"folder, or add --overwrite to replace it"]


def test_eval_warns_when_output_dir_holds_an_earlier_runs_adapter(tmp_path, capsys):
    """A stopped run saves no final adapter: output_dir's adapter is then older than run.yaml."""
    import os

    from igrag_gui.cli.eval_cmd import _default_adapter

    out = tmp_path / "out"
    out.mkdir()
    for name in ("adapter_config.json", "adapter_model.safetensors", "run.yaml"):
        (out / name).write_text("{}")
    assert _default_adapter(out) == out and capsys.readouterr().err == ""
    os.utime(out / "adapter_model.safetensors", (1_000_000, 1_000_000))
    assert _default_adapter(out) == out
    assert capsys.readouterr().err == (
        f"igrag: warning: the adapter in {out} is older than its run.yaml: the last run there was stopped or "
        f"failed before saving a final adapter, so this one is from an earlier run; pass --adapter (a "
        f"checkpoint-N or best/ folder) to score another\n")
    assert _default_adapter(tmp_path) is None
