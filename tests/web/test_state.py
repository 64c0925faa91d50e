"""LiveWorkspace: hypothesis files are read again when they change; a broken edit is reported until fixed."""

from __future__ import annotations

import pytest

from investigate.core.errors import InvestigateError
from investigate.web import state
from investigate.web.state import LiveWorkspace
from tests.conftest import MakeWs, hypothesis


def test_edits_are_picked_up_and_a_broken_file_is_reported(make_ws: MakeWs, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_ws({"hypotheses/H-A.yaml": hypothesis("H-A")})
    live = LiveWorkspace(root)
    assert sorted(live.get().hypotheses) == ["H-A"]
    (root / "hypotheses" / "H-B.yaml").write_text(hypothesis("H-B"))
    assert sorted(live.get().hypotheses) == ["H-A"]  # within RECHECK_S: the last load
    monkeypatch.setattr(state, "RECHECK_S", 0.0)
    assert sorted(live.get().hypotheses) == ["H-A", "H-B"]
    (root / "hypotheses" / "H-B.yaml").write_text("id: H-B\ntitle: [\n")
    with pytest.raises(InvestigateError, match=r"H-B\.yaml"):
        live.get()
    with pytest.raises(InvestigateError, match=r"H-B\.yaml"):
        live.get()  # still broken: still said, not the stale workspace
    (root / "hypotheses" / "H-B.yaml").write_text(hypothesis("H-B", extra="notes: fixed\n"))
    assert live.get().hypothesis("H-B").notes == "fixed"
