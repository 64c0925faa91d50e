"""``status`` and ``list`` start walking the store before the workspace loads (``overview.start``),
in forked workers: the answers must be exactly those of the ordinary survey, whatever changed.

Each call runs in a fresh interpreter (forking is used only from a single-threaded process), with
``parallel.workers`` forced to 2 so that a small store is split as a large one would be.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from investigate.workspace.load import load_workspace
from tests.conftest import hypothesis
from tests.store.test_records import age, put, record
from tests.views.test_overview import EXPERIMENT, LATER, RULES, build, runs

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forked workers are used on Linux only")

SCRIPT = """
import json, sys
import investigate.views.overview as overview
import investigate.views.parallel as parallel
import investigate.views.firstsurvey as firstsurvey
import investigate.views.survey as survey
from investigate.cli.main import main

parallel.workers = lambda items, per_worker: 2
early = sys.argv[1] in ("early", "failing")
if sys.argv[1] == "failing":  # every worker dies after its first answer: the command does it all
    def first_survey(task):
        yield []
        raise SystemExit(3)
    firstsurvey.first_survey = first_survey
started, taken = [], []
real = overview.start
def start(where):
    handle = real(where) if early else None
    started.append(handle is not None)
    return handle
overview.start = start
real_surveys = survey.Early.surveys
def surveys(self):
    found = real_surveys(self)
    taken.append(found is not None)
    return found
survey.Early.surveys = surveys
code = main(sys.argv[2:])
print(json.dumps({"code": code, "started": started, "taken": taken}), file=sys.stderr)
"""

EDITED_WHILE_WALKING = """
import json, sys, time
from pathlib import Path
import investigate.views.parallel as parallel
from investigate.views.overview import overview, start
from investigate.workspace.load import load_workspace

parallel.workers = lambda items, per_worker: 2
root = Path(sys.argv[1])
early = start(root)
assert early is not None
time.sleep(1)  # the workers have taken (or parsed) H-B, under the stat its file had then
path = root / "hypotheses" / "H-B.yaml"
path.write_text(path.read_text().replace("lt: 0.5", "gt: 0.8").replace("ge: 0.5", "ge: 1.0"))
print(json.dumps(overview(load_workspace(root), early=early).rows))
"""


def cli(root: Path, mode: str, *argv: str) -> tuple[object, list[bool], list[bool]]:
    """The command's JSON, whether a survey was started early, and whether its workers' answers
    were taken (False: they failed, and the command surveyed the store itself)."""
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode, "--workspace", str(root), *argv],
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(done.stderr.strip().splitlines()[-1])
    assert report["code"] == 0, done.stderr
    return json.loads(done.stdout), report["started"], report["taken"]


def same_both_ways(root: Path, command: str = "status", *, first: bool = False, mode: str = "early") -> object:
    """The answer with the early start, checked against the ordinary survey (``first``: both
    without an index, as on the first call)."""
    if first:
        (root / "reports" / ".index.sqlite").unlink(missing_ok=True)
    early, started, taken = cli(root, mode, command, "--json")
    if first:
        (root / "reports" / ".index.sqlite").unlink()
    plain, _, _ = cli(root, "plain", command, "--json")
    assert started == [True] and taken == [mode != "failing"]
    assert early == plain
    return early


def workspace(make_ws) -> Path:
    extra = {f"H-X{i}": hypothesis(f"H-X{i}", EXPERIMENT, RULES) for i in range(4)}
    root = build(make_ws, **extra)
    for i, hyp in enumerate(["H-A", "H-B", *extra]):
        runs(root, hyp, loss=0.1 + 0.2 * (i % 2))
    age(root)
    return root


@pytest.fixture
def indexed(make_ws) -> Path:
    root = workspace(make_ws)
    _, started, taken = cli(root, "early", "status", "--json")
    assert started == taken == [True]  # no index yet: a first survey, which builds it
    return root


def test_a_first_survey_gives_the_rows_of_the_ordinary_one(make_ws) -> None:
    root = workspace(make_ws)
    data = same_both_ways(root, first=True)
    assert data["INI"]["H-A"]["verdict"] == data["INI"]["H-B"]["verdict"] == "confirmed"
    same_both_ways(root, "list", first=True)
    assert same_both_ways(root, first=True, mode="failing") == data  # its workers died: done without them


def test_no_first_survey_where_the_index_has_the_files_parsed_already(make_ws) -> None:
    root = workspace(make_ws)
    load_workspace(root)  # what any command does first: the parsed files are in the index now
    data, started, _ = cli(root, "early", "status", "--json")
    assert started == [False] and data["INI"]["H-A"]["verdict"] == "confirmed"


def test_a_first_survey_reports_evaluation_errors_and_odd_files_as_the_ordinary_one(make_ws) -> None:
    root = workspace(make_ws)
    path = root / "hypotheses" / "H-X1.yaml"
    path.write_text(path.read_text().replace("metric: loss", "metric: lost"))  # in none of the runs
    (root / "hypotheses" / "H-X2.yml").write_text((root / "hypotheses" / "H-X2.yaml").read_text())
    (root / "hypotheses" / "H-X2.yaml").unlink()
    runs(root, "H-GONE")  # records of a hypothesis that has no file
    age(root)
    data = same_both_ways(root, first=True)
    row = data["INI"]["H-X1"] if "H-X1" in data["INI"] else data["(no initiative)"]["H-X1"]
    assert row["verdict"] == "error" and "hypotheses/H-X1.yaml:" in row["error"] and "'lost'" in row["error"]


def test_unchanged_store_gives_the_same_rows(indexed) -> None:
    data = same_both_ways(indexed)
    assert data["INI"]["H-A"]["verdict"] == "confirmed"
    same_both_ways(indexed, "list")


def test_new_runs_and_an_edited_hypothesis_are_evaluated_again(indexed) -> None:
    runs(indexed, "H-A", loss=0.9, stamp=LATER)
    path = indexed / "hypotheses" / "H-B.yaml"
    path.write_text(path.read_text().replace("lt: 0.5", "gt: 0.8").replace("ge: 0.5", "ge: 1.0"))
    age(indexed)
    data = same_both_ways(indexed)
    assert data["INI"]["H-A"]["verdict"] == "ruled_out"  # the newer 0.9 runs decide
    assert data["INI"]["H-B"]["verdict"] == "inconclusive"  # loss 0.3: neither > 0.8 nor >= 1.0 any more


def test_records_filed_elsewhere_unreadable_and_lost_runs_are_all_seen(indexed) -> None:
    ws = load_workspace(indexed)
    put(ws, LATER, record(hypothesis="H-B", arm="b", run_id="odd", started_at=LATER, metrics={"loss": 0.9}))
    (indexed / "reports" / LATER / "H-B").rename(indexed / "reports" / LATER / "H-X0")
    broken = indexed / "reports" / LATER / "H-X1" / "all" / "a-seed0"
    broken.mkdir(parents=True)
    (broken / "run.json").write_text("{")
    started_only = indexed / "reports" / LATER / "H-X2" / "all" / "b-seed0"
    started_only.mkdir(parents=True)
    (started_only / "_started.json").write_text("{}")
    age(indexed)
    data = same_both_ways(indexed)
    assert data["INI"]["H-B"]["verdict"] == "ruled_out"  # the 0.9 run filed under H-X0 counts for H-B
    assert [p["path"] for p in data["(store)"]["unreadable"]] == [f"reports/{LATER}/H-X1/all/a-seed0/run.json"]
    assert data["(store)"]["lost"] == [f"reports/{LATER}/H-X2/all/b-seed0"]


@pytest.mark.parametrize("index", ["kept", "deleted"])  # deleted: the first survey also parses it
def test_a_hypothesis_edited_while_the_store_is_walked_is_evaluated_as_loaded(indexed, index) -> None:
    if index == "deleted":
        (indexed / "reports" / ".index.sqlite").unlink()
    done = subprocess.run(
        [sys.executable, "-c", EDITED_WHILE_WALKING, str(indexed)], capture_output=True, text=True, check=True
    )
    rows = json.loads(done.stdout)
    # Loss 0.3 under the edited rules (> 0.8 / >= 1.0); the row cached for the old rules said confirmed.
    assert rows["H-B"]["verdict"] == "inconclusive"


PROGRAM = """
import sys
import investigate.views.overview as overview
import investigate.views.parallel as parallel
parallel.workers = lambda items, per_worker: 2
real = overview.start
def start(where):
    handle = real(where)
    print("early:", handle is not None, file=sys.stderr)
    return handle
