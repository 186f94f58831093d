"""Fuzzing: mutated safetensors headers and configs through the reader and the report.

Each example writes a mutated file beside a valid adapter_config.json and runs the whole
inspector (report, JSON, text, and weight statistics when the report succeeds). The only
exception allowed out is ``UserError``. Hypothesis draws the kind of mutation, how many, and a
seeded ``Random`` that places them: per-value draws would cost more than the inspector itself
and keep 10,000 headers from fitting in CI time. Derandomised, so CI runs are reproducible.
"""

from __future__ import annotations

import json
import random
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from igrag_gui.core.adapters import inspect_path, weight_stats
from igrag_gui.core.errors import UserError

FUZZ = settings(max_examples=10_000, deadline=None, database=None, derandomize=True,
                suppress_health_check=list(HealthCheck))


def _base() -> bytes:
    """A small valid LoRA file (F32, F16 and BF16 tensors) as safetensors writes it."""
    from safetensors.numpy import save

    rng = np.random.default_rng(0)
    tensors = {}
    for layer in range(2):
        for proj in ("q_proj", "v_proj"):
            p = f"base_model.model.model.layers.{layer}.self_attn.{proj}"
            tensors[f"{p}.lora_A.weight"] = rng.standard_normal((2, 4)).astype(np.float32)
            tensors[f"{p}.lora_B.weight"] = rng.standard_normal((4, 2)).astype(np.float16)
    blob = save(tensors)
    # make one tensor BF16 (same byte size as F16) so the bf16 reader is exercised too
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    header["base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight"]["dtype"] = "BF16"
    return _pack(header, blob[8 + n:])


def _pack(header: object, data: bytes, length: int | None = None) -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw) if length is None else length) + raw + data


BASE = _base()
(HLEN,) = struct.unpack("<Q", BASE[:8])
HEADER = json.loads(BASE[8:8 + HLEN])
DATA = BASE[8 + HLEN:]
NAMES = [k for k in HEADER if k != "__metadata__"]
CONFIG = {"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["q_proj", "v_proj"],
          "task_type": "CAUSAL_LM", "use_dora": False, "rank_pattern": {}, "alpha_pattern": {}}

# Hostile JSON values, drawn with one choice each (a recursive strategy costs far more per example).
ODD_VALUES = [None, True, False, 0, -1, 1, 7, 2**31, 2**63, 2**64 + 1, -2**70, 0.5, float("nan"), float("inf"),
              "", "F32", "BF16", "x" * 300, "\u0000", [], [0], [-1], [0, 0], [8, 0], [0, 2**64], [1, 2, 3],
              [True, 1], ["0", "8"], [[1]], [None], {}, {"dtype": "F32"}, {"a": [1, {"b": None}]},
              [[[[[[[[1]]]]]]]], list(range(70)), ["q", "v"], ["q_proj"], {"q_proj": 2}, {"q_proj": [True, False]},
              {".*": 4}, "(a+)+", ".*", "[", "all-linear"]
odd_values = st.sampled_from(ODD_VALUES)
TENSOR_FIELDS = ["dtype", "shape", "data_offsets"]
NEW_NAMES = ["", "prompt_embeddings", "x.lora_E", "a.lora_A", "__metadata__", "layers.99999999999.q.lora_B",
             "base_model.vera_A", "..", "base_model.model.lm_head.weight", "é" * 50]
DATAS = [DATA, DATA[:-4], DATA + b"\0" * 4, b"", DATA[4:]]
DTYPES = ["F32", "F16", "BF16", "F64", "I8", "U8", "BOOL", "F4", "F8_E4M3", "C64", "f32", ""]


