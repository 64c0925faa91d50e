"""reports/.index.sqlite: written with every record, checked against the files, rebuilt from them.

Missing, corrupt, stale, locked or outdated, the answers stay right."""

import json
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

import investigate.store.index as index_module
from investigate.cli.main import main
from investigate.store.index import INDEX_FILE, SCHEMA_VERSION, open_index
from investigate.store.records import read_records
from investigate.workspace.load import load_workspace
from tests.store.test_records import age, put, record
from tests.views.test_statusrows import LATER, build, runs, status_json


@pytest.fixture
def cached_ws(make_ws, capsys, monkeypatch) -> tuple[Path, dict]:
    """H-A confirmed, H-B ruled out; the index built from settled files."""
    monkeypatch.setattr("investigate.store.files.RACY_NS", 0)  # `age` cannot put ctimes back
    root = build(make_ws)
    runs(root, "H-A")
    runs(root, "H-B", loss=0.9)
    age(root)
    first = status_json(root, capsys)
    assert first["INI"]["H-A"]["verdict"] == "confirmed" and first["INI"]["H-B"]["verdict"] == "ruled_out"
    with sqlite3.connect(root / "reports" / INDEX_FILE) as conn:
        assert conn.execute("SELECT hypothesis, count(*) FROM records GROUP BY hypothesis").fetchall() == [
            ("H-A", 4),
            ("H-B", 4),
        ]
        assert conn.execute("SELECT count(*) FROM rows").fetchone() == (2,)
    return root, first


