"""Run packs: a real trained run packed (adapter, config, metrics, a Hub model card, nothing of this
machine's paths or secrets), unpacked into a run the app lists and PEFT loads; hostile zips
(zip slip, links, not a pack) and existing files refused with one line and nothing written."""

from __future__ import annotations

import json
import stat
import zipfile
from pathlib import Path

import pytest

from igrag_gui.core.config import load_config
from igrag_gui.core.errors import UserError
from igrag_gui.core.training.events import Collect, Finished
from igrag_gui.core.experiments.packs import pack, pack_members, unpack
from igrag_gui.core.experiments.runs import find_runs, load_run, set_label
from igrag_gui.resources import demo_model_path

ROOT = Path(__file__).resolve().parents[3]
TINY = ROOT / "tests" / "fixtures" / "sweep" / "tiny.yaml"
TOKEN = "hf_" + "AbCdEfGhIjKlMnOpQrStUvWx0123"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A finished tiny demo run inside a home folder of its own (HOME points there)."""
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(home))
        from igrag_gui.core.training.train import train

        cfg, _ = load_config(TINY, [f"training.output_dir={home / 'runs' / 'tiny'}"])
        closing = train(cfg, Collect())
        assert isinstance(closing, Finished)
        run = home / "runs" / "tiny"
        set_label(run, f"tiny r4 (token {TOKEN})")
        yield home, run


@pytest.fixture
def packed(trained, tmp_path, monkeypatch):
    home, run = trained
    monkeypatch.setenv("HOME", str(home))
    return home, run, pack(run, tmp_path / "tiny.zip")


def front_matter(card: str) -> dict:
    from huggingface_hub import ModelCard

    return ModelCard(card).data.to_dict()


def test_a_pack_holds_the_adapter_a_model_card_config_and_metrics_and_nothing_private(packed):
    home, run, zip_path = packed
    members = pack_members(zip_path)
    assert set(members) == {"README.md", "adapter_config.json", "adapter_model.safetensors", "run.yaml",
                            "metrics.jsonl", "label.txt"}
    assert members["adapter_model.safetensors"] == (run / "adapter_model.safetensors").read_bytes()
    for name, data in members.items():  # no path of this machine: home, the run, the checkout
        for private in (str(home), str(run), str(ROOT), "/work/", TOKEN):
            assert private.encode() not in data, (name, private)
    card = members["README.md"].decode()
    assert front_matter(card) == {"base_model": "model", "library_name": "peft",
                                  "pipeline_tag": "text2text-generation",
                                  "tags": ["base_model:adapter:model", "lora", "transformers", "igrag-gui"]}
    for heading in ("## Method", "## Data", "## Metrics", "## How to load it with PEFT"):
        assert f"\n{heading}\n" in card
    assert "Trainable parameters: 14,336 of 1,310,464" in card and "- Training: 16 examples (`train.jsonl`)" in card
    bleu = load_run(run).metrics()["bleu4"]["best"]
    assert f"| bleu4 | {bleu:.4g} |" in card
    assert "PeftModel.from_pretrained(base, " in card and "AutoModelForSeq2SeqLM" in card
    assert json.loads(members["adapter_config.json"])["base_model_name_or_path"] == "model"
    assert "<secret removed>" in members["label.txt"].decode()
    events = [json.loads(line) for line in members["metrics.jsonl"].decode().splitlines()]
    assert events[0]["output_dir"] == "." and events[-1]["best_checkpoint"] == "best"


def test_a_hub_id_for_a_local_base_model_is_what_the_card_and_adapter_name(trained, tmp_path):
    _, run = trained
    members = pack_members(pack(run, tmp_path / "hub.zip", base_model="google/flan-t5-small"))
    card = members["README.md"].decode()
    assert front_matter(card)["base_model"] == "google/flan-t5-small"
    assert "not a Hugging Face Hub id" not in card
    assert json.loads(members["adapter_config.json"])["base_model_name_or_path"] == "google/flan-t5-small"


def test_unpack_restores_a_run_the_app_lists_and_peft_loads(packed, tmp_path):
    _, run, zip_path = packed
    restored = unpack(zip_path, tmp_path / "shared" / "tiny")
    assert find_runs([tmp_path / "shared"]) == [restored.resolve()]
    back, original = load_run(restored), load_run(run)
    assert back.summary()["metrics"] == original.summary()["metrics"] and back.name == original.name.replace(
        TOKEN, "<secret removed>")
    assert not list(tmp_path.joinpath("shared").glob(".*"))  # no staging folder left

    import torch
    from peft import PeftModel
    from transformers import AutoModelForSeq2SeqLM

    base = AutoModelForSeq2SeqLM.from_pretrained(str(demo_model_path()))
    model = PeftModel.from_pretrained(base, str(restored))
    from safetensors.torch import load_file

    saved = load_file(str(run / "adapter_model.safetensors"))
    loaded = {k: v for k, v in model.state_dict().items() if "lora_" in k}
    assert len(saved) == len(loaded) and all(
        torch.equal(v, loaded[k.replace(".weight", ".default.weight")]) for k, v in saved.items())


def test_unpack_never_writes_over_existing_files(packed, tmp_path):
    _, _, zip_path = packed
    target = tmp_path / "taken"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    with pytest.raises(UserError) as err:
        unpack(zip_path, target)
    assert str(err.value) == f"'{target}' already exists and is not empty; unpack --into a new folder " \
                             f"(nothing was unpacked)"
    assert [p.name for p in target.iterdir()] == ["notes.txt"] and (target / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken", "tiny.zip"]


def _zip(path: Path, names: dict[str, bytes], link: str | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in names.items():
            zf.writestr(name, data)
        if link:
            info = zipfile.ZipInfo(link)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, "/etc/passwd")
    return path


@pytest.mark.parametrize("bad", ["../evil.txt", "/tmp/evil.txt", "sub/../../evil.txt", "C:/evil.txt",
                                 "sub\\..\\evil.txt", "link"])
def test_a_zip_whose_names_leave_the_folder_is_refused_whole(tmp_path, bad):
    names = {"metrics.jsonl": b'{"event": "started"}\n'}
    zip_path = _zip(tmp_path / "hostile.zip", names if bad == "link" else {**names, bad: b"x"},
                    link=bad if bad == "link" else None)
    with pytest.raises(UserError) as err:
        unpack(zip_path, tmp_path / "out" / "run")
    assert str(err.value) == (f"'{zip_path}' holds an unsafe path '{bad}' (it would be written outside the folder "
                              f"it unpacks into); nothing was unpacked")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hostile.zip"]


def test_a_zip_that_is_not_a_run_pack_is_refused(tmp_path):
    zip_path = _zip(tmp_path / "other.zip", {"notes.txt": b"x"})
    with pytest.raises(UserError) as err:
        unpack(zip_path, tmp_path / "run")
    assert str(err.value) == (f"'{zip_path}' is not a run pack (it has no metrics.jsonl at its top); give a pack "
                              f"written by igrag runs pack")
    assert not (tmp_path / "run").exists()


def test_pack_refuses_an_existing_out_and_a_run_without_an_adapter(trained, tmp_path):
    _, run = trained
    out = tmp_path / "taken.zip"
    out.write_bytes(b"mine")
    with pytest.raises(UserError) as err:
        pack(run, out)
    assert str(err.value) == f"'{out}' already exists; choose another --out (nothing was written)"
    assert out.read_bytes() == b"mine"
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "metrics.jsonl").write_text('{"event": "started"}\n')
    with pytest.raises(UserError) as err:
        pack(bare, tmp_path / "bare.zip")
    assert str(err.value) == (f"run '{bare.resolve()}' has no adapter (no adapter_config.json in it or in best/): "
                              f"it did not finish; resume it, or pack a finished run")
    assert not (tmp_path / "bare.zip").exists()
