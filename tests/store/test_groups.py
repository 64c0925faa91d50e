"""One group of the store at a time: walked from the index's listings while they hold, read when they do not."""

import os
import time

import pytest

import investigate.store.groups as storegroups
from investigate.cli.main import main
from investigate.store.groups import prewarm, recall, walk
from investigate.store.index import open_index
from tests.store.test_records import age
from tests.views.test_overview import STAMP, build, runs


@pytest.fixture
def indexed(make_ws, capsys):
    root = build(make_ws)
    runs(root, "H-A")
    age(root)
    assert main(["--workspace", str(root), "status"]) == 0
    capsys.readouterr()
    with open_index(root / "reports") as index:
        assert index is not None
        cached = index.groups({"H-A"})
    return root, cached


def test_an_unchanged_group_is_recalled_from_the_index(indexed) -> None:
    root, cached = indexed
    path = f"{STAMP}/H-A"
    group = walk(str(root / "reports"), path, cached[path], time.time_ns())
    assert not group.relisted and recall(group, cached[path])
    assert group.owners == {"H-A": 4} and group.problems == {} and group.names.count("\n") == 3


def test_a_run_directory_added_to_a_listed_point_is_seen(indexed) -> None:
    root, cached = indexed
    path = f"{STAMP}/H-A"
    point = root / "reports" / STAMP / "H-A" / "scenario=s1"
    (point / "a-seed1").mkdir()
    (point / "a-seed1" / "run.json").write_text((point / "a-seed0" / "run.json").read_text())
    group = walk(str(root / "reports"), path, cached[path], time.time_ns())
    assert group.relisted and not recall(group, cached[path])
    assert "scenario=s1/a-seed1" in group.names.split("\n")


def test_a_file_rewritten_in_place_is_not_recalled(indexed) -> None:
    root, cached = indexed
    path = f"{STAMP}/H-A"
    run_json = root / "reports" / STAMP / "H-A" / "scenario=s2" / "b-seed0" / "run.json"
    with open(run_json, "r+") as handle:  # same inode, same size, new mtime
        handle.write(run_json.read_text())
    group = walk(str(root / "reports"), path, cached[path], time.time_ns())
    assert not group.relisted and not recall(group, cached[path])


def test_a_cold_disk_is_warmed_from_several_threads_and_a_warm_one_left_alone(indexed, monkeypatch) -> None:
    root, cached = indexed
    stats: list[str] = []
    real = os.stat

    def counting(path, *args, **kwargs):
        stats.append(str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(storegroups.os, "stat", counting)
    monkeypatch.setattr(storegroups, "COLD_STAT_S", 1.0)  # nothing is that slow: warm
    assert not prewarm(str(root / "reports"), cached) and len(stats) == 1  # the one sample only
    stats.clear()
    monkeypatch.setattr(storegroups, "COLD_STAT_S", 0.0)  # everything is: cold
    assert prewarm(str(root / "reports"), cached)
    group = f"{root}/reports/{STAMP}/H-A"
    expected = {group, f"{group}/scenario=s1", f"{group}/scenario=s2"} | {
        f"{group}/{point}/{run}/run.json" for point in ("scenario=s1", "scenario=s2") for run in ("a-seed0", "b-seed0")
    }
    assert set(stats[1:]) == expected and len(stats) == 1 + len(expected)