overview.start = start
sys.argv = ["investigate", *sys.argv[1:]]
from investigate.cli.console import main
main()
"""


def test_the_program_starts_the_survey_before_the_command_line(indexed) -> None:
    runs(indexed, "H-X1", loss=0.9, stamp=LATER)
    age(indexed)
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, "--workspace", str(indexed), "status", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "early: True" in done.stderr  # started by the program, before the command line was imported
    assert json.loads(done.stdout) == cli(indexed, "plain", "status", "--json")[0]


def test_a_workspace_that_fails_to_load_stops_the_started_survey(indexed) -> None:
    (indexed / "hypotheses" / "H-X2.yaml").write_text("id: H-X2\ntitle: [unclosed\n")
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, "--workspace", str(indexed), "status"], capture_output=True, text=True
    )
    assert "early: True" in done.stderr and done.returncode == 1
    assert "error: hypotheses/H-X2.yaml:3: while parsing a flow sequence" in done.stderr  # as without it


def test_nothing_is_started_for_a_small_store(make_ws) -> None:
    root = build(make_ws)
    runs(root, "H-A")
    age(root)
    code = "from investigate.views.overview import start; import sys; print(start(__import__('pathlib').Path(sys.argv[1])))"
    for _ in ("without an index", "with one"):
        done = subprocess.run([sys.executable, "-c", code, str(root)], capture_output=True, text=True, check=True)
        assert done.stdout.strip() == "None"  # too small to be worth a worker
        assert cli(root, "plain", "status", "--json")[0]  # builds the index


PARALLEL = """
import json
from investigate.views import parallel

def work(chunk):
    if chunk == "bad":
        raise ValueError(chunk)
    return chunk.upper()

def steps(chunk):
    yield chunk + "1"
    if chunk == "bad":
        raise ValueError(chunk)
    yield chunk * 100_000  # more than a pipe holds
    yield chunk + "3"

good = parallel.start(work, ["a", "b", "c"])
bad = parallel.start(work, ["a", "bad"])
left = parallel.start(work, ["a", "b"])
left.close()
print(json.dumps([good.collect(), bad.collect(), left.children]))
stepped = parallel.start(steps, ["x", "y"])
skipped = parallel.start(steps, ["x", "y"])
broken = parallel.start(steps, ["x", "bad"])
print(json.dumps([stepped.receive(), stepped.collect(), skipped.collect(), broken.receive(), broken.collect()]))
"""


def test_started_workers_return_in_order_fail_as_a_whole_and_can_be_abandoned() -> None:
    done = subprocess.run([sys.executable, "-c", PARALLEL], capture_output=True, text=True, check=True)
    once, stepwise = (json.loads(line) for line in done.stdout.splitlines())
    assert once == [["A", "B", "C"], None, []]
    # Results sent one after another: the next of each worker, or the last of each once they exit.
    assert stepwise == [["x1", "y1"], ["x3", "y3"], ["x3", "y3"], ["x1", "bad1"], None]
