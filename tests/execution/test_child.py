"""A run's own process decides: metric keys that JSON would merge, and an exit status after the result."""

from __future__ import annotations

import pytest

from investigate.cli.main import main
from investigate.execution.child import check_metrics, load_metrics_json
from investigate.store.records import read_records
from investigate.workspace.load import load_workspace
from tests.conftest import hypothesis

ODD_PY = """
import atexit, os


def merged(params, ctx):
    return {1: 1.0, "1": 2.0, True: 3.0}


def late_exit(params, ctx):
    atexit.register(os._exit, 7)
    return {"loss": 0.5}
"""


def test_keys_are_named_as_json_names_them_and_must_stay_apart() -> None:
    assert check_metrics({7: 1, True: 2, None: 3, 2.5: 4, "a": 5}) == {"7": 1, "true": 2, "null": 3, "2.5": 4, "a": 5}
    with pytest.raises(TypeError, match=r"metric keys 1 and '1' are both '1' in JSON"):
        check_metrics({1: 1.0, "1": 2.0})
    with pytest.raises(TypeError, match="metric keys must be strings"):
        check_metrics({(1, 2): 1})
    with pytest.raises(ValueError, match="key 'a' appears twice"):
        load_metrics_json('{"a": 1, "a": 2}')


def one_record(root, hid: str):
    (rec,) = read_records(load_workspace(root), hid)
    return rec


@pytest.fixture
def root(make_ws):
    return make_ws({
        "exps/__init__.py": "", "exps/odd.py": ODD_PY,
        "hypotheses/H-MERGED.yaml": hypothesis("H-MERGED", "run: exps.odd:merged"),
        "hypotheses/H-LATE.yaml": hypothesis("H-LATE", "run: exps.odd:late_exit"),
        "hypotheses/H-DUP.yaml": hypothesis("H-DUP", "command: sh dup.sh {run_dir}"),
        "dup.sh": 'echo \'{"loss": 1, "loss": 2}\' > "$1/metrics.json"\n',
    })  # fmt: skip


def test_keys_that_json_merges_make_the_run_an_error_naming_them(root) -> None:
    assert main(["--workspace", str(root), "run", "H-MERGED"]) == 4
    rec = one_record(root, "H-MERGED")
    assert rec.status == "error" and "metric keys 1 and '1' are both '1' in JSON" in (rec.error or "")
    assert main(["--workspace", str(root), "run", "H-DUP"]) == 4
    rec = one_record(root, "H-DUP")
    assert rec.status == "error" and "key 'loss' appears twice" in (rec.error or "")


def test_an_exit_status_after_a_successful_return_is_an_error(root) -> None:
    assert main(["--workspace", str(root), "run", "H-LATE"]) == 4
    rec = one_record(root, "H-LATE")
    assert rec.status == "error" and rec.error.startswith("run process exited with code 7 after its experiment")
    assert rec.metrics == {"loss": 0.5}  # what it returned is kept as an observation
