"""Several processes opening one new SQLite sweep storage at once: every one gets it."""

import multiprocessing

from igrag_gui.core.experiments.sweep import open_storage


def _open(url: str) -> str:
    try:
        storage = open_storage(url)
        storage.engine.dispose()  # noqa - RDBStorage keeps a pool; close it before the process ends
        return "ok"
    except Exception as exc:  # noqa: BLE001 - the failure text is what the test reports
        return f"{type(exc).__name__}: {exc}"


def test_processes_racing_to_create_one_sqlite_storage_all_open_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'sweep' / 'sweep.db'}"
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        results = pool.map(_open, [url] * 4)
    assert results == ["ok"] * 4
