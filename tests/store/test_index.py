"""reports/.index.sqlite is only a cache: missing, corrupt, stale, locked or outdated, answers stay right."""

import json
import os
import sqlite3
import threading
from pathlib import Path

import pytest

import investigate.store.index as index_module
from investigate.cli.main import main
from investigate.store.index import INDEX_FILE, open_index
from investigate.views.overview import overview
from investigate.workspace.load import load_workspace
from tests.store.test_records import age, put, record
from tests.views.test_overview import LATER, build, runs, status_json


@pytest.fixture
def cached_ws(make_ws, capsys) -> tuple[Path, dict]:
    """H-A confirmed, H-B ruled out; the index built from settled files."""
    root = build(make_ws)
    runs(root, "H-A")
    runs(root, "H-B", loss=0.9)
    age(root)
    first = status_json(root, capsys)
    assert first["INI"]["H-A"]["verdict"] == "confirmed" and first["INI"]["H-B"]["verdict"] == "ruled_out"
    with sqlite3.connect(root / "reports" / INDEX_FILE) as conn:
        groups = conn.execute("SELECT path, names, owners FROM groups ORDER BY path").fetchall()
        assert [(path.split("/")[1], names.count("\n") + 1, owners) for path, names, owners in groups] == [
            ("H-A", 4, ""),  # every file a readable record of the hypothesis the directory is named after
            ("H-B", 4, ""),
        ]
        assert conn.execute("SELECT count(*) FROM summaries").fetchone() == (2,)
    return root, first


def test_deleted_index_is_rebuilt(cached_ws, capsys) -> None:
    root, first = cached_ws
    (root / "reports" / INDEX_FILE).unlink()
    assert status_json(root, capsys) == first
    assert (root / "reports" / INDEX_FILE).is_file()


@pytest.mark.parametrize("garbage", [b"", b"garbage bytes" * 100, b"SQLite format 3\x00" + os.urandom(4096)])
def test_corrupt_index_is_replaced(cached_ws, capsys, garbage) -> None:
    root, first = cached_ws
    (root / "reports" / INDEX_FILE).write_bytes(garbage)
    assert status_json(root, capsys) == first
    assert status_json(root, capsys) == first
    with sqlite3.connect(root / "reports" / INDEX_FILE) as conn:  # a working database again
        assert conn.execute("SELECT count(*) FROM summaries").fetchone() == (2,)


def test_index_damaged_inside_is_replaced(cached_ws, capsys) -> None:
    root, first = cached_ws
    path = root / "reports" / INDEX_FILE
    data = bytearray(path.read_bytes())
    data[4096:] = b"\xff" * (len(data) - 4096)  # keep the header page, wreck every table page
    path.write_bytes(bytes(data))
    assert status_json(root, capsys) == first
    assert status_json(root, capsys) == first


def test_touched_and_rewritten_records_are_read_again(cached_ws, capsys) -> None:
    root, first = cached_ws
    path = next((root / "reports").glob("*/H-A/scenario=s1/b-seed0/run.json"))
    os.utime(path)  # touched: same content, new mtime
    assert status_json(root, capsys) == first
    data = json.loads(path.read_text())
    data["metrics"]["loss"] = 0.9  # same length as 0.1: only the mtime tells
    text = json.dumps(data, indent=2)
    assert len(text) == path.stat().st_size
    with open(path, "r+") as handle:  # rewritten in place: same inode, same size
        handle.write(text)
    assert status_json(root, capsys)["INI"]["H-A"]["verdict"] == "ruled_out"


def test_edited_hypothesis_is_evaluated_again(cached_ws, capsys) -> None:
    root, _ = cached_ws
    path = root / "hypotheses" / "H-B.yaml"
    path.write_text(path.read_text().replace("lt: 0.5", "gt: 0.8").replace("ge: 0.5", "ge: 1.0"))
    assert status_json(root, capsys)["INI"]["H-B"]["verdict"] == "confirmed"


def test_hypothesis_edited_while_status_runs_is_not_cached_with_its_new_stat(cached_ws, capsys) -> None:
    root = cached_ws[0]
    ws = load_workspace(root)  # H-B read as it is: ruled out
    path = root / "hypotheses" / "H-B.yaml"
    path.write_text(path.read_text().replace("lt: 0.5", "gt: 0.8").replace("ge: 0.5", "ge: 1.0"))
    age(root / "hypotheses")  # an edit old enough to key a cache entry
    assert overview(ws).rows["H-B"]["verdict"] == "ruled_out"  # what was loaded
    assert status_json(root, capsys)["INI"]["H-B"]["verdict"] == "confirmed"  # what the file says now


