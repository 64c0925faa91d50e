"""What the summary shows besides tables: every stamp of a hypothesis' runs, the images its runs
wrote, the curves of their ``history.json``, and artifacts that are images shown rather than linked.

Bounded so a summary stays readable and small: images over ``MAX_IMAGE_BYTES`` are linked, not
shown, and at most ``MAX_IMAGES`` per hypothesis (the rest counted); the curves of the first
``MAX_CURVE_METRICS`` metrics of the runs' ``history.json`` (in the file's order: the training
loss comes first in Keras' history) per hypothesis, one figure each. Everything is sorted, so the same records give the
same text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from investigate.formats.schema import RunRecord
from investigate.views.history import read_history

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp")
MAX_IMAGE_BYTES = 2 << 20
MAX_IMAGES = 6
MAX_CURVE_METRICS = 1

Link = Callable[[str | Path], str]


def is_image(path: str | Path) -> bool:
    return str(path).lower().endswith(IMAGE_SUFFIXES)


def stamp_links(records: list[RunRecord], link: Link) -> list[dict[str, str]]:
    """``reports/<stamp>/<HYPOTHESIS>`` of every invocation whose runs a verdict rests on, oldest first."""
    dirs = sorted({Path(r.run_dir).parent.parent for r in records if r.run_dir}, key=lambda d: d.parent.name)
    return [{"label": d.parent.name, "path": link(d)} for d in dirs]


def run_images(root: Path, hypothesis: str, records: list[RunRecord], link: Link) -> dict[str, Any]:
    """The image artifacts of ``records`` (ok runs): shown up to the caps, the rest counted."""
    shown: list[dict[str, str]] = []
    large: list[dict[str, str]] = []
    more = 0
    for rec in sorted((r for r in records if r.status == "ok" and r.run_dir), key=lambda r: r.run_id):
        for name in sorted(a for a in rec.artifacts if is_image(a)):
            path = Path(rec.run_dir) / name
            label = f"{rec.arm} seed{rec.seed} {_point(rec.point)} {name}".replace("  ", " ")
            try:
                size = (root / path).stat().st_size
            except OSError:
                continue
            if size > MAX_IMAGE_BYTES:
                large.append({"label": label, "path": link(path)})
            elif len(shown) < MAX_IMAGES:
                shown.append({"label": label, "path": link(path)})
                if name.lower().endswith(".png"):  # the HTML page embeds PNGs (as figures are)
                    shown[-1]["file"] = str(root / path)
            else:
                more += 1
    return {"hypothesis": hypothesis, "shown": shown, "large": large, "more": more}


@dataclass
class CurveData:
    """One metric's curves (one per run) of one hypothesis: what ``curves.write_curves`` draws."""

    hypothesis: str
    metric: str
    runs: list[tuple[str, str, list[tuple[int, float]]]] = field(default_factory=list)  # (arm, label, points)

    @property
    def filename(self) -> str:
        return re.sub(r"[^A-Za-z0-9_.-]", "_", f"curves-{self.hypothesis}-{self.metric}") + ".png"


def curve_data(root: Path, hypothesis: str, records: list[RunRecord]) -> list[CurveData]:
    """The ``history.json`` curves of ``records`` (ok runs), grouped by metric."""
    by_metric: dict[str, CurveData] = {}
    for rec in sorted((r for r in records if r.status == "ok" and r.run_dir), key=lambda r: r.run_id):
        if "history.json" not in rec.artifacts:
            continue
        for metric, points in read_history(root / rec.run_dir).items():
            if len(by_metric) >= MAX_CURVE_METRICS and metric not in by_metric:
                continue
            data = by_metric.setdefault(metric, CurveData(hypothesis, metric))
            data.runs.append((rec.arm, f"{rec.arm} seed{rec.seed} {_point(rec.point)}".strip(), points))
    return list(by_metric.values())


def _point(point: dict[str, Any]) -> str:
    return ",".join(f"{k}={v}" for k, v in point.items())


def media(ws: Any, initiative: Any, verdicts: dict[str, Any], link: Link, base: Path, figures: bool) -> dict[str, Any]:
    """The summary context's ``images`` (per hypothesis, its runs' images) and ``curves`` (to draw)."""
    root = Path(ws.root)
    images, curves = [], []
    for hid in initiative.hypotheses:
        verdict = verdicts.get(hid)
        records = verdict.records if verdict is not None else []
        found = run_images(root, hid, records, link)
        if found["shown"] or found["large"] or found["more"]:
            images.append(found)
        if figures:
            for data in curve_data(root, hid, records):
                alt = f"{hid}: {data.metric} per step, one line per run"
                curves.append({"hypothesis": hid, "metric": data.metric, "file": base / data.filename,
                               "path": link(base / data.filename), "alt": alt, "data": data})  # fmt: skip
    return {"images": images, "curves": curves}