def show_json(root: Path, hyp: str, capsys) -> dict:
    capsys.readouterr()
    assert main(["--workspace", str(root), "show", hyp, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_records_are_indexed_when_written(make_ws) -> None:
    root = build(make_ws)
    runs(root, "H-A")
    with sqlite3.connect(root / "reports" / INDEX_FILE) as conn:  # no command has read the store yet
        rows = conn.execute("SELECT run_dir, hypothesis, status FROM records ORDER BY run_dir").fetchall()
    assert len(rows) == 4 and {r[1] for r in rows} == {"H-A"} and rows[0][0].endswith("scenario=s1/a-seed0")


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
        assert conn.execute("SELECT count(*) FROM records").fetchone() == (8,)


def test_same_size_edit_with_mtime_put_back_is_seen(cached_ws, capsys) -> None:
    # `cp -p`, `touch -r`: content changed in place, size and mtime as before; only ctime moved.
    root, _first = cached_ws
    path = next((root / "reports").glob("*/H-A/scenario=s1/b-seed0/run.json"))
    before = path.stat()
    data = json.loads(path.read_text())
    data["metrics"]["loss"] = 0.9  # same length as 0.1
    text = json.dumps(data, indent=2)
    assert len(text) == before.st_size
    with open(path, "r+") as handle:  # same inode, same size
        handle.write(text)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert show_json(root, "H-A", capsys)["verdict"]["outcome"] == "ruled_out"  # its own files are stat'ed
    assert status_json(root, capsys)["INI"]["H-A"]["verdict"] == "ruled_out"  # one index: status agrees


def test_validate_rereads_every_file_and_repairs_the_index(cached_ws, capsys) -> None:
    root, _ = cached_ws
    with sqlite3.connect(root / "reports" / INDEX_FILE) as conn:  # an index that lies
        conn.execute("UPDATE records SET status = 'error', cache_key = 'bogus'")
    assert main(["--workspace", str(root), "validate"]) == 0
    with sqlite3.connect(root / "reports" / INDEX_FILE) as conn:
        assert conn.execute("SELECT DISTINCT status FROM records").fetchall() == [("ok",)]


def test_edited_hypothesis_same_size_mtime_put_back_is_evaluated_again(cached_ws, capsys) -> None:
    root, _ = cached_ws
    path = root / "hypotheses" / "H-B.yaml"
    before = path.stat()
    text = path.read_text().replace("lt: 0.5", "gt: 0.5").replace("ge: 0.5", "le: 0.5")  # rules flipped
    assert len(text) == before.st_size
    path.write_text(text)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert status_json(root, capsys)["INI"]["H-B"]["verdict"] == "confirmed"


def test_deleted_hypothesis_leaves_no_row_behind(cached_ws, capsys) -> None:
    root = cached_ws[0]
    (root / "plans" / "INI" / "initiative.yaml").write_text("id: INI\ntitle: t\nhypotheses: [H-A]\n")
    (root / "hypotheses" / "H-B.yaml").unlink()
    assert "H-B" not in status_json(root, capsys)["INI"]


def test_removed_and_added_directories_are_seen_by_status(cached_ws, capsys) -> None:
    root = cached_ws[0]
    import shutil

    for point in (root / "reports").glob("*/H-B/scenario=s1"):
        shutil.rmtree(point)  # the group directory moves
    row = status_json(root, capsys)["INI"]["H-B"]
    assert row["runs"]["ok"] == 2
    for stamp in (root / "reports").glob("2026-*"):
        shutil.rmtree(stamp / "H-B")  # the stamp directory moves
    assert status_json(root, capsys)["INI"]["H-B"]["verdict"] == "untested"
    runs(root, "H-B", loss=0.1, stamp=LATER)
    assert status_json(root, capsys)["INI"]["H-B"]["verdict"] == "confirmed"


def test_a_record_removed_deep_inside_a_group_is_seen_by_its_own_commands(cached_ws, capsys) -> None:
    root = cached_ws[0]
    for path in (root / "reports").glob("*/H-B/*/b-seed0/run.json"):
        path.unlink()  # only the run directories move
    ws = load_workspace(root)
    assert [r.arm for r in read_records(ws, "H-B")] == ["a", "a"]
    assert status_json(root, capsys)["INI"]["H-B"]["verdict"] == "untested"


def test_a_git_checkout_of_other_records_is_seen_by_status(cached_ws, capsys) -> None:
    root, first = cached_ws

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)

    git("init", "-q")
    git("-c", "user.email=a@b", "-c", "user.name=a", "add", "-A")
    git("-c", "user.email=a@b", "-c", "user.name=a", "commit", "-qm", "evidence")
    assert status_json(root, capsys) == first  # HEAD noted
    path = next((root / "reports").glob("*/H-A/scenario=s1/b-seed0/run.json"))
    data = json.loads(path.read_text())
    data["metrics"]["loss"] = 0.9
    with open(path, "r+") as handle:  # in place, as a checkout of a same-size change would look
        handle.write(json.dumps(data, indent=2))
    git("-c", "user.email=a@b", "-c", "user.name=a", "commit", "-qam", "new evidence")
    assert status_json(root, capsys)["INI"]["H-A"]["verdict"] == "ruled_out"


def test_record_filed_under_another_hypothesis_directory_counts_by_its_content(cached_ws, capsys) -> None:
    root = cached_ws[0]
    ws = load_workspace(root)
    rec = record(hypothesis="H-B", arm="b", run_id="odd", started_at=LATER, metrics={"loss": 0.1})
    put(ws, LATER, rec)
    target = root / "reports" / LATER / "H-A" / "scenario=s1"
    target.parent.mkdir(parents=True)
    (root / "reports" / LATER / "H-B" / "scenario=s1").rename(target)
    row = status_json(root, capsys)["INI"]["H-B"]
    assert row["runs"]["ok"] == 4 and row["verdict"] == "ruled_out"  # s1/b replaced by the newer 0.1 run


def test_a_writer_that_cannot_index_marks_it_stale(cached_ws, capsys, monkeypatch) -> None:
    root, _first = cached_ws
    monkeypatch.setattr(index_module, "LOCK_WAIT_S", 0.05)
    holder = sqlite3.connect(root / "reports" / INDEX_FILE, isolation_level=None, timeout=0.05)
    holder.execute("BEGIN EXCLUSIVE")  # another process holds the index
    try:
        ws = load_workspace(root)
        runs_dir = put(ws, LATER, record(hypothesis="H-A", arm="b", started_at=LATER, metrics={"loss": 0.9}))
        assert runs_dir.is_file() and (root / "reports" / ".index-stale").exists()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert status_json(root, capsys)["INI"]["H-A"]["runs"]["ok"] == 4
    assert not (root / "reports" / ".index-stale").exists()


def test_changed_code_keeps_the_records_and_drops_what_it_derived(cached_ws, capsys, monkeypatch) -> None:
    root, first = cached_ws
    monkeypatch.setattr(index_module, "code_fingerprint", lambda: "another version")
    index = open_index(root / "reports")
    assert index.count() == 8 and index.rows() == {} and index.yaml_heads() == {}
    assert status_json(root, capsys) == first


def test_another_schema_version_is_rebuilt_from_the_files(cached_ws, capsys) -> None:
    root, first = cached_ws
    with sqlite3.connect(root / "reports" / INDEX_FILE) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    assert status_json(root, capsys) == first
    with sqlite3.connect(root / "reports" / INDEX_FILE) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        assert conn.execute("SELECT count(*) FROM records").fetchone() == (8,)


def test_a_read_only_store_is_answered_from_memory(cached_ws, capsys) -> None:
    root, first = cached_ws
    (root / "reports" / INDEX_FILE).unlink()
    os.chmod(root / "reports", 0o555)
    try:
        if os.access(root / "reports", os.W_OK):
            pytest.skip("running as a user whom permissions do not stop")
        assert status_json(root, capsys) == first
    finally:
        os.chmod(root / "reports", 0o755)


def test_no_reports_dir_no_index(make_ws, capsys) -> None:
    root = build(make_ws)
    assert main(["--workspace", str(root), "status"]) == 0
    assert not (root / "reports").exists()
