"""Summary: section numbers, completion date, runs links, --check, figures (deterministic, optional)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from investigate.cli.main import main
from investigate.formats.schema import RunRecord
from investigate.views.report import build_context, completion_date, render_summary
from investigate.workspace.load import load_workspace

FIXTURE = Path(__file__).parents[1] / "fixtures" / "summary_ws"
PLAN = "plans/DEMO-001/initiative.yaml"


@pytest.fixture
def ws_root(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURE, tmp_path / "ws", ignore=shutil.ignore_patterns("golden"))
    return tmp_path / "ws"


def edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def headings(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"^## (\d+)\. ", text, flags=re.M)]


def test_sections_are_numbered_consecutively_when_some_are_absent(ws_root: Path) -> None:
    assert headings(render_summary(load_workspace(ws_root), "DEMO-001")) == [1, 2, 3, 4, 5, 6, 7, 8]
    edit(ws_root, PLAN, "  remaining: |\n    Amplitudes still come out too small; that is a separate initiative.\n", "")
    edit(
        ws_root,
        PLAN,
        "  root_cause: |\n    The legacy `params.cfg` dictionary was read before it was synced with the dataclass config.\n",
        "",
    )
    text = render_summary(load_workspace(ws_root), "DEMO-001")
    assert "Root Cause" not in text and "Remaining Issues" not in text
    assert headings(text) == [1, 2, 3, 4, 5, 6]
    assert "## 4. Hypotheses Resolved" in text and "## 6. Gaps in the evidence" in text


def rec(run_id: str, started: str, reused_from: str | None = None) -> RunRecord:
    return RunRecord(
        run_id=run_id, hypothesis="H-X", entry="m:f", arm="a", point={}, seed=0, params={}, status="ok",
        started_at=started, duration_s=1.0, cache_key="k", reused_from=reused_from, run_dir=f"reports/{run_id}",
    )  # fmt: skip


def test_completion_date_is_the_newest_executed_run_not_the_newest_cache_hit() -> None:
    original = rec("2026-01-20T100000Z/H-X/all/a-seed0", "2026-01-20T10:00:00+00:00")
    hit = rec("2026-03-01T090000Z/H-X/all/a-seed0", "2026-03-01T09:00:00+00:00", reused_from=original.run_dir)
    assert completion_date([hit], [original, hit]) == "2026-01-20"
    fresh = rec("2026-02-02T000000Z/H-X/all/a-seed1", "2026-02-02T00:00:00+00:00")
    assert completion_date([hit, fresh], [original, hit, fresh]) == "2026-02-02"
    # the original was pruned: the hit's own date is all there is
    assert completion_date([hit], [hit]) == "2026-03-01"
    assert completion_date([], []) == "no runs recorded"


def test_runs_column_links_the_newest_run_dir_when_no_verification_table(ws_root: Path) -> None:
    text = render_summary(load_workspace(ws_root), "DEMO-001")
    assert "| Runs |" not in text  # the verification table links its runs
    plan = ws_root / PLAN
    lines = plan.read_text().splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("  verification:"))
    del lines[start : start + 5]
    plan.write_text("".join(lines))
    ws = load_workspace(ws_root)
    text = render_summary(ws, "DEMO-001")
    assert "| Effect vs control (95 % CI) | Runs |" in text
    assert "| [2026-01-20T102300Z](reports/2026-01-20T102300Z/H-CONFIG) |" in text
    assert "| [2026-01-20T160000Z](reports/2026-01-20T160000Z/H-PROBE) |" in text
    row = next(line for line in text.splitlines() if line.startswith("| [H-GRID]"))
    assert row.endswith("| — |")  # no runs yet
    ctx = build_context(ws, "DEMO-001", out=ws_root / "out" / "s.md")
    assert ctx["hypotheses"][0]["runs_link"] == "../reports/2026-01-20T102300Z/H-CONFIG"


def test_a_contradicted_claim_is_a_gap_a_warning_and_with_check_exit_1(ws_root: Path, capsys) -> None:
    args = ["--workspace", str(ws_root), "summary", "DEMO-001", "--no-figures"]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "> ⚠ The narrative relies on H-PROBE being confirmed; the runs say: ruled_out." in captured.out
    gaps = captured.out.split(". Gaps in the evidence\n", 1)[1]
    assert "- The narrative's claim that H-PROBE is confirmed does not hold: the runs say ruled_out." in gaps
    assert "warning: The narrative relies on H-PROBE being confirmed; the runs say: ruled_out." in captured.err
    assert main([*args, "--check"]) == 1
    capsys.readouterr()
    # every ⚠ in the text is also a gap
    for warning in re.findall(r"⚠ The narrative relies on (H-[A-Z-]+) being (\w+)", captured.out):
        assert f"claim that {warning[0]} is {warning[1]} does not hold" in gaps
    edit(ws_root, PLAN, "H-PROBE: confirmed", "H-PROBE: ruled_out")
    assert main([*args, "--check"]) == 0
    assert "⚠" not in capsys.readouterr().out


def test_stdout_says_links_are_relative_to_the_workspace_root(ws_root: Path, capsys) -> None:
    assert main(["--workspace", str(ws_root), "summary", "DEMO-001", "--no-figures"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == (
        "<!-- Written to stdout: links are relative to the workspace root (with -o FILE, to FILE's folder). -->"
    )
    assert "](reports/2026-01-20T102300Z/H-CONFIG/scenario=gs1_ideal/synced-seed0)" in out
    assert "figures/" not in out  # --no-figures neither draws nor links them


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, pos = [], 8
    while pos < len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        chunks.append((data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    return chunks


def test_figures_are_drawn_linked_and_byte_identical_on_a_second_render(ws_root: Path, capsys) -> None:
    pytest.importorskip("matplotlib", reason="figures need matplotlib (the report extra)")
    out = ws_root / "summaries" / "DEMO-001.md"
    assert main(["--workspace", str(ws_root), "summary", "DEMO-001", "-o", str(out)]) == 0
    figures = ws_root / "reports" / "DEMO-001" / "figures"
    names = sorted(p.name for p in figures.iterdir())
    assert names == ["amp_mean.png", "fits_canvas.png", "has_nan.png"]
    text = out.read_text()
    assert "![amp_mean by arm and scenario, each dot a seed](../reports/DEMO-001/figures/amp_mean.png)" in text
    first = {name: (figures / name).read_bytes() for name in names}
    for name, data in first.items():
        chunks = png_chunks(data)
        ihdr = chunks[0][1]
        assert (int.from_bytes(ihdr[:4], "big"), int.from_bytes(ihdr[4:8], "big")) == (600, 320), name
        assert not any(kind == b"tEXt" and body.startswith(b"Software") for kind, body in chunks)
        pixels = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
        assert len(set(pixels)) > 16, f"{name} looks blank"
    capsys.readouterr()
    assert main(["--workspace", str(ws_root), "summary", "DEMO-001", "-o", str(out)]) == 0
    assert {name: (figures / name).read_bytes() for name in names} == first


def test_without_matplotlib_the_summary_still_renders_and_says_why(ws_root: Path) -> None:
    # a fresh interpreter in which importing matplotlib fails, as on an install without the extra
    code = (
        "import sys; sys.modules['matplotlib'] = None\n"
        "import investigate.cli.main, investigate.views.report, investigate.views.figures\n"
        "sys.exit(investigate.cli.main.main(['--workspace', sys.argv[1], 'summary', 'DEMO-001']))\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(ws_root)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "warning: no figures: figures need matplotlib: pip install 'investigate[report]'" in done.stderr
    assert "figures/" not in done.stdout and "## 4. Verification Evidence" in done.stdout
    assert not (ws_root / "reports" / "DEMO-001" / "figures").exists()


def test_the_core_never_imports_matplotlib() -> None:
    code = (
        "import sys, investigate.cli.main, investigate.views.report, investigate.views.figures, investigate.views.html\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('matplotlib', 'mlflow', 'tensorflow')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout.replace("'", '"')) == []


PNG_1X1 = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


def test_several_verification_tables_each_with_figures_and_an_image_artifact_shown(ws_root: Path) -> None:
    plan = ws_root / PLAN
    text = plan.read_text()
    start = text.index("  verification:\n")
    end = text.index("  artifacts:\n")
    block = text[start:end].replace("  verification:\n    hypothesis", "  verification:\n    - hypothesis")
    block = block.replace("\n    arm:", "\n      arm:").replace("\n    rows:", "\n      rows:")
    block = block.replace("\n    metrics:", "\n      metrics:")
    second = "    - {hypothesis: H-CONFIG, arm: stale, rows: [gs1_ideal], metrics: [has_nan]}\n"
    (ws_root / "map.png").write_bytes(PNG_1X1)
    artifacts = "  artifacts:\n    - {label: Network map, path: map.png}\n"
    plan.write_text(text[:start] + block + second + artifacts + text[text.index("\n", end + 14) + 1 :])
    ws = load_workspace(ws_root)
    ctx = build_context(ws, "DEMO-001", out=ws_root / "s.md")
    assert [t["arm"] for t in ctx["verifications"]] == ["synced", "stale"]
    assert [f["path"] for f in ctx["verifications"][1]["figures"]] == ["reports/DEMO-001/figures/2-has_nan.png"]
    summary = render_summary(ws, "DEMO-001", out=ws_root / "s.md")
    assert "Runs of H-CONFIG (arm `stale`), aggregated over seeds:" in summary
    assert "![Network map](map.png)" in summary  # an image artifact is shown, not only linked


def test_runs_column_links_every_stamp_and_history_curves_and_images_are_shown(numpy_ws: Path, capsys) -> None:
    pytest.importorskip("matplotlib", reason="figures need matplotlib (the report extra)")
    ws_args = ["--workspace", str(numpy_ws)]
    assert main([*ws_args, "run", "H-STEP-SIZE", "--where", "L=1.0"]) == 0
    assert main([*ws_args, "run", "H-STEP-SIZE"]) == 0
    run_dir = next((numpy_ws / "reports").glob("*/H-STEP-SIZE/L=3.0/raw-seed0"))
    (run_dir / "map.png").write_bytes(PNG_1X1)  # as if the experiment had saved it
    record = json.loads((run_dir / "run.json").read_text())
    record["artifacts"].append("map.png")
    (run_dir / "run.json").write_text(json.dumps(record, allow_nan=True))
    out = numpy_ws / "summary.md"
    assert main([*ws_args, "summary", "TOY-GD-001", "-o", str(out)]) == 0
    text = out.read_text()
    row = next(line for line in text.splitlines() if line.startswith("| [H-STEP-SIZE]"))
    stamps = sorted(p.parent.name for p in (numpy_ws / "reports").glob("*/H-STEP-SIZE"))
    assert len(stamps) == 2 and all(f"[{s}](reports/{s}/H-STEP-SIZE)" in row for s in stamps)
    curve = numpy_ws / "reports" / "TOY-GD-001" / "figures" / "curves-H-STEP-SIZE-loss.png"
    assert curve.is_file() and png_chunks(curve.read_bytes())[0][0] == b"IHDR"
    assert (
        "![H-STEP-SIZE: loss per step, one line per run](reports/TOY-GD-001/figures/curves-H-STEP-SIZE-loss.png)"
        in text
    )
    assert "![raw seed0 L=3.0 map.png](reports/" in text


def test_the_html_page_embeds_the_curves(numpy_ws: Path, capsys) -> None:
    pytest.importorskip("matplotlib", reason="figures need matplotlib (the report extra)")
    pytest.importorskip("markdown_it", reason="the HTML page needs markdown-it-py")
    ws_args = ["--workspace", str(numpy_ws)]
    assert main([*ws_args, "run", "H-STEP-SIZE", "--where", "L=1.0"]) == 0
    page = numpy_ws / "summary.html"
    assert main([*ws_args, "summary", "TOY-GD-001", "--html", str(page)]) == 0
    text = page.read_text()
    assert 'alt="H-STEP-SIZE: loss per step, one line per run"' in text and "[image: H-STEP-SIZE" not in text
