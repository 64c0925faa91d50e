"""Workspace loading serves unchanged YAML files from the index, and reports errors exactly as before."""

from pathlib import Path

import pytest

import investigate.workspace.yamlcache as yamlcache
from investigate.core.errors import WorkspaceErrors
from investigate.workspace.load import load_workspace
from tests.conftest import hypothesis
from tests.store.test_records import age


@pytest.fixture
def parsed(monkeypatch) -> list[str]:
    """Names of the files yamlcache had to parse."""
    names: list[str] = []

    def counting(real):
        def parse(path: Path | str, shown: str, *limits: int):
            names.append(Path(path).name)
            return real(path, shown, *limits)

        return parse

    for name in ("load_yaml", "parse_yaml"):
        monkeypatch.setattr(yamlcache, name, counting(getattr(yamlcache, name)))
    return names


def ws_files(**extra: str) -> dict[str, str]:
    return {
        "hypotheses/H-A.yaml": hypothesis("H-A", extra="initiative: INI\n"),
        "hypotheses/H-B.yaml": hypothesis("H-B"),
        "plans/INI/initiative.yaml": "id: INI\ntitle: t\nhypotheses: [H-A]\n",
        "reports/.keep": "",
        **extra,
    }


def test_unchanged_files_are_not_parsed_again(make_ws, parsed) -> None:
    root = make_ws(ws_files())
    age(root)
    first = load_workspace(root)
    assert sorted(parsed) == ["H-A.yaml", "H-B.yaml", "initiative.yaml"]
    parsed.clear()
    second = load_workspace(root)
    assert parsed == []
    assert second.hypotheses == first.hypotheses and second.initiatives == first.initiatives
    (root / "hypotheses" / "H-B.yaml").write_text(hypothesis("H-B").replace("title: t H-B", "title: edited"))
    third = load_workspace(root)
    assert parsed == ["H-B.yaml"] and third.hypotheses["H-B"].title == "edited"


def test_yaml_that_json_cannot_hold_exactly_is_parsed_every_time(make_ws, parsed) -> None:
    odd = hypothesis("H-C", "run: m:f\nparams: {when: 2024-01-01, x: .nan}\n")  # a date, NaN
    root = make_ws(ws_files(**{"hypotheses/H-C.yaml": odd}))
    age(root)
    first = load_workspace(root).hypotheses["H-C"]
    parsed.clear()
    assert load_workspace(root).hypotheses["H-C"] == first
    assert parsed == ["H-C.yaml"]


def test_errors_are_reported_the_same_with_a_warm_cache(make_ws) -> None:
    root = make_ws(ws_files())
    age(root)
    load_workspace(root)
    (root / "hypotheses" / "H-B.yaml").write_text("id: H-B\ntitle: [unclosed\n")
    (root / "hypotheses" / "H-D.yaml").write_text(hypothesis("H-D") + "typo: 1\n")
    (root / "hypotheses" / "H-E.yaml").write_text("just a string\n")
    age(root / "hypotheses")
    for _ in range(2):  # cold, then with whatever was cached
        with pytest.raises(WorkspaceErrors) as info:
            load_workspace(root, all_errors=True)
        lines = str(info.value).splitlines()
        assert lines[0].startswith("hypotheses/H-B.yaml:")
        assert lines[1:] == [
            "hypotheses/H-D.yaml:5: unknown field 'typo'",
            "hypotheses/H-E.yaml:1: expected a mapping of keys, got str",
        ]


def test_forked_parsing_gives_the_same_workspace(make_ws, monkeypatch) -> None:
    files = ws_files(**{f"hypotheses/H-N{i}.yaml": hypothesis(f"H-N{i}") for i in range(20)})
    root = make_ws(files)
    serial = load_workspace(root)
    (root / "reports" / ".index.sqlite").unlink()
    monkeypatch.setattr(yamlcache.parallel, "workers", lambda items, per_worker: 3)
    forked = load_workspace(root)
    assert forked.hypotheses == serial.hypotheses and forked.initiatives == serial.initiatives


def test_without_reports_dir_nothing_is_cached(make_ws, parsed) -> None:
    files = ws_files()
    del files["reports/.keep"]
    root = make_ws(files)
    load_workspace(root)
    load_workspace(root)
    assert len(parsed) == 6  # parsed every time
    assert not (root / "reports").exists()  # a cache never creates reports/
