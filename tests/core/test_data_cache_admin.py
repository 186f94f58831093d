"""The data cache stays within its limit: least recently used entries go first, never the new one."""

from __future__ import annotations

import os
import time

import pytest

from igrag_gui.core.data.cache_admin import clear, list_entries, parse_size, trim
from igrag_gui.core.data.prepare import prepare_data
from igrag_gui.core.errors import UserError
from tests.core.test_data_prepare import rows_file, tokenizer  # noqa: F401 - the module's fixture


def prep(path, tok, root):
    return prepare_data(path, tok, "seq2seq", 64, 12, root=root)


def aged(folder, seconds_ago):
    when = time.time() - seconds_ago
    os.utime(folder / "meta.json", (when, when))


def test_a_new_entry_over_the_limit_removes_the_least_recently_used(tmp_path, tokenizer, monkeypatch):  # noqa: F811
    root = tmp_path / "cache"
    a = prep(rows_file(tmp_path, 40, "a.jsonl"), tokenizer, root)
    b = prep(rows_file(tmp_path, 41, "b.jsonl"), tokenizer, root)
    aged(a.folder, 300)
    aged(b.folder, 200)
    assert prep(tmp_path / "a.jsonl", tokenizer, root).from_cache  # opening a marks it used: b is now oldest
    one = max(e.bytes for e in list_entries(root))
    monkeypatch.setenv("IGRAG_DATA_CACHE_MAX", str(int(2.5 * one)))
    c = prep(rows_file(tmp_path, 42, "c.jsonl"), tokenizer, root)
    assert [e.folder for e in list_entries(root)] == [c.folder, a.folder]
    notes = [w for w in c.warnings if w.startswith("the data cache was over its ")]  # the others: truncation
    assert len(notes) == 1 and "limit: removed 1 prepared file(s) used least recently (" in notes[0]
    assert prep(tmp_path / "b.jsonl", tokenizer, root).from_cache is False  # b is prepared again, not lost


def test_the_entry_just_made_is_kept_even_alone_over_the_limit(tmp_path, tokenizer, monkeypatch):  # noqa: F811
    monkeypatch.setenv("IGRAG_DATA_CACHE_MAX", "1")
    root = tmp_path / "cache"
    first = prep(rows_file(tmp_path, 30, "a.jsonl"), tokenizer, root)
    second = prep(rows_file(tmp_path, 31, "b.jsonl"), tokenizer, root)
    assert [e.folder for e in list_entries(root)] == [second.folder]
    assert not first.folder.exists()


def test_zero_means_no_limit_and_clear_empties_it(tmp_path, tokenizer, monkeypatch):  # noqa: F811
    monkeypatch.setenv("IGRAG_DATA_CACHE_MAX", "0")
    root = tmp_path / "cache"
    for n in (30, 31, 32):
        prep(rows_file(tmp_path, n, f"{n}.jsonl"), tokenizer, root)
    assert len(list_entries(root)) == 3
    assert trim(root, 0).removed == []
    assert len(clear(root).removed) == 3 and list_entries(root) == []


@pytest.mark.parametrize("text, size", [("20GB", 20 * 10 ** 9), ("500 mb", 500 * 10 ** 6), ("1.5GiB", 3 * 2 ** 29),
                                        ("0", 0), ("4096", 4096)])
def test_sizes(text, size):
    assert parse_size(text) == size


def test_a_size_that_is_not_one_is_refused(tmp_path, tokenizer, monkeypatch):  # noqa: F811
    monkeypatch.setenv("IGRAG_DATA_CACHE_MAX", "twenty gigs")
    with pytest.raises(UserError) as err:
        prep(rows_file(tmp_path, 30), tokenizer, tmp_path / "cache")
    assert str(err.value) == ("IGRAG_DATA_CACHE_MAX: 'twenty gigs' is not a size; write a number with an optional "
                              "unit, e.g. 20GB, 500MB or 0 (no limit)")
