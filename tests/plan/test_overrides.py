"""``run --arm`` and ``run -p/--set KEY=VALUE``: typed, checked, recorded, keyed, and not evidence."""

from __future__ import annotations

import json

import pytest

from investigate.cli.main import main
from investigate.core.errors import InvestigateError
from investigate.plan.overrides import apply_overrides, parse_overrides
from investigate.store.records import read_records
from investigate.workspace.load import load_workspace


def test_values_are_typed_as_yaml_and_nested_keys_are_dotted() -> None:
    parsed = parse_overrides(["lr=1e-3", "clip=true", "sizes=[16, 32]", "name=gs2", "optim.beta=0.9", "+note=x"])
    assert parsed == {"lr": 0.001, "clip": True, "sizes": [16, 32], "name": "gs2", "optim.beta": 0.9, "+note": "x"}
    params = {"lr": 0.5, "clip": False, "sizes": [8], "name": "gs1", "optim": {"beta": 0.5}}
    out = apply_overrides(params, parsed, "H-X")
    assert out == {"lr": 0.001, "clip": True, "sizes": [16, 32], "name": "gs2", "optim": {"beta": 0.9}, "note": "x"}
    assert params["optim"] == {"beta": 0.5}  # the experiment's own params are left alone


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (["lr"], "expects KEY=VALUE"),
        (["lr=[1,"], "the value is not YAML"),
        (["lrate=0.1"], "unknown param 'lrate' (did you mean lr?) (write +lrate=... to add it)"),
        (["lr.x=1"], "lr is float, not a mapping of params"),
    ],
)
def test_bad_overrides_are_user_errors(items: list[str], message: str) -> None:
    with pytest.raises(InvestigateError) as caught:
        apply_overrides({"lr": 0.5}, parse_overrides(items), "H-X")
    assert message in str(caught.value)


def test_an_arm_and_an_override_run_is_recorded_keyed_and_not_evidence(numpy_ws, capsys) -> None:
    ws_args = ["--workspace", str(numpy_ws)]
    assert main([*ws_args, "run", "H-STEP-SIZE", "--arm", "raw", "-p", "lr=0.1", "--set", "steps=50"]) == 0
    records = read_records(load_workspace(numpy_ws), "H-STEP-SIZE")
    assert len(records) == 6 and {r.arm for r in records} == {"raw"}
    assert all(r.overrides == {"lr": 0.1, "steps": 50} and r.params["lr"] == 0.1 for r in records)
    run_json = json.loads((numpy_ws / records[0].run_dir / "run.json").read_text())
    assert run_json["overrides"] == {"lr": 0.1, "steps": 50}
    capsys.readouterr()
    assert main([*ws_args, "show", "H-STEP-SIZE"]) == 0
    assert "verdict:    untested" in capsys.readouterr().out  # a one-off variant decides nothing
    assert main([*ws_args, "run", "H-STEP-SIZE", "--arm", "raw", "--dry-run"]) == 0
    assert "miss: params lr: 0.1 → 0.5, steps: 50 → 2000" in capsys.readouterr().out
    assert main([*ws_args, "run", "H-STEP-SIZE", "--arm", "rwa"]) == 1
    assert "unknown arm of H-STEP-SIZE 'rwa' (did you mean raw?)" in capsys.readouterr().err