def test_deleted_hypothesis_leaves_the_index(cached_ws, capsys) -> None:
    root = cached_ws[0]
    (root / "plans" / "INI" / "initiative.yaml").write_text("id: INI\ntitle: t\nhypotheses: [H-A]\n")
    (root / "hypotheses" / "H-B.yaml").unlink()
    assert "H-B" not in status_json(root, capsys)["INI"]
    with sqlite3.connect(root / "reports" / INDEX_FILE) as conn:
        assert conn.execute("SELECT hypothesis FROM summaries").fetchall() == [("H-A",)]
        assert conn.execute("SELECT count(*) FROM yaml WHERE path LIKE '%H-B%'").fetchone() == (0,)


def test_deleted_and_added_records_are_seen(cached_ws, capsys) -> None:
    root = cached_ws[0]
    for path in (root / "reports").glob("*/H-B/*/b-seed0/run.json"):
        path.unlink()
    assert status_json(root, capsys)["INI"]["H-B"]["verdict"] == "untested"
    runs(root, "H-B", loss=0.1, stamp=LATER)
    assert status_json(root, capsys)["INI"]["H-B"]["verdict"] == "confirmed"


def test_record_moved_to_another_hypothesis_directory_counts_by_its_content(cached_ws, capsys) -> None:
    root = cached_ws[0]
    ws = load_workspace(root)
    rec = record(hypothesis="H-B", arm="b", run_id="odd", started_at=LATER, metrics={"loss": 0.1})
    put(ws, LATER, rec)
    target = root / "reports" / LATER / "H-A" / "scenario=s1"
    target.parent.mkdir(parents=True)
    (root / "reports" / LATER / "H-B" / "scenario=s1").rename(target)
    row = status_json(root, capsys)["INI"]["H-B"]
    assert row["runs"]["ok"] == 4 and row["verdict"] == "ruled_out"  # s1/b replaced by the newer 0.1 run, s2/b 0.9


def test_locked_index_falls_back_to_reading_files(cached_ws, capsys, monkeypatch) -> None:
    root, first = cached_ws
    monkeypatch.setattr(index_module, "LOCK_WAIT_S", 0.05)
    runs(root, "H-A", loss=0.9, stamp=LATER)  # changes H-A's verdict
    holder = sqlite3.connect(root / "reports" / INDEX_FILE, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process mid-rebuild: database is locked
    try:
        data = status_json(root, capsys)
        assert data["INI"]["H-A"]["verdict"] == "ruled_out" and data["INI"]["H-B"] == first["INI"]["H-B"]
        assert main(["--workspace", str(root), "validate"]) == 0
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert status_json(root, capsys) == data


def test_index_read_and_written_by_several_threads(cached_ws, capsys) -> None:
    root = cached_ws[0]
    ws = load_workspace(root)
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            for _ in range(5):
                assert overview(ws).rows["H-A"]["verdict"] == "confirmed"
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_changed_code_empties_the_index(cached_ws, capsys, monkeypatch) -> None:
    root, first = cached_ws
    monkeypatch.setattr(index_module, "code_fingerprint", lambda: "another version")
    with open_index(root / "reports") as index:
        assert index is not None and index.summarized() == [] and index.group_paths() == []
    assert status_json(root, capsys) == first


def test_changed_schema_is_rebuilt(cached_ws, capsys) -> None:
    root, first = cached_ws
    with sqlite3.connect(root / "reports" / INDEX_FILE) as conn:
        conn.execute("DROP TABLE dirs")
        conn.execute("CREATE TABLE dirs (path TEXT)")
    assert status_json(root, capsys) == first
    with sqlite3.connect(root / "reports" / INDEX_FILE) as conn:
        assert conn.execute("SELECT count(*) FROM dirs").fetchone()[0] > 0


def test_no_reports_dir_no_index(make_ws, capsys) -> None:
    root = build(make_ws)
    assert main(["--workspace", str(root), "status"]) == 0
    assert not (root / "reports").exists()
