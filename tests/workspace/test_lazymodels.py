"""A hypothesis the index knows to be valid is loaded as a head and validated only when used."""

from pathlib import Path

import pytest

import investigate.workspace.load as workspace_module
from investigate.cli.main import main
from investigate.formats.schema import Hypothesis
from investigate.workspace.lazymodels import Head, Hypotheses
from investigate.workspace.load import load_workspace
from tests.conftest import hypothesis
from tests.store.test_records import age

COUNT = 20


@pytest.fixture
def warm(make_ws, monkeypatch) -> Path:
    monkeypatch.setattr("investigate.store.files.RACY_NS", 0)  # `age` cannot put ctimes back
    files = {f"hypotheses/H-{i:02d}.yaml": hypothesis(f"H-{i:02d}", extra="initiative: INI\n") for i in range(COUNT)}
    ids = ", ".join(f"H-{i:02d}" for i in range(COUNT))
    root = make_ws(
        {**files, "plans/INI/initiative.yaml": f"id: INI\ntitle: t\nhypotheses: [{ids}]\n", "reports/.keep": ""}
    )
    age(root)
    load_workspace(root)  # parses, validates and caches every file
    return root


@pytest.fixture
def validated(monkeypatch) -> list[str]:
    """Ids of the hypotheses the workspace validated."""
    names: list[str] = []
    real = workspace_module._validate

    def counting(ws, model, path, *data):
        if model is Hypothesis:
            names.append(Path(path).stem)
        return real(ws, model, path, *data)

    monkeypatch.setattr(workspace_module, "_validate", counting)
    return names


def test_a_warm_load_validates_no_hypothesis_until_one_is_used(warm, validated, capsys) -> None:
    ws = load_workspace(warm)
    assert validated == [] and len(ws.hypotheses) == COUNT and "H-03" in ws.hypotheses
    assert ws.hypotheses.head("H-03") == Head("H-03", "t H-03", "INI")
    assert main(["--workspace", str(warm), "list"]) == 0  # evaluates every hypothesis once, caches the rows
    validated.clear()
    assert main(["--workspace", str(warm), "list"]) == 0
    assert "t H-07" in capsys.readouterr().out and validated == []  # rows from the index, titles from heads
    model = ws.hypotheses["H-03"]
    assert validated == ["H-03"] and ws.hypotheses["H-03"] is model  # once
    assert model == Hypothesis.model_validate(
        {"id": "H-03", "title": "t H-03", "statement": "s", "prediction": "p", "initiative": "INI"}
    )


def test_a_file_recached_since_loading_is_read_from_the_file(warm) -> None:
    ws = load_workspace(warm)
    path = warm / "hypotheses" / "H-05.yaml"
    path.write_text(hypothesis("H-05", extra="initiative: INI\n").replace("title: t H-05", "title: edited"))
    age(path.parent)
    load_workspace(warm)  # another load caches the edited file: the first one's stat no longer matches
    assert ws.hypotheses["H-05"].title == "edited"  # never the old head's data under the new stat


def test_the_mapping_behaves_like_a_dict_of_models() -> None:
    a = Hypothesis(id="H-A", title="a", statement="s", prediction="p")
    b = Hypothesis(id="H-B", title="b", statement="s", prediction="p")
    lazy = Hypotheses()
    lazy.put(a)
    lazy.defer(Head("H-B", "b", None), lambda: b)
    assert list(lazy) == ["H-A", "H-B"] and len(lazy) == 2
    assert lazy == {"H-A": a, "H-B": b} and lazy.get("H-C") is None
    with pytest.raises(KeyError):
        lazy["H-C"]
