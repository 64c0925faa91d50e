"""Every --json output is strict JSON: non-finite floats are the strings "NaN" / "Infinity"."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from investigate.cli.main import main
from investigate.core.jsonout import dumps, finite


def strict_loads(text: str):
    def refuse(token: str):
        raise ValueError(f"not JSON: {token}")

    return json.loads(text, parse_constant=refuse)


def test_finite_replaces_non_finite_floats_everywhere() -> None:
    data = {"a": math.nan, "b": [1.0, math.inf, {"c": -math.inf, "d": (2, math.nan)}], "e": None, "f": "NaN"}
    assert finite(data) == {
        "a": "NaN",
        "b": [1.0, "Infinity", {"c": "-Infinity", "d": [2, "NaN"]}],
        "e": None,
        "f": {"string": "NaN"},  # the text "NaN" kept apart from the float
    }
    assert finite(math.nan) == "NaN" and finite(1.5) == 1.5 and finite("-Infinity") == {"string": "-Infinity"}
    assert finite("nan") == "nan" and finite("NaN!") == "NaN!"  # only the three exact spellings are wrapped
    assert strict_loads(dumps(data))["b"][1] == "Infinity"
    assert float(strict_loads(dumps(data))["a"]) != float(strict_loads(dumps(data))["a"])  # NaN reads back


def test_deep_nesting_needs_no_recursion() -> None:
    deep: list = [math.nan]
    for _ in range(5000):
        deep = [deep]
    out = finite(deep)  # json itself recurses per level; the YAML depth limit keeps real data shallow
    for _ in range(5000):
        out = out[0]
    assert out == ["NaN"]


def test_every_json_output_parses_strictly(numpy_ws: Path, capsys) -> None:
    # L=5.0: the raw arm diverges, so final_loss is NaN (or inf) in its records
    assert main(["--workspace", str(numpy_ws), "run", "H-STEP-SIZE", "--where", "L=5.0", "--seeds", "0"]) == 0
    capsys.readouterr()
    shown = None
    for argv in (
        ["show", "H-STEP-SIZE", "--json"],
        ["show", "TOY-GD-001", "--json"],
        ["list", "--json"],
        ["status", "--json"],
        ["tree", "--json"],
        ["tree", "--format", "json"],
    ):
        main([*argv, "--workspace", str(numpy_ws)])  # --workspace after the command works too
        out = capsys.readouterr().out
        data = strict_loads(out)
        if argv[:2] == ["show", "H-STEP-SIZE"]:
            shown = data
    assert shown is not None
    raw = next(r for r in shown["runs"] if r["arm"] == "raw")
    assert raw["metrics"]["final_loss"] in ("NaN", "Infinity")
    assert main(["audit", "--json", "--workspace", str(numpy_ws)]) in (0, 1)
    strict_loads(capsys.readouterr().out)


def test_tree_json_is_an_alias(numpy_ws: Path, capsys) -> None:
    assert main(["--workspace", str(numpy_ws), "tree", "--json"]) == 0
    one = capsys.readouterr().out
    assert main(["--workspace", str(numpy_ws), "tree", "--format", "json"]) == 0
    assert one == capsys.readouterr().out and json.loads(one)[0]["initiative"] == "TOY-GD-001"


def test_global_options_after_the_command(numpy_ws: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # no workspace here: only the option can find it
    assert main(["list", "--workspace", str(numpy_ws)]) == 0
    assert "H-STEP-SIZE" in capsys.readouterr().out
    # given before the command it is kept (the sub-command does not reset it)
    assert main(["--workspace", str(numpy_ws), "list"]) == 0
    capsys.readouterr()
    assert main(["list", "--workspace", str(tmp_path / "missing")]) == 1
    assert "not a directory" in capsys.readouterr().err
    with pytest.raises(Exception):  # noqa: B017 - --debug after the command re-raises like before it
        main(["show", "H-NOPE", "--debug", "--workspace", str(numpy_ws)])


def test_show_json_keeps_a_float_nan_and_the_text_nan_apart(make_ws, capsys) -> None:
    from tests.conftest import hypothesis

    exp_py = "def both(params, ctx):\n    return {'x': float('nan'), 'y': 'NaN'}\n"
    root = make_ws({"exps/__init__.py": "", "exps/both.py": exp_py,
                    "hypotheses/H-N.yaml": hypothesis("H-N", "run: exps.both:both")})  # fmt: skip
    assert main(["--workspace", str(root), "run", "H-N"]) == 0
    capsys.readouterr()
    assert main(["--workspace", str(root), "show", "H-N", "--json"]) == 0
    (run,) = strict_loads(capsys.readouterr().out)["runs"]
    assert run["metrics"] == {"x": "NaN", "y": {"string": "NaN"}}
