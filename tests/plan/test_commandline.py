"""``command:`` semantics and the runtime settings (shell, python, env, cwd), end to end through ``main``.

The experiment is a small shell script that writes what it was given into metrics.json.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from investigate.cli.main import main
from investigate.plan.expand import Filters, expand
from investigate.plan.fingerprint import digest
from investigate.store.records import read_records
from investigate.workspace.load import load_workspace
from tests.conftest import EXPERIMENTS, hypothesis

# argc, the arguments joined by spaces, where it ran and one variable of its environment
ARGS_SH = """
out=$1; shift
printf '{"argc": %s, "args": "%s", "cwd": "%s", "greeting": "%s"}' "$#" "$*" "$(pwd)" "${GREETING:-unset}" > "$out/metrics.json"
"""
# the user's original code: it assumes it owns memoized_data/ in its working directory
MEMO_SH = """
mkdir memoized_data || exit 3
echo '{"made": true}' > "$1/metrics.json"
"""
# measures something, then fails
PARTIAL_SH = """
echo '{"loss": 0.5, "epochs": 3}' > "$1/metrics.json"
echo "Traceback (most recent call last):" >&2
echo "RuntimeError: diverged at epoch 3" >&2
exit 3
"""
PROBE_PY = """
import json, os, sys
json.dump({"wrapped": os.environ.get("INTERP_WRAPPED", "no"), "pythonpath": os.environ.get("PYTHONPATH", "unset")},
          open(os.path.join(sys.argv[1], "metrics.json"), "w"))
"""
WHICH_PY = """
import os


def which(params, ctx):
    return {"wrapped": os.environ.get("INTERP_WRAPPED", "no"), "cwd": os.getcwd(), "mode": os.environ.get("MODE", "")}
