"""Bad and hostile files: each ends as one exact ``UserError`` sentence, never a crash or execution."""

from __future__ import annotations

import json
import pickle
import struct
import time
import tracemalloc
from pathlib import Path

import pytest

from igrag_gui.core.adapters import inspect_path, weight_stats
from igrag_gui.core.errors import UserError
from igrag_gui.core.files.safetensors_header import read_header

FIX = "copy the file again, or save the adapter again with save_pretrained"
CFG_FIX = "fix the field, or save the adapter again with save_pretrained"
EXPECTED = ("a folder with adapter_config.json and adapter_model.safetensors (as PEFT's save_pretrained "
            "writes), or one of those two files")
CONFIG = {"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["q_proj"]}


def st_bytes(header: object, data: bytes = b"", length: int | None = None) -> bytes:
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(raw) if length is None else length) + raw + data


def entry(dtype="F32", shape=(2,), offsets=(0, 8)) -> dict:
    return {"dtype": dtype, "shape": list(shape), "data_offsets": list(offsets)}


def adapter_dir(tmp_path: Path, weights: bytes | None, config: object = CONFIG) -> Path:
    folder = tmp_path / "adapter"
    folder.mkdir(exist_ok=True)
    if config is not None:
        text = config if isinstance(config, str) else json.dumps(config)
        (folder / "adapter_config.json").write_text(text)
    if weights is not None:
        (folder / "adapter_model.safetensors").write_bytes(weights)
    return folder


def error_of(path: Path) -> list[str]:
    with pytest.raises(UserError) as info:
        inspect_path(path)
    return info.value.lines


def weights_error(tmp_path: Path, weights: bytes) -> str:
    folder = adapter_dir(tmp_path, weights)
    lines = error_of(folder)
    assert len(lines) == 1
    return lines[0]


# -- the safetensors file ----------------------------------------------------------------------

@pytest.mark.parametrize("blob, message", [
    (b"", "empty file (0 bytes), not a safetensors file; " + FIX),
    (b"\x01\x02\x03", "not a safetensors file: it is 3 bytes long, shorter than the 8-byte header length; " + FIX),
    (st_bytes(b"{}", length=100), "truncated safetensors file: the header should be 100 bytes but only 2 "
                                  "follow the length; " + FIX),
    (st_bytes(b"{}", length=2**63), "not a safetensors file, or a corrupt one: its header length "
                                    "9,223,372,036,854,775,808 bytes exceeds the format's 100 MB limit; " + FIX),
    (st_bytes(b"\xff\xfe{"), "corrupt safetensors file: the header is not UTF-8 text; " + FIX),
    (st_bytes(b"{not json"), "corrupt safetensors file: the header is not valid JSON; " + FIX),
    (st_bytes(b"[" * 100_000 + b"]" * 100_000), "corrupt safetensors file: the header is not valid JSON; " + FIX),
    (st_bytes([1, 2]), "corrupt safetensors file: the header is not a JSON object; " + FIX),
    (st_bytes({"__metadata__": [1]}), "corrupt safetensors file: __metadata__ is not an object; " + FIX),
    (st_bytes({"a": 5}), "corrupt safetensors file: tensor 'a' has no dtype/shape/offsets entry; " + FIX),
    (st_bytes({"a": entry(dtype="F13")}, b"\0" * 8), "corrupt safetensors file: tensor 'a' has unknown dtype "
                                                     "'F13'; " + FIX),
    (st_bytes({"a": entry(dtype=7)}, b"\0" * 8), "corrupt safetensors file: tensor 'a' has unknown dtype 7; " + FIX),
    (st_bytes({"a": entry(shape=(-1, 2))}, b"\0" * 8), "corrupt safetensors file: tensor 'a' has an invalid "
                                                       "shape [-1, 2]; " + FIX),
    (st_bytes({"a": {"dtype": "F32", "shape": "2", "data_offsets": [0, 8]}}, b"\0" * 8),
     "corrupt safetensors file: tensor 'a' has an invalid shape '2'; " + FIX),
    (st_bytes({"a": entry(shape=(True,))}, b"\0" * 8), "corrupt safetensors file: tensor 'a' has an invalid "
                                                       "shape [True]; " + FIX),
    (st_bytes({"a": entry(offsets=(0,))}, b"\0" * 8), "corrupt safetensors file: tensor 'a' has invalid "
                                                      "data_offsets [0]; " + FIX),
    (st_bytes({"a": entry(offsets=("0", 8))}, b"\0" * 8), "corrupt safetensors file: tensor 'a' has invalid "
                                                          "data_offsets ['0', 8]; " + FIX),
    (st_bytes({"a": entry(offsets=(0, 16), shape=(4,))}, b"\0" * 8),
     "corrupt safetensors file: tensor 'a' points at bytes 0..16, outside the 8-byte data section (truncated or "
     "corrupt file); " + FIX),
    (st_bytes({"a": entry(offsets=(-8, 0))}, b"\0" * 8),
     "corrupt safetensors file: tensor 'a' points at bytes -8..0, outside the 8-byte data section (truncated or "
     "corrupt file); " + FIX),
    (st_bytes({"a": entry(offsets=(0, 4))}, b"\0" * 4),
     "corrupt safetensors file: tensor 'a' has 4 bytes but shape (2,) of F32 needs 8; " + FIX),
    (st_bytes({"a": entry(offsets=(0, 8)), "b": entry(offsets=(4, 12))}, b"\0" * 12),
     "corrupt safetensors file: tensors 'a' and 'b' overlap (bytes 4..8); " + FIX),
    (st_bytes({"a": entry(offsets=(0, 8)), "b": entry(offsets=(12, 20))}, b"\0" * 20),
     "corrupt safetensors file: 4 unused bytes before tensor 'b' (data bytes 8..12); " + FIX),
    (st_bytes({"a": entry(offsets=(0, 8))}, b"\0" * 12),
     "corrupt safetensors file: the tensors end at data byte 8 but the data section has 12 bytes; " + FIX),
    (st_bytes({"a": entry(shape=[1] * 65, offsets=(0, 4))}, b"\0" * 4),
     "corrupt safetensors file: tensor 'a' has 65 dimensions, more than any real tensor; " + FIX),
])
def test_corrupt_safetensors(tmp_path, blob, message):
    folder = adapter_dir(tmp_path, blob)
    assert weights_error(tmp_path, blob) == f"{folder / 'adapter_model.safetensors'}: {message}"


