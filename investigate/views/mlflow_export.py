"""Copy run records into MLflow: one experiment per initiative, one MLflow run per record.

MLflow is optional (the ``mlflow`` extra) and imported only here. Nothing is re-run: the records
are the evidence, MLflow is a view of them. Each MLflow run gets

- its start and end time from the record, status FINISHED (ok), FAILED (error, timeout) or KILLED;
- the merged params (nested keys dotted: ``training.epochs``; lists as JSON);
- numeric metrics (booleans as 0/1, NaN kept); a metric that is not a number (text, null) becomes
  the tag ``metric.<name>``;
- tags: hypothesis, initiative, arm, point (JSON), seed, status, verdict (the hypothesis' current
  one), cache_key, git_commit (also as ``mlflow.source.git.commit``), entry, run_dir, reused_from and
  ``investigate.run_id``, by which a second export skips what is already there;
- with ``artifacts``, the files of its run directory (run.json, log.txt, the experiment's outputs).
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from investigate.core.errors import InvestigateError
from investigate.formats.schema import RunRecord
from investigate.rules.evidence import number
from investigate.views.rundiff import flatten

MISSING = "export to MLflow needs mlflow: pip install 'investigate[mlflow]' (mlflow-skinny, sqlalchemy, alembic)"
STATUS = {"ok": "FINISHED", "error": "FAILED", "timeout": "FAILED", "interrupted": "KILLED"}
ID_TAG = "investigate.run_id"
MAX_VALUE = 6000  # MLflow's limit on a param value's length (tags allow 8000)
BATCH = 100  # params or tags per log_batch call (MLflow's limit)


@dataclass
class ExportResult:
    tracking_uri: str
    experiments: dict[str, str] = field(default_factory=dict)  # name -> experiment id
    created: int = 0
    skipped: int = 0  # already exported


def millis(timestamp: str) -> int:
    return int(datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp() * 1000)


def record_fields(
    rec: RunRecord, verdict: str, initiative: str | None
) -> tuple[dict[str, str], dict[str, float], dict[str, str]]:
    """(params, metrics, tags) of one record, as MLflow takes them (all strings but the metrics)."""
    params = {k: _text(v) for k, v in flatten(rec.params).items()}
    metrics: dict[str, float] = {}
    tags = {
        ID_TAG: rec.run_id,
        "hypothesis": rec.hypothesis,
        "arm": rec.arm,
        "point": json.dumps(rec.point, sort_keys=True, default=str),
        "seed": str(rec.seed),
        "status": rec.status,
        "verdict": verdict,
        "cache_key": rec.cache_key,
        "entry": rec.entry,
        "run_dir": rec.run_dir,
    }
    if initiative:
        tags["initiative"] = initiative
    if rec.reused_from:
        tags["reused_from"] = rec.reused_from
    commit = rec.provenance.get("git_commit")
    if commit:
        tags["git_commit"] = tags["mlflow.source.git.commit"] = str(commit)
    if rec.error:
        tags["error"] = rec.error[-MAX_VALUE:]
    for key, value in rec.metrics.items():
        x = number(value, bools=True)
        if x is None:  # text, null, or an integer beyond a float
            tags[f"metric.{key}"] = _text(value)
        else:
            metrics[key] = x
    return params, metrics, tags


def _text(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def export(
    ws: Any,
    records: list[RunRecord],
    verdicts: dict[str, str],
    tracking_uri: str,
    experiment: str | None = None,
    artifacts: bool = False,
) -> ExportResult:
    """Export ``records``; ``verdicts`` maps hypothesis id -> outcome. Idempotent per run id."""
    try:
        from mlflow.exceptions import MlflowException
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise InvestigateError(MISSING) from None
    for name in ("mlflow", "alembic"):  # their INFO lines (creating tables ...) are not ours to print
        logging.getLogger(name).setLevel(logging.WARNING)
    result = ExportResult(tracking_uri)
    try:
        client = MlflowClient(tracking_uri=tracking_uri)
        done: dict[str, set[str]] = {}
        for rec in records:
            hyp = ws.hypotheses.get(rec.hypothesis)
            initiative = hyp.initiative if hyp is not None else None
            name = experiment or initiative or Path(ws.root).name
            if name not in result.experiments:
                result.experiments[name] = _experiment_id(client, name)
                done[name] = _exported_ids(client, result.experiments[name])
            if rec.run_id in done[name]:
                result.skipped += 1
                continue
            fields = record_fields(rec, verdicts.get(rec.hypothesis, "untested"), initiative)
            directory = Path(ws.root) / rec.run_dir if artifacts and rec.run_dir else None
            _log_run(client, result.experiments[name], rec, *fields, directory)
            done[name].add(rec.run_id)
            result.created += 1
    except MlflowException as exc:
        raise InvestigateError(f"mlflow ({tracking_uri}): {exc.message}") from None
    except ModuleNotFoundError as exc:  # e.g. a sqlite:/// store without sqlalchemy
        raise InvestigateError(f"mlflow ({tracking_uri}) needs {exc.name}: {MISSING}") from None
    return result


def _log_run(
    client: Any,
    experiment_id: str,
    rec: RunRecord,
    params: dict[str, str],
    metrics: dict[str, float],
    tags: dict[str, str],
    directory: Path | None,
) -> None:
    from mlflow.entities import Metric, Param

    start = millis(rec.started_at)
    point = ",".join(f"{k}={v}" for k, v in rec.point.items())
    name = f"{rec.hypothesis} {rec.arm} seed{rec.seed} {point}".strip()
    run_id = client.create_run(experiment_id, start_time=start, tags=tags, run_name=name).info.run_id
    items = sorted(params.items())
    for i in range(0, len(items), BATCH):
        client.log_batch(run_id, params=[Param(k, v) for k, v in items[i : i + BATCH]])
    values = [Metric(k, v, start, 0) for k, v in sorted(metrics.items())]
    for i in range(0, len(values), BATCH * 10):
        client.log_batch(run_id, metrics=values[i : i + BATCH * 10])
    if directory is not None and directory.is_dir():
        client.log_artifacts(run_id, str(directory))
    client.set_terminated(run_id, STATUS.get(rec.status, "FAILED"), end_time=start + math.ceil(rec.duration_s * 1000))


def _experiment_id(client: Any, name: str) -> str:
    found = client.get_experiment_by_name(name)
    if found is not None:
        return str(found.experiment_id)
    return str(client.create_experiment(name, tags={"created_by": "investigate export mlflow"}))


def _exported_ids(client: Any, experiment_id: str) -> set[str]:
    ids: set[str] = set()
    token = None
    while True:
        page = client.search_runs([experiment_id], max_results=1000, page_token=token)
        ids.update(run.data.tags.get(ID_TAG, "") for run in page)
        token = page.token
        if not token:
            return ids - {""}
