"""Figures: one file per metric however alike two names are, and '$' drawn as a character."""

from __future__ import annotations

import pytest

from investigate.cli.main import main
from investigate.rules.verification import FigureData
from tests.views.hostile_ws import build


def test_file_names_never_meet() -> None:
    names = ["loss/val", "loss_val", "loss val", "loss~val", ".hidden", "x" * 300, "loss_val~0123456789"]
    files = [FigureData(n, "r", [], []).filename for n in names]
    assert len(set(files)) == len(files)
    assert files[1] == "loss_val.png" and files[0].startswith("loss_val~") and files[0].endswith(".png")
    assert all("/" not in f and not f.startswith(".") and len(f) <= 100 for f in files)


def test_alike_metrics_get_their_own_figures_and_dollars_do_not_crash(make_ws, capsys) -> None:
    pytest.importorskip("matplotlib")
    root = build(make_ws)
    out = root / "summary.md"
    assert main(["--workspace", str(root), "summary", "ODD-001", "-o", str(out)]) == 0
    figures = root / "reports" / "ODD-001" / "figures"
    files = sorted(p.name for p in figures.iterdir())
    assert len(files) == 3 and "loss_val.png" in files  # loss/val, loss_val and "cost $^$" each drawn
    contents = {(figures / f).read_bytes() for f in files}
    assert len(contents) == 3  # three different pictures, not one drawn twice
    text = out.read_text()
    for name in files:
        assert f"(reports/ODD-001/figures/{name})" in text
