"""Preparing training data: Arrow on disk, cached by content/tokenizer/limits, progress, stop,
ranks sharing one preparation, and every bad input as one line with its line number."""

from __future__ import annotations

import json
import threading

import pytest

from igrag_gui.core.data import read_examples, tokenize_examples
from igrag_gui.core.data import prepare as prepare_mod
from igrag_gui.core.data.prepare import PrepareProgress, prepare_data, training_columns
from igrag_gui.core.task_state import Cancelled, TaskState
from igrag_gui.core.errors import UserError
from igrag_gui.core.training.events import Collect, Preparing
from igrag_gui.resources import demo_model_path

DEMO_TRAIN = demo_model_path().parent / "data" / "train.jsonl"


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(demo_model_path())


def rows_file(tmp_path, n, name="train.jsonl"):
    lines = DEMO_TRAIN.read_text(encoding="utf-8").splitlines()
    path = tmp_path / name
    path.write_text("".join(lines[i % len(lines)] + "\n" for i in range(n)), encoding="utf-8")
    return path


def prep(path, tokenizer, root, kind="seq2seq", limits=(64, 12), **kw):
    return prepare_data(path, tokenizer, kind, *limits, root=root, **kw)


@pytest.mark.parametrize("kind", ["seq2seq", "causal"])
def test_prepared_rows_equal_the_list_tokenization(tmp_path, tokenizer, kind):
    path = rows_file(tmp_path, 300)
    data = prep(path, tokenizer, tmp_path / "cache", kind=kind)
    expected = tokenize_examples(read_examples(path), tokenizer, kind, 64, 12, source=path)
    assert len(data) == 300 and not data.from_cache
    assert training_columns(data).column_names == ["input_ids", "labels"]
    assert [training_columns(data)[i] for i in (0, 150, 299)] == [expected[i] for i in (0, 150, 299)]
    assert (data.truncated_prompts, data.truncated_captions) == (expected.truncated_prompts,
                                                                 expected.truncated_captions)
    assert data.truncated_prompts > 0 and data.warnings == expected.warnings
    prompt_lengths, caption_lengths = data.lengths()
    assert int((prompt_lengths > 64).sum()) == data.truncated_prompts and len(caption_lengths) == 300


def test_cache_is_reused_and_invalidated_by_file_tokenizer_and_limits(tmp_path, tokenizer):
    from transformers import AutoTokenizer

    root = tmp_path / "cache"
    path = rows_file(tmp_path, 50)
    first = prep(path, tokenizer, root)
    again = prep(path, tokenizer, root)
    assert again.from_cache and again.folder == first.folder and len(again) == 50
    assert again.warnings == first.warnings  # the truncation count is remembered, not lost

    assert not prep(path, tokenizer, root, limits=(128, 12)).from_cache  # other limits

    changed_tok = AutoTokenizer.from_pretrained(demo_model_path())
    changed_tok.add_tokens(["<igrag-new-token>"])
    assert prep(path, changed_tok, root).folder != first.folder  # other tokenizer

    with path.open("a", encoding="utf-8") as fh:  # same name, one more row: other content
        fh.write(json.dumps({"prompt": "p", "caption": "c."}) + "\n")
    edited = prep(path, tokenizer, root)
    assert not edited.from_cache and len(edited) == 51 and edited.folder != first.folder
    assert prep(path, tokenizer, root, build=False).from_cache
    assert prep(rows_file(tmp_path, 7, "other.jsonl"), tokenizer, root, build=False) is None


