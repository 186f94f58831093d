"""IGRAG's prompt_embeddings.pt: recognised by the inspector (read as data only), converted to a
PEFT prompt-tuning adapter that PEFT loads with the same vectors, prefixing the encoder only."""

from __future__ import annotations

import json

import pytest
import torch

from igrag_gui.core.adapters import inspect_path
from igrag_gui.core.adapters.igrag_convert import convert_igrag_prompt
from igrag_gui.core.adapters.igrag_prompt import EXPECTED, read_igrag_prompt
from igrag_gui.core.errors import UserError
from igrag_gui.resources import demo_model_path
from tests.igrag_layout import save_igrag_prompt

PT = "prompt_tuning/checkpoints/prompt_embeddings.pt"


class RunsCode:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_inspector_recognises_igrag_prompt_embeddings(tmp_path):
    path = save_igrag_prompt(tmp_path / PT)
    report = inspect_path(path)
    doc = report.to_json()
    assert (doc["method"], doc["peft_type"], doc["family"]) == (
        "prompt tuning (IGRAG prompt embeddings)", "PROMPT_TUNING", "prompt")
    assert doc["details"]["num_virtual_tokens"] == 20
    assert doc["details"]["token_dim"] == 768
    assert doc["details"]["num_transformer_submodules"] == 1
    assert doc["num_params"] == 15_360
    assert doc["evidence"][0].startswith("IGRAG's prompt-tuning file: 'prompt_embeddings' [20, 768]")
    assert not any("adapter_config.json next to" in w for w in doc["warnings"])


def test_a_pickle_that_would_run_code_is_refused_and_nothing_runs(tmp_path, capfd):
    path = tmp_path / "prompt_embeddings.pt"
    torch.save({"prompt_embeddings": torch.zeros(2, 3), "initialization": RunsCode()}, path)
    with pytest.raises(UserError) as err:
        inspect_path(path)
    assert err.value.lines == [
        f"{path}: refused: this pickle holds more than tensors, numbers and text (torch.load with "
        f"weights_only=True rejected it) and unpickling it fully could run code; nothing in it was run"]
    assert "this must never run" not in capfd.readouterr().out


@pytest.mark.parametrize("state,why", [
    ({"prompt_embeddings": torch.zeros(20), "prompt_length": 20},
     "'prompt_embeddings' must be a 2-D floating-point tensor [prompt_length, embedding_dim], got [20]"),
    ({"prompt_embeddings": torch.zeros(20, 8), "prompt_length": 10, "embedding_dim": 8},
     "'prompt_length' is 10 but 'prompt_embeddings' has shape [20, 8]; the file is inconsistent"),
])
def test_unexpected_structures_are_refused(tmp_path, state, why):
    path = tmp_path / "prompt_embeddings.pt"
    torch.save(state, path)
    with pytest.raises(UserError) as err:
        read_igrag_prompt(path)
    assert err.value.lines[0].startswith(f"{path}: refused: {why}")


def test_a_pt_of_something_else_is_refused_in_one_line(tmp_path):
    path = tmp_path / "model.pt"
    torch.save({"step": 3, "note": "not an adapter"}, path)
    with pytest.raises(UserError) as err:
        inspect_path(path)
    assert len(err.value.lines) == 1 and "not a mapping of names to tensors" in err.value.lines[0]


def test_a_file_larger_than_free_memory_is_refused_before_loading(tmp_path):
    path = save_igrag_prompt(tmp_path / "prompt_embeddings.pt")
    with pytest.raises(UserError) as err:
        read_igrag_prompt(path, memory=1000)
    assert err.value.lines[0].startswith(f"{path}: refused: the file is 0.0 GiB and this machine has 0.0 "
                                         f"GiB of memory free, too little to load it")


def test_a_view_that_claims_more_than_its_file_holds_is_refused_before_any_copy(tmp_path):
    """A stride-0 view of one stored number passes torch.load's own checks and the file-size guard
    (the file is tiny) but would allocate its whole claimed shape when made contiguous."""
    path = tmp_path / "prompt_embeddings.pt"
    huge = torch.zeros(1).as_strided((1_000_000, 1_000_000), (0, 0))  # 10^12 values on one float
    torch.save({"prompt_embeddings": huge, "prompt_length": 1_000_000, "embedding_dim": 1_000_000}, path)
    before = path.read_bytes()
    with pytest.raises(UserError) as err:
        read_igrag_prompt(path)
    assert err.value.lines == [f"{path}: refused: 'prompt_embeddings' claims [1000000, 1000000] "
                               f"(1,000,000,000,000 values) but its file holds 1: a view that repeats its data "
                               f"(overlapping strides), not embeddings; expected {EXPECTED}"]
    assert path.read_bytes() == before


def _demo_prompt(tmp_path):
    d_model = json.loads((demo_model_path() / "config.json").read_text())["d_model"]
    return save_igrag_prompt(tmp_path / PT, dim=d_model), d_model


def test_converted_adapter_loads_in_peft_with_identical_embeddings(tmp_path):
    from peft import PeftModel
    from transformers import AutoModelForSeq2SeqLM

    path, d_model = _demo_prompt(tmp_path)
    out, _ = convert_igrag_prompt(path, tmp_path / "adapter", base=str(demo_model_path()))
    config = json.loads((out / "adapter_config.json").read_text())
    assert (config["peft_type"], config["num_virtual_tokens"], config["token_dim"],
            config["num_transformer_submodules"]) == ("PROMPT_TUNING", 20, d_model, 1)
    base = AutoModelForSeq2SeqLM.from_pretrained(demo_model_path())
    model = PeftModel.from_pretrained(base, out)
    original = torch.load(path, weights_only=True)["prompt_embeddings"]
    assert torch.equal(model.prompt_encoder["default"].embedding.weight.detach(), original.detach())
    # The encoder sees 20 more positions; the decoder is not prefixed (IGRAG's setup).
    ids = torch.tensor([[5, 6, 7, 1]])
    with torch.no_grad():
        out_peft = model(input_ids=ids, attention_mask=torch.ones_like(ids), decoder_input_ids=torch.tensor([[0]]),
                         output_hidden_states=True)
    assert out_peft.encoder_last_hidden_state.shape[1] == 4 + 20
    assert out_peft.decoder_hidden_states[0].shape[1] == 1
    assert inspect_path(out).method == "prompt tuning"


def test_convert_refuses_a_folder_holding_an_adapter_unless_forced(tmp_path, trash):
    path, _ = _demo_prompt(tmp_path)
    out = tmp_path / "adapter"
    convert_igrag_prompt(path, out)
    with pytest.raises(UserError) as err:
        convert_igrag_prompt(path, out)
    assert err.value.lines == [f"--out {out}: already holds an adapter (adapter_config.json); choose "
                               f"another folder, or pass --force to replace it"]
    convert_igrag_prompt(path, out, force=True)
    # the folder igrag made, with its marker (core/files/output_folders.py): --force may replace it again
    assert sorted(p.name for p in out.iterdir()) == [".igrag-output.json", "adapter_config.json",
                                                     "adapter_model.safetensors"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".adapter")]
    assert [p.name for p in (trash / "files").iterdir()] == ["adapter"]  # the replaced one, recoverable


def test_convert_refuses_a_base_of_another_width(tmp_path):
    path = save_igrag_prompt(tmp_path / PT)  # 768 wide; the demo model is not
    with pytest.raises(UserError) as err:
        convert_igrag_prompt(path, tmp_path / "adapter", base=str(demo_model_path()))
    assert "but the prompt embeddings are 768 wide" in err.value.lines[0]
    assert not (tmp_path / "adapter").exists()
