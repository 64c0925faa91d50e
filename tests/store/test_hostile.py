"""Odd and hostile files in the store: nothing hangs, nothing outside reports/ is read or touched."""

import json
import os
import signal
import stat
from pathlib import Path

import pytest

from investigate.cli.main import main
from investigate.core.errors import InvestigateError
from investigate.core.locks import FileLock, is_locked
from investigate.store.files import UnreadableFile, read_regular
from investigate.workspace.load import load_workspace
from tests.store.test_records import put, record
from tests.views.test_statusrows import LATER, STAMP, build, runs, status_json


@pytest.fixture
def deadline():
    """Fail, rather than hang the suite, if a command blocks."""

    def expired(signum, frame):
        raise TimeoutError("the command blocked")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def odd_run_json(root: Path, make) -> Path:
    run_dir = root / "reports" / LATER / "H-A" / "scenario=s1" / "a-seed0"
    run_dir.mkdir(parents=True)
    make(run_dir / "run.json")
    return run_dir / "run.json"


@pytest.mark.parametrize("command", [["status"], ["list"], ["validate"], ["show", "H-A"], ["clean", "--dry-run"]])
def test_a_fifo_named_run_json_is_reported_not_waited_on(make_ws, capsys, deadline, command) -> None:
    root = build(make_ws)
    runs(root, "H-A")
    odd_run_json(root, os.mkfifo)
    code = main(["--workspace", str(root), *command])
    assert code == (1 if command == ["validate"] else 0)
    if command == ["status"]:
        assert "not a regular file (a FIFO)" in capsys.readouterr().out


def test_a_run_json_linked_to_dev_zero_is_not_followed(make_ws, capsys, deadline) -> None:
    root = build(make_ws)
    runs(root, "H-A")
    odd_run_json(root, lambda path: path.symlink_to("/dev/zero"))
    data = status_json(root, capsys)
    assert data["(store)"]["unreadable"] == [
        {"path": f"reports/{LATER}/H-A/scenario=s1/a-seed0/run.json", "reason": "is a symbolic link: not followed"}
    ]
    assert data["INI"]["H-A"]["runs"]["ok"] == 4


def test_reading_refuses_devices_and_oversized_files(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile, match="character device"):
        read_regular("/dev/null")
    big = tmp_path / "run.json"
    big.write_bytes(b" " * 2000)
    with pytest.raises(UnreadableFile, match="at most 1,000"):
        read_regular(str(big), cap=1000)


def test_clean_never_follows_a_symlinked_stamp_out_of_the_store(make_ws, capsys, tmp_path: Path) -> None:
    root = build(make_ws)
    runs(root, "H-A")
    outside = tmp_path / "elsewhere" / "H-A" / "scenario=s1" / "a-seed0"
    outside.mkdir(parents=True)
    (outside / "run.json").write_text(json.dumps(record(hypothesis="H-A", status="error").model_dump()))
    (outside / "keep.txt").write_text("precious")
    link = root / "reports" / "2025-01-01T000000Z"
    link.symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    assert main(["--workspace", str(root), "clean", "--lost"]) == 0
    out = capsys.readouterr().out
    assert (outside / "keep.txt").read_text() == "precious" and (outside / "run.json").exists()
    assert link.is_symlink() and "2025-01-01T000000Z" not in out
    assert status_json(root, capsys)["INI"]["H-A"]["runs"]["ok"] == 4  # the linked stamp is not evidence


def test_what_an_interrupted_removal_left_is_reported_and_cleaned(make_ws, capsys) -> None:
    root = build(make_ws)
    runs(root, "H-A")
    ws = load_workspace(root)
    old = put(ws, LATER, record(hypothesis="H-A", arm="b", started_at=LATER, status="error"))
    old.unlink()  # an older clean killed mid-way: artifacts left, the record gone
    (old.parent / "history.json").write_text("[]")
    trash = root / "reports" / ".trash" / "a-seed0-1234"
    trash.mkdir(parents=True)  # this version's clean killed between its rename and its delete
    (trash / "run.json").write_text("{}")
    data = status_json(root, capsys)
    assert data["(store)"]["lost"] == [f"reports/{LATER}/H-A/scenario=s1/b-seed0"]
    assert main(["--workspace", str(root), "clean", "--lost"]) == 0
    assert not old.parent.exists() and not trash.exists()
    assert "(store)" not in status_json(root, capsys)


def test_clean_moves_a_record_out_of_the_store_before_deleting_it(make_ws, capsys, monkeypatch) -> None:
    import investigate.store.clean as clean_module

    root = build(make_ws)
    runs(root, "H-A", status="error")
    runs(root, "H-A", stamp=LATER)  # supersedes every failed run
    deleted: list[Path] = []
    monkeypatch.setattr(clean_module.shutil, "rmtree", lambda path, ignore_errors=False: deleted.append(Path(path)))
    assert main(["--workspace", str(root), "clean"]) == 0  # "killed" before any delete: rmtree does nothing
    assert deleted and all(path.parent == root / "reports" / ".trash" for path in deleted)
    assert not list((root / "reports" / STAMP).glob("*/*/*/run.json"))  # out of the store in one rename each
    assert status_json(root, capsys)["INI"]["H-A"]["runs"] == {"ok": 4, "error": 0, "timeout": 0, "interrupted": 0}


def test_a_symlinked_lock_is_refused_and_its_target_untouched(tmp_path: Path) -> None:
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    lock = tmp_path / "locks" / "key.lock"
    lock.parent.mkdir()
    lock.symlink_to(target)
    with pytest.raises(InvestigateError, match="symbolic link"):
        FileLock(lock).try_acquire()
    assert target.read_text() == "keep me" and not is_locked(lock)


def test_outputs_follow_the_umask_keep_modes_and_write_through_links(make_ws, capsys, tmp_path: Path) -> None:
    root = build(make_ws)
    runs(root, "H-A")
    previous = os.umask(0o027)
    try:
        fresh = tmp_path / "fresh.md"
        assert main(["--workspace", str(root), "summary", "INI", "-o", str(fresh), "--no-figures"]) == 0
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o640
        fresh.chmod(0o604)
        assert main(["--workspace", str(root), "summary", "INI", "-o", str(fresh), "--no-figures"]) == 0
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o604
        link = tmp_path / "link.md"
        link.symlink_to(fresh)
        assert main(["--workspace", str(root), "summary", "INI", "-o", str(link), "--no-figures"]) == 0
        assert link.is_symlink() and fresh.read_text().startswith("# INI Final Summary")
    finally:
        os.umask(previous)


@pytest.mark.parametrize("where", ["record", "run_dir", "index"])
def test_no_output_is_written_into_the_store(make_ws, capsys, where) -> None:
    root = build(make_ws)
    record_path = runs(root, "H-A")[0]
    before = record_path.read_bytes()
    target = {
        "record": record_path,
        "run_dir": record_path.parent / "summary.md",
        "index": root / "reports" / ".index.sqlite",
    }[where]
    assert main(["--workspace", str(root), "summary", "INI", "-o", str(target), "--no-figures"]) == 1
    assert "refusing to write into the evidence store" in capsys.readouterr().err
    assert record_path.read_bytes() == before and not (record_path.parent / "summary.md").exists()
