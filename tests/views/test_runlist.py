"""run_page: every page is the slice of the full filtered list (newest first per hypothesis, hypotheses in
id order), reading only as many hypotheses as the page needs."""

from __future__ import annotations

from pathlib import Path

from investigate.store.records import read_records
from investigate.views.runlist import RunFilter, run_page, where_from
from investigate.workspace.load import load_workspace
from tests.conftest import MakeWs, hypothesis
from tests.records import write_run

EXPERIMENT = """
run: m:f
matrix: {L: [1.0, 5.0]}
arms: {a: {}, b: {}}
seeds: [0, 1, 2]
"""


def build(make_ws: MakeWs) -> Path:
    root = make_ws({f"hypotheses/H-{n}.yaml": hypothesis(f"H-{n}", EXPERIMENT) for n in "ABC"})
    for n in "ABC":
        for arm in ("a", "b"):
            for L in (1.0, 5.0):
                for seed in range(3):
                    write_run(
                        root, f"H-{n}", arm, seed, {"x": seed}, point={"L": L}, status="error" if seed == 2 else "ok"
                    )
    return root


def test_pages_are_slices_of_the_whole_list(make_ws: MakeWs) -> None:
    ws = load_workspace(build(make_ws))
    filt = RunFilter(arm="b", status="ok", where={"L": "5"})
    expected = [r.run_id for h in ("H-A", "H-B", "H-C") for r in reversed(read_records(ws, h)) if filt.keeps(r)]
    assert len(expected) == 6  # 3 hypotheses x seeds 0, 1 of arm b at L=5.0
    pages = [run_page(ws, filt, offset, 3) for offset in (0, 3)]
    assert [r.run_id for p in pages for r in p.records] == expected
    assert pages[0].has_more and not pages[1].has_more
    assert pages[0].hypotheses_read == 2  # 2 + 2 matching runs: a page of 3 and one more
    assert pages[0].total is None  # unknown across hypotheses without reading them all
    single = run_page(ws, RunFilter(hypothesis="H-B"), 10, 5)
    assert single.total == 12 and len(single.records) == 2 and not single.has_more
    assert all(r.run_id in single.counts for r in single.records)  # no record is superseded here


def test_matrix_values_match_as_written_or_as_yaml_reads_them(make_ws: MakeWs) -> None:
    ws = load_workspace(build(make_ws))
    for text in ("5", "5.0", "5e0"):
        assert len(run_page(ws, RunFilter(hypothesis="H-A", where={"L": text})).records) == 6
    assert run_page(ws, RunFilter(hypothesis="H-A", where={"L": "6"})).records == []
    assert where_from({"m.L": "5", "m.": "x", "arm": "a", "m.seed": ""}) == {"L": "5"}
