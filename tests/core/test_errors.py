"""The one spelling of key paths and located errors."""

from investigate.core.errors import UnknownIdError, ValidationError, key_text, located


def test_key_text_spells_indices_in_brackets() -> None:
    assert key_text(("verdict", "confirmed", "all", 1)) == "verdict.confirmed.all[1]"
    assert key_text(("experiment", "seeds", 0)) == "experiment.seeds[0]"
    assert key_text((0, "a")) == "[0].a"
    assert key_text(()) == ""


def test_located_error_reads_file_line_key_reason() -> None:
    error = located("hypotheses/H-A.yaml", 7, ("experiment", "arms", "stale"), "bad arm")
    assert isinstance(error, ValidationError)
    assert str(error) == "hypotheses/H-A.yaml:7: experiment.arms.stale: bad arm"
    assert str(located("f.yaml", None, (), "empty")) == "f.yaml: empty"


def test_unknown_id_suggests_the_closest() -> None:
    error = UnknownIdError("hypothesis", "H-CONFG", ["H-CONFIG", "H-GRIDSIZE"])
    assert error.suggestions == ["H-CONFIG"] and "did you mean H-CONFIG?" in str(error)
