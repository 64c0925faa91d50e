"""Write a new hypothesis file only once ``validate`` passes with it in place, and never over a file.

The candidate is validated in a staging copy of the workspace: a temporary root whose entries link
to the real ones (code, plans, pyproject.toml), with a hypotheses directory of links to the existing
files plus the new one. ``load_workspace(all_errors=True)`` there is exactly ``investigate validate``
(schema, cross-file references, entry points, run counts), and its messages name the same relative
paths. The store is not linked: nothing of the staging load can reach the real ``reports/``.
Only then is the file created in the real workspace, with a hard link (which fails if the name
exists, so a file written meanwhile is never overwritten).
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import yaml

from investigate.core.errors import InvestigateError, WorkspaceErrors
from investigate.formats.yamlio import loads
from investigate.workspace.load import Workspace, load_workspace

HYPOTHESIS_ID = re.compile(r"^H-[A-Z0-9-]+$")


def stage_and_write(ws: Workspace, text: str) -> Path:
    """Validate ``text`` as a new hypothesis file of ``ws``; write it; return its path. Raises with every error."""
    if len(text.encode("utf-8")) > ws.max_yaml_bytes:
        raise InvestigateError(f"new hypothesis: larger than max_yaml_bytes ({ws.max_yaml_bytes})")
    hyp_id = _declared_id(text)
    target = ws.hypotheses_dir / f"{hyp_id}.yaml"
    if target.exists() or (ws.hypotheses_dir / f"{hyp_id}.yml").exists() or hyp_id in ws.hypotheses:
        raise InvestigateError(f"{ws.relative(target)}: {hyp_id} exists already (a new file is never written over one)")
    _validate_staged(ws, hyp_id, text)
    ws.hypotheses_dir.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=ws.hypotheses_dir, prefix=f".{hyp_id}.", suffix=".new")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        try:
            os.link(temp, target)
        except FileExistsError:
            raise InvestigateError(f"{ws.relative(target)}: written by someone else meanwhile; left as it is") from None
    finally:
        os.unlink(temp)
    return target


def _declared_id(text: str) -> str:
    try:
        data = loads(text)
    except yaml.YAMLError as exc:
        raise InvestigateError(f"new hypothesis: not YAML: {exc}") from None
    hyp_id = data.get("id") if isinstance(data, dict) else None
    if not isinstance(hyp_id, str) or not HYPOTHESIS_ID.fullmatch(hyp_id):
        raise InvestigateError(f"new hypothesis: id: expected an id like H-CONFIG (^H-[A-Z0-9-]+$), got {hyp_id!r}")
    return hyp_id


def _top_level(ws: Workspace, directory: Path) -> str:
    relative = directory.relative_to(ws.root) if directory.is_relative_to(ws.root) else None
    if relative is None or len(relative.parts) != 1:
        raise InvestigateError(f"writing hypotheses needs top-level hypotheses and plans directories, not {directory}")
    return relative.parts[0]


def _validate_staged(ws: Workspace, hyp_id: str, text: str) -> None:
    # The loader refuses directories that resolve outside the root, so these two are real
    # directories in the staging root, holding links to what the real ones hold.
    hyp_name = _top_level(ws, ws.hypotheses_dir)
    copied = {hyp_name: ws.hypotheses_dir, _top_level(ws, ws.plans_dir): ws.plans_dir}
    reports = ws.reports_dir.relative_to(ws.root).parts if ws.reports_dir.is_relative_to(ws.root) else ()
    skipped = {*copied, *reports[:1], ".git"}
    with tempfile.TemporaryDirectory(prefix="investigate-stage-") as staging:
        root = Path(staging)
        for entry in os.scandir(ws.root):
            if entry.name not in skipped:
                os.symlink(entry.path, root / entry.name)
        for name, real in copied.items():
            (root / name).mkdir()
            if real.is_dir():
                for entry in os.scandir(real):
                    os.symlink(entry.path, root / name / entry.name)
        (root / hyp_name / f"{hyp_id}.yaml").write_text(text, encoding="utf-8")
        try:
            load_workspace(root, all_errors=True)
        except WorkspaceErrors as exc:
            raise InvestigateError(f"validate fails, nothing written:\n{exc}") from None
        except InvestigateError as exc:
            raise InvestigateError(f"validate fails, nothing written: {exc}") from None