@pytest.mark.parametrize("damage", ["cut short", "rows edited", "not arrow"])
def test_a_damaged_cache_entry_is_prepared_again_not_trained_on(tmp_path, tokenizer, damage):
    root = tmp_path / "cache"
    path = rows_file(tmp_path, 300)
    first = prep(path, tokenizer, root)
    data_file = first.folder / prepare_mod.DATA_FILE
    del first
    raw = data_file.read_bytes()
    if damage == "cut short":
        data_file.write_bytes(raw[: len(raw) // 2])
    elif damage == "rows edited":  # a whole, readable file of fewer rows than recorded
        meta = json.loads((data_file.parent / prepare_mod.META_FILE).read_text())
        meta["rows"], meta["data_bytes"] = 301, len(raw)
        (data_file.parent / prepare_mod.META_FILE).write_text(json.dumps(meta))
    else:
        data_file.write_bytes(b"not an arrow file" * 100)
    again = prep(path, tokenizer, root)
    assert not again.from_cache and len(again) == 300
    assert again.warnings[0].startswith(f"the prepared copy of {path.name} in the data cache was damaged (")
    assert again.warnings[0].endswith("); prepared it again")
    assert prep(path, tokenizer, root).from_cache  # the rebuilt entry is whole
    expected = tokenize_examples(read_examples(path), tokenizer, "seq2seq", 64, 12, source=path)
    assert [training_columns(again)[i] for i in (0, 299)] == [expected[i] for i in (0, 299)]


def test_unwritable_cache_folder_warns_and_prepares_without_a_cache(tmp_path, tokenizer):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    root = blocker / "cache"
    data = prep(rows_file(tmp_path, 20), tokenizer, root, limits=(512, 64))
    assert len(data) == 20 and not data.from_cache
    assert data.warnings == [f"the data cache folder '{root}' cannot be written (Not a directory); preparing "
                             f"train.jsonl without a cache, so the next run prepares it again (set "
                             f"IGRAG_DATA_CACHE to a folder you can write to)"]
    assert not root.exists() and data.folder.is_dir()


def test_progress_from_the_start_with_a_rate(tmp_path, tokenizer, monkeypatch):
    monkeypatch.setattr(prepare_mod, "BATCH", 100)
    monkeypatch.setattr(prepare_mod, "REPORT_EVERY", 0.0)
    events = Collect()
    prep(rows_file(tmp_path, 450), tokenizer, tmp_path / "cache", state=TaskState(on_detail=events))
    got = events.of(PrepareProgress)
    assert got[0].phase == "reading" and got[-1].phase == "done" and got[-1].done == 450
    tokenizing = [(e.done, e.total) for e in got if e.phase == "tokenizing"]
    assert tokenizing == [(0, 450), (100, 450), (200, 450), (300, 450), (400, 450), (450, 450)]
    assert all(e.rate and e.rate > 0 for e in got if e.phase == "tokenizing" and e.done)
    again = Collect()
    prep(tmp_path / "train.jsonl", tokenizer, tmp_path / "cache", state=TaskState(on_detail=again))
    assert [e.phase for e in again.of(PrepareProgress)] == ["reading", "cached"]


def test_stop_during_tokenizing_leaves_no_entry(tmp_path, tokenizer, monkeypatch):
    monkeypatch.setattr(prepare_mod, "BATCH", 50)
    monkeypatch.setattr(prepare_mod, "REPORT_EVERY", 0.0)
    seen = []

    def report(step):
        seen.append(step)
        if step.phase == "tokenizing" and step.done >= 100:
            state.cancel()

    state = TaskState(on_detail=report)
    root = tmp_path / "cache"
    with pytest.raises(Cancelled):
        state.run(lambda **kw: prep(rows_file(tmp_path, 400), tokenizer, root, **kw))
    assert state.state == "cancelled"
    assert max(e.done for e in seen if e.phase == "tokenizing") == 100
    assert [p.name for p in root.iterdir() if not p.name.startswith(".")] == []


def test_other_ranks_wait_for_rank_0_instead_of_tokenizing(tmp_path, tokenizer, monkeypatch):
    monkeypatch.setattr(prepare_mod, "REPORT_EVERY", 0.0)
    root, path = tmp_path / "cache", rows_file(tmp_path, 200)
    waiter_events, results = Collect(), {}

    def rank1():
        results[1] = prep(path, tokenizer, root, state=TaskState(on_detail=waiter_events), rank=1, world_size=2)

    thread = threading.Thread(target=rank1)
    thread.start()
    while not waiter_events.of(PrepareProgress) or waiter_events.of(PrepareProgress)[-1].phase != "waiting":
        thread.join(0.01)
    results[0] = prep(path, tokenizer, root, rank=0, world_size=2)
    thread.join(30)
    assert results[1].folder == results[0].folder and len(results[1]) == 200
    assert "tokenizing" not in {e.phase for e in waiter_events.of(PrepareProgress)}
    assert results[1].warnings == results[0].warnings


def test_other_ranks_get_rank_0s_error(tmp_path, tokenizer):
    path = tmp_path / "train.jsonl"
    path.write_text('{"prompt": "p", "caption": "c"}\n{"prompt": "p"\n', encoding="utf-8")
    root = tmp_path / "cache"
    errors = {}

    def rank1():
        with pytest.raises(UserError) as err:
            prep(path, tokenizer, root, rank=1, world_size=2)
        errors[1] = str(err.value)

    thread = threading.Thread(target=rank1)
    thread.start()
    with pytest.raises(UserError) as err:
        prep(path, tokenizer, root, rank=0, world_size=2)
    thread.join(30)
    assert errors[1] == str(err.value) == (f"{path}:2: not valid JSON (Expecting ',' delimiter at column 15); "
                                           f"each line must be one JSON object")


@pytest.mark.parametrize("content, message", [
    (b'{"prompt": "p", "caption": "c"}\n{"prompt": "p", caption: c}\n',
     "{path}:2: not valid JSON (Expecting property name enclosed in double quotes at column 17); "
     "each line must be one JSON object"),
    (b'{"prompt": "p", "caption": "c"}\n\n{"caption": "c"}\n',
     "{path}:3: record has no 'prompt' field; each record needs 'prompt' and 'caption' (set "
     "data.prompt_field if yours is named differently)"),
    (b'{"prompt": "p", "caption": "c"}\n{"prompt": "p"}\n',
     "{path}:2: record has no 'caption' field; each record needs 'prompt' and 'caption' (set "
     "data.caption_field if yours is named differently)"),
    (b'{"prompt": "ok", "caption": "ok"}\n{"prompt": "ok", "caption": "ok"}\n{"prompt": "caf\xe9", "caption": "x"}\n',
     "{path}:3: not UTF-8 text (byte 83); save the file as UTF-8"),
    (b"", "{path}: no examples in the file; each line must be a JSON object with 'prompt' and 'caption'"),
    (b"\n  \n", "{path}: no examples in the file; each line must be a JSON object with 'prompt' and 'caption'"),
])
def test_bad_input_is_one_line_with_its_line_number(tmp_path, tokenizer, content, message):
    path = tmp_path / "train.jsonl"
    path.write_bytes(content)
    with pytest.raises(UserError) as err:
        prep(path, tokenizer, tmp_path / "cache")
    assert str(err.value) == message.format(path=path)
    assert [p for p in (tmp_path / "cache").iterdir() if not p.name.startswith(".")] == []


def test_missing_file(tmp_path, tokenizer):
    with pytest.raises(UserError) as err:
        prep(tmp_path / "nope.jsonl", tokenizer, tmp_path / "cache")
    assert str(err.value) == (f"data file '{tmp_path / 'nope.jsonl'}' does not exist; check data.train_path / "
                              f"data.val_path")


def test_non_utf8_csv_names_the_line(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes(b"prompt,caption\nok,ok\nna\xefve,x\n")
    with pytest.raises(UserError) as err:
        read_examples(path)
    assert str(err.value) == f"{path}:3: not UTF-8 text (byte 23); save the file as UTF-8"


def test_a_stop_during_preparation_ends_the_run_before_the_first_step(tmp_path, monkeypatch):
    from igrag_gui.core.config import load_config
    from igrag_gui.core.training.events import Finished, Started
    from igrag_gui.core.training.train import RunState, train
    from igrag_gui.resources import demo_config_path

    monkeypatch.setattr(prepare_mod, "BATCH", 100)
    monkeypatch.setattr(prepare_mod, "REPORT_EVERY", 0.0)
    monkeypatch.setenv("IGRAG_DATA_CACHE", str(tmp_path / "cache"))
    path = rows_file(tmp_path, 1000)
    cfg, _ = load_config(demo_config_path(), [f"data.train_path={path}", f"training.output_dir={tmp_path / 'out'}"])
    state, events = RunState(), Collect()

    def sink(event):
        events(event)
        if isinstance(event, Preparing) and event.phase == "tokenizing" and event.done >= 300:
            state.task.cancel()

    closing = train(cfg, sink, state)
    assert isinstance(closing, Finished) and closing.stopped and closing.step == 0 and closing.checkpoint is None
    assert events.of(Started) == [] and events.events[-1] == closing
    assert max(e.done for e in events.of(Preparing)) == 300