def bit_flips(rng: random.Random, count: int) -> bytes:
    blob = bytearray(BASE)
    for _ in range(count):
        pos = rng.randrange((8 + HLEN) * 8)
        blob[pos // 8] ^= 1 << (pos % 8)
    return bytes(blob)


def truncation(rng: random.Random, count: int) -> bytes:
    return BASE[:rng.randrange(len(BASE))]


def length_prefix(rng: random.Random, count: int) -> bytes:
    length = rng.randrange(2**64) if count == 1 else max(0, HLEN + rng.randint(-40, 40))
    return struct.pack("<Q", length) + BASE[8:]


def garbage(rng: random.Random, count: int) -> bytes:
    body = rng.randbytes(rng.randrange(200))
    return body if count == 1 else struct.pack("<Q", rng.randrange(len(body) + 9)) + body


def json_mutation(rng: random.Random, count: int) -> bytes:
    header: dict = {k: dict(v) for k, v in HEADER.items()}
    for _ in range(count):
        kind = rng.choice(["field", "drop", "entry", "rename", "add", "offsets", "shape", "dtype"])
        name = rng.choice(NAMES)
        if not isinstance(header.get(name), dict):
            continue
        if kind == "field":
            header[name][rng.choice(TENSOR_FIELDS)] = rng.choice(ODD_VALUES)
        elif kind == "drop":
            header[name].pop(rng.choice(TENSOR_FIELDS), None)
        elif kind == "entry":
            header[name] = rng.choice(ODD_VALUES)
        elif kind == "rename":
            header[rng.choice(NEW_NAMES)] = header.pop(name)
        elif kind == "add":
            header[rng.choice(NEW_NAMES)] = rng.choice(ODD_VALUES)
        elif kind == "offsets":
            start = rng.randint(-10, len(DATA) + 10)
            header[name]["data_offsets"] = [start, start + rng.randint(-4, 40)]
        elif kind == "shape":
            header[name]["shape"] = [rng.randint(-2, 9) for _ in range(rng.randrange(4))]
        else:
            header[name]["dtype"] = rng.choice(DTYPES)
    top = rng.choice(["object", "object", "object", "list", "value"])
    doc = header if top == "object" else (list(header.items()) if top == "list" else rng.choice(ODD_VALUES))
    return _pack(doc, rng.choice(DATAS))


def text_edit(rng: random.Random, count: int) -> bytes:
    text = bytearray(BASE[8:8 + HLEN])
    for _ in range(count):
        pos = rng.randrange(len(text) + 1)
        if rng.random() < 0.5 and pos < len(text):
            del text[pos:pos + rng.randint(1, 8)]
        else:
            text[pos:pos] = rng.choice([b"{", b"}", b"[", b"]", b",", b":", b'"', b"-1", b"1e999", b"\x00",
                                        b"\xff", b"null", b"NaN", b"[" * 2000, b'"x":{}', b"0" * 30])
    return struct.pack("<Q", len(text)) + bytes(text) + DATA


RUNS: dict[str, int] = {}  # examples per mutation kind, checked after the fuzz test
OUTCOMES: dict[bool, int] = {}  # accepted (True) / refused with a UserError (False)
MUTATIONS = [bit_flips, truncation, length_prefix, garbage, json_mutation, json_mutation, text_edit, text_edit]


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("fuzz")
    (path / "adapter_config.json").write_text(json.dumps(CONFIG))
    (path / "adapter_model.safetensors").write_bytes(BASE)
    return path


def run_inspector(folder: Path, blob: bytes) -> bool:
    (folder / "adapter_model.safetensors").write_bytes(blob)
    try:
        report = inspect_path(folder)
        # an accepted mutant is described consistently: the totals are the sum of its tensors
        assert report.totals["num_params"] == sum(t.numel for t in report.tensors)
        assert report.totals["num_tensors"] == len(report.tensors)
        json.dumps(report.to_json())
        report.to_text(tensors=True)
        stats = weight_stats(report)
        json.dumps(stats.to_json())
        stats.to_text()
        return True
    except UserError as exc:
        assert exc.lines and all(isinstance(line, str) and "\n" not in line for line in exc.lines)
        return False


def test_base_file_is_valid(folder):
    report = inspect_path(folder)
    assert report.method == "LoRA" and report.warnings[0].startswith("tensors use several floating dtypes")
    assert len(weight_stats(report).modules) == 4


@FUZZ
@given(mutate=st.sampled_from(MUTATIONS), count=st.integers(1, 4), rng=st.randoms(use_true_random=True))
def test_fuzz_headers(folder, mutate, count, rng):
    """10,000 mutated headers: bit flips, truncations, lengths, garbage, JSON and text edits."""
    RUNS[mutate.__name__] = RUNS.get(mutate.__name__, 0) + 1
    accepted = run_inspector(folder, mutate(rng, count))  # anything but UserError fails the test
    OUTCOMES[accepted] = OUTCOMES.get(accepted, 0) + 1
    assert isinstance(accepted, bool)


def test_fuzz_ran_ten_thousand_headers():
    if not RUNS:
        pytest.skip("test_fuzz_headers did not run in this session")
    assert sum(RUNS.values()) >= 10_000
    assert set(RUNS) == {m.__name__ for m in MUTATIONS}
    # both paths were exercised: some mutants still read as adapters, most are refused cleanly
    assert OUTCOMES.get(True, 0) > 0 and OUTCOMES.get(False, 0) > 0, OUTCOMES


config_fields = st.sampled_from(["peft_type", "r", "lora_alpha", "target_modules", "modules_to_save", "rank_pattern",
                                 "alpha_pattern", "use_dora", "use_rslora", "task_type", "base_model_name_or_path",
                                 "peft_version", "exclude_modules", "layers_to_transform", "num_virtual_tokens",
                                 "token_dim", "init_r", "adapters", "trainable_token_indices"])


@settings(max_examples=1000, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(changes=st.dictionaries(config_fields, odd_values | st.sampled_from(
    ["LORA", "ADALORA", "PROMPT_TUNING", "PREFIX_TUNING", "IA3", "XLORA", "VERA", "TRAINABLE_TOKENS"]), max_size=4))
def test_fuzz_config_values(folder, changes):
    (folder / "adapter_model.safetensors").write_bytes(BASE)
    (folder / "adapter_config.json").write_text(json.dumps({**CONFIG, **changes}))
    try:
        accepted = run_inspector(folder, BASE)
        assert accepted or changes  # the untouched config is always accepted
    finally:
        (folder / "adapter_config.json").write_text(json.dumps(CONFIG))