"""


def ws_files(**hyps: str) -> dict[str, str]:
    files = {
        "args.sh": ARGS_SH,
        "memo.sh": MEMO_SH,
        "partial.sh": PARTIAL_SH,
        "probe.py": PROBE_PY,
        "exps/__init__.py": "",
        "exps/core.py": EXPERIMENTS,
        "exps/which.py": WHICH_PY,
        "interp.sh": f'#!/bin/sh\nINTERP_WRAPPED=yes exec "{sys.executable}" "$@"\n',
    }
    files.update({f"hypotheses/{hid}.yaml": hypothesis(hid, exp) for hid, exp in hyps.items()})
    return files


def build(make_ws, **hyps: str) -> Path:
    root = make_ws(ws_files(**hyps))
    interp = root / "interp.sh"
    interp.chmod(interp.stat().st_mode | stat.S_IXUSR)
    return root


def records(root: Path, hyp: str):
    return sorted(read_records(load_workspace(root), hyp), key=lambda r: (r.arm, r.seed))


def test_command_is_not_a_shell_by_default(make_ws) -> None:
    root = build(make_ws, **{"H-ARGS": 'command: "sh args.sh {run_dir} a && b"'})
    assert main(["--workspace", str(root), "run", "H-ARGS"]) == 0
    (rec,) = records(root, "H-ARGS")
    assert rec.metrics["argc"] == 3 and rec.metrics["args"] == "a && b"  # three arguments, no second command


def test_a_token_that_is_only_an_empty_placeholder_is_dropped(make_ws) -> None:
    exp = """
    command: "sh args.sh {run_dir} {flag} {name} x --name={name}"
    params: {flag: null, name: ""}
    arms: {off: {}, on: {flag: --verbose, name: "a b"}}
    """
    root = build(make_ws, **{"H-OPT": exp})
    assert main(["--workspace", str(root), "run", "H-OPT"]) == 0
    off, on = records(root, "H-OPT")
    assert (off.metrics["argc"], off.metrics["args"]) == (2, "x --name=")  # the optional arguments left out
    assert (on.metrics["argc"], on.metrics["args"]) == (4, "--verbose a b x --name=a b")  # "a b" stays one argument


def test_shell_true_runs_through_sh_with_quoted_values(make_ws) -> None:
    exp = """
    command: "sh args.sh {run_dir} {word} && echo second > {run_dir}/second.txt"
    shell: true
    params: {word: "a b; touch injected"}
    """
    root = build(make_ws, **{"H-SH": exp})
    assert main(["--workspace", str(root), "run", "H-SH"]) == 0
    (rec,) = records(root, "H-SH")
    assert rec.metrics["argc"] == 1 and rec.metrics["args"] == "a b; touch injected"  # one quoted word
    assert "second.txt" in rec.artifacts  # `&&` was the shell's
    assert not (root / "injected").exists()


def test_env_with_placeholders_and_cwd_run(make_ws) -> None:
    exp = """
    command: "sh {workspace}/args.sh {run_dir} x"
    env: {GREETING: "hello {who} seed {seed}", EMPTY: "{nothing}"}
    params: {who: world, nothing: null}
    cwd: run
    """
    root = build(make_ws, **{"H-ENV": exp})
    assert main(["--workspace", str(root), "run", "H-ENV"]) == 0
    (rec,) = records(root, "H-ENV")
    assert rec.metrics["greeting"] == "hello world seed 0"
    assert Path(rec.metrics["cwd"]).resolve() == (root / rec.run_dir).resolve()


def test_cwd_run_gives_parallel_runs_of_original_code_their_own_directory(make_ws) -> None:
    shared = 'command: "sh {workspace}/memo.sh {run_dir}"\nseeds: [0, 1]\n'
    root = build(make_ws, **{"H-SHARED": shared, "H-OWN": shared + "cwd: run\n"})
    assert main(["--workspace", str(root), "run", "H-SHARED", "--jobs", "2"]) == 4  # they collide in the root
    assert sorted(r.status for r in records(root, "H-SHARED")) == ["error", "ok"]
    assert main(["--workspace", str(root), "run", "H-OWN", "--jobs", "2"]) == 0
    own = records(root, "H-OWN")
    assert [r.status for r in own] == ["ok", "ok"] and all((root / r.run_dir / "memoized_data").is_dir() for r in own)


def test_a_failing_command_keeps_the_metrics_it_wrote(make_ws, capsys) -> None:
    exp = 'command: "sh partial.sh {run_dir}"\nmetrics: [loss, epochs]\n'
    verdict = "verdict:\n  confirmed: {metric: loss, lt: 1.0}\n"
    root = make_ws({**ws_files(), "hypotheses/H-PART.yaml": hypothesis("H-PART", exp, verdict)})
    assert main(["--workspace", str(root), "run", "H-PART"]) == 4
    (rec,) = records(root, "H-PART")
    assert rec.status == "error" and rec.metrics == {"loss": 0.5, "epochs": 3}
    assert "command exited with code 3" in rec.error and "diverged" in rec.error
    err = capsys.readouterr().err
    assert "RuntimeError: diverged at epoch 3" in err and f"(log: {rec.run_dir}/log.txt)" in err
    assert "verdicts unchanged: H-PART untested" in err  # an error run never satisfies a condition


def test_python_replaces_the_leading_python_of_a_command(make_ws, monkeypatch) -> None:
    user_path = "/nonexistent/user-path"
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([user_path, os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
    root = build(
        make_ws,
        **{
            "H-PLAIN": 'command: "python probe.py {run_dir}"',
            "H-WRAP": 'command: "python probe.py {run_dir}"\npython: ./interp.sh',
        },
    )
    assert main(["--workspace", str(root), "run", "H-PLAIN", "H-WRAP"]) == 0
    (plain,), (wrapped,) = records(root, "H-PLAIN"), records(root, "H-WRAP")
    assert plain.metrics["wrapped"] == "no" and wrapped.metrics["wrapped"] == "yes"
    # the command sees the PYTHONPATH investigate was started with, not the one its guard needs
    assert wrapped.metrics["pythonpath"] == os.environ["PYTHONPATH"]
    runtime = wrapped.key_parts["runtime"]
    assert runtime["python"] == "./interp.sh" and runtime["interpreter"]["version"].startswith("3.")
    assert "runtime" not in plain.key_parts


def test_python_runs_a_run_entry_under_that_interpreter(make_ws) -> None:
    exp = "run: exps.which:which\npython: ./interp.sh\ncwd: run\nenv: {MODE: fast}\n"
    root = build(make_ws, **{"H-WHICH": exp})
    assert main(["--workspace", str(root), "run", "H-WHICH"]) == 0
    (rec,) = records(root, "H-WHICH")
    assert rec.metrics["wrapped"] == "yes" and rec.metrics["mode"] == "fast"
    assert Path(rec.metrics["cwd"]).resolve() == (root / rec.run_dir).resolve()


def test_an_interpreter_that_cannot_run_stops_before_any_run(make_ws, capsys) -> None:
    root = build(make_ws, **{"H-NOPY": "run: exps.which:which\npython: ./no/such/python\n"})
    assert main(["--workspace", str(root), "run", "H-NOPY"]) == 1
    assert "H-NOPY: experiment.python: " in capsys.readouterr().err
    assert not (root / "reports").exists()


@pytest.mark.parametrize(
    ("exp", "message"),
    [
        ('command: "sh args.sh"\npython: ./interp.sh', "replaces a leading 'python' or 'python3'"),
        ("run: exps.core:grow\nshell: true", "shell: true applies to 'command'"),
        ("run: exps.core:grow\nenv: {BAD-NAME: x}", "not an environment variable name"),
        ("run: exps.core:grow\ncwd: elsewhere", "experiment.cwd"),
        ('command: "sh args.sh {run_dir}"\nenv: {A: "{nope}"}', "experiment.env.A: unknown placeholder {nope}"),
    ],
)
def test_validate_refuses_runtime_settings_that_cannot_work(make_ws, capsys, exp: str, message: str) -> None:
    root = build(make_ws, **{"H-BAD": exp})
    assert main(["--workspace", str(root), "validate"]) == 1
    assert message in capsys.readouterr().err


KEY_BASE = 'command: "sh args.sh {run_dir} {x}"\nparams: {x: 1}\n'


def keys(root: Path) -> dict[str, tuple[str, dict]]:
    ws = load_workspace(root)
    out = {}
    for hid in sorted(ws.hypotheses):
        (run,) = expand(ws, ws.hypothesis(hid), Filters())
        out[hid] = (run.cache_key, run.key_parts)
    return out


def test_keys_without_the_new_settings_are_what_they_were(make_ws) -> None:
    root = build(
        make_ws,
        **{
            "H-BASE": KEY_BASE,
            "H-DEFAULTS": KEY_BASE + "shell: false\ncwd: workspace\nenv: {}\n",
            "H-RUN": "run: exps.core:grow\nparams: {r: 0.5}\n",
            "H-SHELL": KEY_BASE + "shell: true\n",
            "H-CWD": KEY_BASE + "cwd: run\n",
            "H-ENV": KEY_BASE + "env: {A: '1'}\n",
        },
    )
    found = keys(root)
    for hid in ("H-BASE", "H-RUN"):
        key, parts = found[hid]
        assert set(parts) == {"entry", "params", "seed", "source", "versions"}
        old = {**parts, "source": digest(parts["source"])}  # the composition every committed key has
        assert key == digest(old)
    assert found["H-DEFAULTS"][0] == found["H-BASE"][0]  # written-out defaults change nothing
    changed = {found[h][0] for h in ("H-BASE", "H-SHELL", "H-CWD", "H-ENV")}
    assert len(changed) == 4
    assert found["H-ENV"][1]["runtime"] == {"env": {"A": "1"}} and found["H-CWD"][1]["runtime"] == {"cwd": "run"}


def test_dry_run_names_a_changed_setting(make_ws, capsys) -> None:
    root = build(make_ws, **{"H-K": KEY_BASE})
    assert main(["--workspace", str(root), "run", "H-K"]) == 0
    path = root / "hypotheses" / "H-K.yaml"
    path.write_text(path.read_text() + "  env: {A: '1'}\n")
    assert main(["--workspace", str(root), "run", "H-K", "--dry-run"]) == 0
    assert 'miss: experiment.env: unset → {"A": "1"}' in capsys.readouterr().out


@pytest.mark.parametrize(
    ("python", "message"),
    [
        ("./no/such/python", "experiment.python: ./no/such/python does not exist (resolved to "),
        ("./args.sh", "experiment.python: ./args.sh is not executable"),
        ("no-such-python3.99", "experiment.python: 'no-such-python3.99' is not found on PATH"),
    ],
)
def test_validate_checks_that_the_interpreter_exists(make_ws, capsys, python: str, message: str) -> None:
    root = build(make_ws, **{"H-PY": f"run: exps.which:which\npython: {python}\n"})
    assert main(["--workspace", str(root), "validate"]) == 1
    assert message in capsys.readouterr().err
    (root / "hypotheses" / "H-PY.yaml").write_text(hypothesis("H-PY", "run: exps.which:which\npython: ./interp.sh\n"))
    assert main(["--workspace", str(root), "validate"]) == 0
