"""Feed the CLI hostile input files; print one JSON line per command: exit code, stderr, peak RSS, time.

Each command runs ``python -m investigate`` in its own process under a 3 GiB address-space cap and
a 120 s timeout, so a case that would exhaust memory ends in MemoryError instead of taking the
machine down. Usage: python benchmarks/bench_bad_inputs.py [TREE]   (TREE: the source tree to
import, e.g. an older checkout to compare with; default: this repository). ONLY=<prefix> runs the
cases whose name starts with it.
"""

from __future__ import annotations

import itertools
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

TREE = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[1]).resolve()
CAP = 3 * 1024**3
PYPROJECT = '[tool.investigate]\nhypotheses = "hypotheses"\nplans = "plans"\nreports = "reports"\n'
HEAD = "id: {id}\ntitle: t\nstatement: s\nprediction: p\n"


def bomb() -> str:
    levels = "abcdefghi"
    lines = [f"    a: &a [{','.join('x' * 9)}]"]
    for prev, name in itertools.pairwise(levels):
        lines.append(f"    {name}: &{name} [{','.join(['*' + prev] * 9)}]")
    return "experiment:\n  run: toy:fn\n  params:\n" + "\n".join(lines) + "\n"


def chain(n: int) -> str:
    # One confirmed hypothesis on every node: the walk follows all n edges.
    nodes = "".join(
        f"    n{i}:\n      question: q\n      hypothesis: H-A\n      confirmed: n{i + 1}\n" for i in range(n)
    )
    return f"id: TREE\ntitle: t\nhypotheses: [H-A]\ndecision_tree:\n  start: n0\n  nodes:\n{nodes}    n{n}: {{question: end}}\n"


CONFIRMED = (
    HEAD.format(id="H-A")
    + "initiative: TREE\nexperiment: {run: toy:fn}\nverdict:\n  confirmed: {metric: m, equals: 1}\n"
)
RECORD = json.dumps(
    {
        "run_id": "r",
        "hypothesis": "H-A",
        "entry": "toy:fn",
        "arm": "default",
        "point": {},
        "seed": 0,
        "params": {},
        "status": "ok",
        "metrics": {"m": 1},
        "started_at": "2024-01-01T00:00:00Z",
        "duration_s": 0.1,
        "cache_key": "k",
    }
)


def tree_files(n: int) -> dict[str, bytes]:
    return {
        "plans/TREE/initiative.yaml": chain(n).encode(),
        "hypotheses/H-A.yaml": CONFIRMED.encode(),
        "reports/2024-01-01T000000Z/H-A/all/default-seed0/run.json": RECORD.encode(),
    }


def matrix(keys: int) -> str:
    rows = "".join(f"    k{k}: [{', '.join(str(v) for v in range(10))}]\n" for k in range(keys))
    return f"experiment:\n  run: toy:fn\n  matrix:\n{rows}  arms: {{a: {{}}, b: {{}}}}\n  seeds: [0, 1, 2]\n"


def nested(depth: int) -> str:
    return "experiment:\n  run: toy:fn\n  params: {deep: " + "[" * depth + "]" * depth + "}\n"


ONLY = os.environ.get("ONLY", "")
CASES: list[tuple[str, dict[str, bytes], list[list[str]]]] = [
    (
        "1 alias bomb",
        {"hypotheses/H-A.yaml": (HEAD.format(id="H-A") + bomb()).encode()},
        [["show", "H-A"], ["run", "H-A", "--dry-run"], ["validate"]],
    ),
    (
        "1 alias bomb + schema error",
        {"hypotheses/H-A.yaml": (HEAD.format(id="H-A") + bomb() + "bogus: 1\n").encode()},
        [["validate"]],
    ),
    (
        "1b recursive alias",
        {
            "hypotheses/H-A.yaml": (
                HEAD.format(id="H-A") + "experiment:\n  run: toy:fn\n  params: {a: &a [1, *a]}\n"
            ).encode()
        },
        [["show", "H-A"], ["validate"]],
    ),
    (
        "1c list nested 985 deep",
        {"hypotheses/H-A.yaml": (HEAD.format(id="H-A") + nested(985)).encode()},
        [["show", "H-A", "--json"], ["run", "H-A", "--dry-run"]],
    ),
    (
        "2 2 MB file",
        {"hypotheses/H-A.yaml": (HEAD.format(id="H-A") + "notes: " + "x" * 2_000_000 + "\n").encode()},
        [["validate"], ["list"]],
    ),
    (
        "3 invalid UTF-8",
        {
            "hypotheses/H-A.yaml": HEAD.format(id="H-A").encode() + b"notes: caf\xe9\n",
            "hypotheses/H-B.yaml": (HEAD.format(id="H-B") + "bogus: 1\n").encode(),
        },
        [["list"], ["show", "H-A"], ["validate"]],
    ),
    ("3b pyproject invalid UTF-8", {"pyproject.toml": PYPROJECT.encode() + b"# caf\xe9\n"}, [["list"]]),
    ("4 duplicate key", {"hypotheses/H-A.yaml": (HEAD.format(id="H-A") + "title: again\n").encode()}, [["validate"]]),
    ("5 id with trailing newline", {"hypotheses/H-A.yaml": (HEAD.format(id='"H-A\\n"')).encode()}, [["validate"]]),
    (
        "5 arm with trailing newline",
        {
            "hypotheses/H-A.yaml": (
                HEAD.format(id="H-A") + 'experiment:\n  run: toy:fn\n  arms: {"a\\n": {}}\n'
            ).encode()
        },
        [["validate"]],
    ),
    (
        "6 matrix 10^7 points",
        {"hypotheses/H-A.yaml": (HEAD.format(id="H-A") + matrix(7)).encode()},
        [["run", "H-A", "--dry-run"], ["validate"]],
    ),
    ("7 tree chain 1,000", tree_files(1000), [["tree"], ["validate"], ["status"]]),
    ("7 tree chain 10,000", tree_files(10000), [["tree"], ["tree", "--format", "mermaid"], ["validate"]]),
]


def limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (CAP, CAP))


def run_case(root: Path, argv: list[str]) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(TREE)}
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "investigate", "--workspace", str(root), *argv],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
            preexec_fn=limit,
        )
        timer = threading.Timer(120, proc.kill)
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak RSS
        timer.cancel()
        wall = time.perf_counter() - t0
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        err.seek(0)
        text = err.read().decode(errors="replace").strip().splitlines()
    return {
        "argv": " ".join(argv),
        "exit": code if wall < 120 else "timeout",
        "stderr": (text[0] if text else "")[:200],
        "lines": len(text),
        "peak_rss_mb": round(usage.ru_maxrss / 1024),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),  # steadier than wall time on a busy machine
        "wall_s": round(wall, 2),
    }


def main() -> None:
    results = []
    for name, files, commands in CASES:
        if ONLY and not name.startswith(ONLY):
            continue
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            (root / "pyproject.toml").write_text(PYPROJECT)
            (root / "toy.py").write_text("def fn(params, ctx):\n    return {}\n")
            for rel, data in files.items():
                (root / rel).parent.mkdir(parents=True, exist_ok=True)
                (root / rel).write_bytes(data)
            for argv in commands:
                results.append({"case": name, **run_case(root, argv)})
                print(json.dumps(results[-1]), flush=True)


if __name__ == "__main__":
    main()