def test_truncated_real_file(tmp_path):
    from safetensors.numpy import save_file
    import numpy as np

    save_file({"w.lora_A.weight": np.ones((4, 4), np.float32)}, str(tmp_path / "full.safetensors"))
    blob = (tmp_path / "full.safetensors").read_bytes()
    cut = blob[:-10]
    folder = adapter_dir(tmp_path, cut)
    assert weights_error(tmp_path, cut) == (
        f"{folder / 'adapter_model.safetensors'}: corrupt safetensors file: tensor 'w.lora_A.weight' points at "
        f"bytes 0..64, outside the 54-byte data section (truncated or corrupt file); {FIX}")


def test_absurd_header_length_allocates_nothing(tmp_path):
    path = tmp_path / "x.safetensors"
    path.write_bytes(st_bytes(b"{}", length=90 * 1024 * 1024))  # under the cap, far beyond the file
    tracemalloc.start()
    try:
        with pytest.raises(UserError):
            read_header(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000


def test_stats_reject_what_inspection_rejects(tmp_path):
    folder = adapter_dir(tmp_path, st_bytes({"m.layers.0.q_proj.lora_A.weight": entry()}, b"\0" * 8))
    report = inspect_path(folder)
    (folder / "adapter_model.safetensors").write_bytes(b"")  # changed under our feet
    with pytest.raises(UserError) as info:
        weight_stats(report)
    assert info.value.lines == [f"{folder / 'adapter_model.safetensors'}: empty file (0 bytes), not a safetensors "
                                f"file; {FIX}"]


# -- adapter_config.json -----------------------------------------------------------------------

def test_config_not_json(tmp_path):
    folder = adapter_dir(tmp_path, None, config='{\n  "r": 16,\n  "lora_alpha" 32\n}')
    assert error_of(folder) == [f"{folder / 'adapter_config.json'}:3: not valid JSON (column 16: Expecting ':' "
                                f"delimiter); {CFG_FIX}"]


def test_config_not_utf8(tmp_path):
    folder = adapter_dir(tmp_path, None, config=None)
    (folder / "adapter_config.json").write_bytes(b'{"r": "\xff"}')
    assert error_of(folder) == [f"{folder / 'adapter_config.json'}: not UTF-8 text, so not an adapter config; "
                                f"{CFG_FIX}"]


def test_config_not_an_object(tmp_path):
    folder = adapter_dir(tmp_path, None, config="[1, 2]")
    assert error_of(folder) == [f"{folder / 'adapter_config.json'}: expected a JSON object of PEFT config fields, "
                                f"found a list; {CFG_FIX}"]


def test_config_wrong_types_all_at_once(tmp_path):
    folder = adapter_dir(tmp_path, None, config={
        "peft_type": "LORA", "r": "sixteen", "lora_alpha": True, "target_modules": 5, "use_dora": "yes",
        "rank_pattern": {"q": "x"}, "modules_to_save": "lm_head", "unknown_field": {"anything": [1]}})
    p = folder / "adapter_config.json"
    assert error_of(folder) == [
        f"{p}: field 'r' should be a whole number (0 or more), not \"sixteen\"; {CFG_FIX}",
        f"{p}: field 'lora_alpha' should be a number, not true; {CFG_FIX}",
        f"{p}: field 'target_modules' should be a module name pattern or a list of module names, not 5; {CFG_FIX}",
        f"{p}: field 'use_dora' should be true or false, not \"yes\"; {CFG_FIX}",
        f"{p}: field 'rank_pattern' should be an object mapping module patterns to ranks, not {{\"q\": \"x\"}}; "
        f"{CFG_FIX}",
        f"{p}: field 'modules_to_save' should be a list of module names, not \"lm_head\"; {CFG_FIX}"]


def test_config_too_large_is_not_read(tmp_path):
    folder = adapter_dir(tmp_path, None, config=None)
    with (folder / "adapter_config.json").open("wb") as fh:
        fh.truncate(17 * 1024 * 1024)
    assert error_of(folder) == [f"{folder / 'adapter_config.json'}: 17,825,792 bytes, far larger than any adapter "
                                f"config (a few kB); it is not an adapter_config.json"]


def test_config_without_peft_type_is_inferred(tmp_path):
    from safetensors.numpy import save_file
    import numpy as np

    folder = adapter_dir(tmp_path, None, config={"r": 2})
    save_file({"base_model.model.m.layers.0.q_proj.lora_A.weight": np.ones((2, 4), np.float32),
               "base_model.model.m.layers.0.q_proj.lora_B.weight": np.ones((4, 2), np.float32)},
              str(folder / "adapter_model.safetensors"))
    report = inspect_path(folder)
    assert report.method == "LoRA"
    assert report.evidence[0] == "adapter_config.json has no peft_type: LoRA, inferred from the tensor names"


# -- paths -------------------------------------------------------------------------------------

def test_nonexistent_path(tmp_path):
    assert error_of(tmp_path / "nope") == [f"'{tmp_path / 'nope'}' does not exist; give {EXPECTED}"]


def test_folder_without_adapter(tmp_path):
    assert error_of(tmp_path) == [f"'{tmp_path}' holds no adapter: expected adapter_config.json and "
                                  f"adapter_model.safetensors in it (as PEFT's save_pretrained writes); check the path"]


def test_folder_with_adapters_in_subfolders(tmp_path):
    for name in ("checkpoint-10", "checkpoint-9", "checkpoint-100"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "adapter_config.json").write_text(json.dumps(CONFIG))
    assert error_of(tmp_path) == [f"'{tmp_path}' holds no adapter itself, only in subfolders: checkpoint-9, "
                                  f"checkpoint-10, checkpoint-100; inspect one of those"]


def test_wrong_kind_of_file(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    assert error_of(path) == [f"'{path}' is neither an adapter config (.json) nor adapter weights "
                              f"(.safetensors); give {EXPECTED}"]


# -- pickles -----------------------------------------------------------------------------------

class _Trap:
    """Unpickling this creates a file: the proof that a pickle was executed."""

    target = ""

    def __reduce__(self):
        return (open, (self.target, "w"))


@pytest.mark.parametrize("zip_format", [False, True])
def test_malicious_pickle_is_never_executed(tmp_path, zip_format):
    import torch

    trap = _Trap()
    trap.target = str(tmp_path / "PWNED")
    folder = adapter_dir(tmp_path, None)
    path = folder / "adapter_model.bin"
    if zip_format:
        torch.save({"base_model.model.x.lora_A.weight": trap}, path)
    else:
        path.write_bytes(pickle.dumps({"base_model.model.x.lora_A.weight": trap}))
    assert error_of(folder) == [
        f"{path}: refused: this pickle holds more than tensors (torch.load with weights_only=True rejected it) and "
        f"unpickling it fully could run code; get the adapter as adapter_model.safetensors from its source, or only "
        f"if you trust the file convert it: python -c 'import torch, safetensors.torch as st; "
        f"st.save_file(torch.load(\"{path}\", weights_only=False), \"{folder / 'adapter_model.safetensors'}\")'"]
    assert not (tmp_path / "PWNED").exists()


def test_tensor_pickle_is_read_safely(tmp_path):
    import torch

    folder = adapter_dir(tmp_path, None, config={"peft_type": "LORA", "r": 2, "lora_alpha": 4,
                                                 "target_modules": ["q_proj"]})
    torch.manual_seed(0)
    state = {"base_model.model.m.layers.0.q_proj.lora_A.weight": torch.randn(2, 8),
             "base_model.model.m.layers.0.q_proj.lora_B.weight": torch.randn(8, 2, dtype=torch.bfloat16)}
    torch.save(state, folder / "adapter_model.bin")
    report = inspect_path(folder)
    assert report.method == "LoRA" and report.totals["num_params"] == 32
    assert report.totals["dtypes"] == {"F32": 1, "BF16": 1}
    assert report.warnings[0] == (
        f"{folder / 'adapter_model.bin'} is a PyTorch pickle, read with torch.load(weights_only=True); convert it to "
        f"safetensors, safe and quick to inspect: python -c 'import torch, safetensors.torch as st; st.save_file("
        f"torch.load(\"{folder / 'adapter_model.bin'}\", weights_only=True), \"{folder / 'adapter_model.safetensors'}\")'")
    stats = weight_stats(report)
    delta = 2.0 * state["base_model.model.m.layers.0.q_proj.lora_B.weight"].float() @ \
        state["base_model.model.m.layers.0.q_proj.lora_A.weight"]
    assert stats.modules[0].norm == pytest.approx(float(torch.linalg.matrix_norm(delta)), rel=1e-5)


def test_not_a_state_dict_pickle(tmp_path):
    import torch

    folder = adapter_dir(tmp_path, None)
    torch.save([1, 2, 3], folder / "adapter_model.bin")
    assert error_of(folder) == [f"{folder / 'adapter_model.bin'}: this PyTorch checkpoint is not a mapping of names "
                                f"to tensors, so not an adapter's weights; {FIX}"]


def test_garbage_pickle(tmp_path):
    folder = adapter_dir(tmp_path, None)
    (folder / "adapter_model.bin").write_bytes(b"\x00garbage")
    lines = error_of(folder)
    assert len(lines) == 1
    assert lines[0].startswith(f"{folder / 'adapter_model.bin'}: ")
    assert lines[0].endswith(FIX) or "refused" in lines[0]


# -- hostile patterns --------------------------------------------------------------------------

def test_redos_patterns_in_config_are_not_run(tmp_path):
    from safetensors.numpy import save_file
    import numpy as np

    long_name = "base_model.model." + "a" * 60 + ".layers.0.q_proj"
    folder = adapter_dir(tmp_path, None, config={
        "peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": "(a|aa)*b",
        "rank_pattern": {".*.*.*.*.*.*.*b": 4}, "exclude_modules": "(a+)+b"})
    save_file({f"{long_name}.lora_A.weight": np.ones((2, 4), np.float32),
               f"{long_name}.lora_B.weight": np.ones((4, 2), np.float32)}, str(folder / "adapter_model.safetensors"))
    start = time.perf_counter()
    report = inspect_path(folder)
    assert time.perf_counter() - start < 2
    assert report.warnings == [
        "rank_pattern pattern '.*.*.*.*.*.*.*b' has more than 4 unbounded repetitions (it could take very long), "
        "so it was not applied here",
        "target_modules pattern '(a|aa)*b' repeats a group that itself repeats (it could take exponential time), "
        "so it was not applied here",
        "exclude_modules pattern '(a+)+b' repeats a group that itself repeats (it could take exponential time), so "
        "it was not applied here"]
