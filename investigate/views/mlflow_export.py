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
- each curve of its ``history.json`` as a metric history, one point per step (``views.history``);
- with ``artifacts``, the files of its run directory (run.json, log.txt, the experiment's outputs).

Nothing is lost half-way. Every record's fields are built and checked (``mlflow_fields``: names
MLflow would refuse are renamed, the mapping kept in a tag) before its run is created, and with
MLflow's own validators where it has them. A run carries ``investigate.export = started`` until its
last write sets ``complete``; a failure in between marks it FAILED with ``investigate.export =
failed``, and the next export deletes such a run (or one left RUNNING by a killed export) and
writes it again instead of counting it as already there.
"""

from __future__ import annotations

import contextlib
import logging
import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from investigate.core.errors import InvestigateError
from investigate.formats.schema import RunRecord
from investigate.views.history import Curves, read_history
from investigate.views.mlflow_fields import ID_TAG, MAX_TAG, RunFields, record_fields
from investigate.views.mlflow_target import bounded_http, check_target

__all__ = ["ExportResult", "export", "record_fields"]

MISSING = "export to MLflow needs mlflow: pip install 'investigate[mlflow]' (mlflow-skinny, sqlalchemy, alembic)"
STATUS = {"ok": "FINISHED", "error": "FAILED", "timeout": "FAILED", "interrupted": "KILLED"}
STATE_TAG = "investigate.export"  # started -> complete, or failed
BATCH = 100  # params or tags per log_batch call (MLflow's limit)
HTTP_TIMEOUT_S = 10.0


@dataclass
class ExportResult:
    tracking_uri: str
    experiments: dict[str, str] = field(default_factory=dict)  # name -> experiment id
    created: int = 0
    skipped: int = 0  # already exported
    redone: int = 0  # found incomplete from an earlier export, deleted and written again


def millis(timestamp: str) -> int:
    return int(datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp() * 1000)


def export(
    ws: Any,
    records: list[RunRecord],
    verdicts: dict[str, str],
    tracking_uri: str,
    experiment: str | None = None,
    artifacts: bool = False,
    timeout_s: float = HTTP_TIMEOUT_S,
) -> ExportResult:
    """Export ``records``; ``verdicts`` maps hypothesis id -> outcome. Idempotent per run id."""
    try:
        from mlflow.exceptions import MlflowException
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise InvestigateError(MISSING) from None
    store_errors: tuple[type[Exception], ...] = (OSError,)  # an artifact directory or a local store
    try:
        from sqlalchemy.exc import SQLAlchemyError

        store_errors += (SQLAlchemyError,)
    except ImportError:  # a server or file store needs no sqlalchemy
        pass
    for name in ("mlflow", "alembic"):  # their INFO lines (creating tables ...) are not ours to print
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.getLogger("urllib3").setLevel(logging.ERROR)  # "Retrying ...": the one error line says it all
    check_target(tracking_uri)
    if experiment is not None and not 0 < len(experiment) <= 500:
        raise InvestigateError(f"--experiment {experiment!r}: MLflow takes 1 to 500 characters")
    planned = _plan(ws, records, verdicts, experiment)  # every record checked before anything is created
    result = ExportResult(tracking_uri)
    try:
        with bounded_http(timeout_s):
            client = MlflowClient(tracking_uri=tracking_uri)
            found: dict[str, dict[str, Exported]] = {}
            for name, rec, fields in planned:
                if name not in result.experiments:
                    result.experiments[name] = _experiment_id(client, name)
                    found[name] = _exported(client, result.experiments[name])
                earlier = found[name].get(rec.run_id, Exported())
                for broken in earlier.incomplete:
                    client.delete_run(broken)
                earlier.incomplete.clear()
                if earlier.complete:
                    result.skipped += 1
                    continue
                result.redone += bool(earlier.incomplete_seen)
                directory = Path(ws.root) / rec.run_dir if artifacts and rec.run_dir else None
                curves = read_history(Path(ws.root) / rec.run_dir) if rec.run_dir else {}
                _log_run(client, result.experiments[name], rec, fields, directory, curves)
                found[name][rec.run_id] = Exported(complete=True)
                result.created += 1
    except MlflowException as exc:
        raise InvestigateError(f"mlflow ({tracking_uri}): {_first_line(exc.message)}") from None
    except ModuleNotFoundError as exc:  # e.g. a sqlite:/// store without sqlalchemy
        raise InvestigateError(f"mlflow ({tracking_uri}) needs {exc.name}: {MISSING}") from None
    except store_errors as exc:
        raise InvestigateError(f"mlflow ({tracking_uri}): {_first_line(str(exc))}") from None
    return result


CURVE_NAME = re.compile(r"\A[\w\-. /]{1,250}\Z")  # what MLflow takes as a metric name


def _curve_metrics(curves: Curves, metrics: dict[str, float], start: int) -> list[Any]:
    """history.json's curves as metric histories, one point per step. A curve named like a final
    metric gets a ``history.`` prefix (its step-0 point must not clash); a name MLflow would refuse
    is left out rather than failing the run's export."""
    from mlflow.entities import Metric

    out = []
    for key, points in sorted(curves.items()):
        name = key if key not in metrics else f"history.{key}"
        if CURVE_NAME.match(name):
            out += [Metric(name, value, start, step) for step, value in points]
    return out


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[0][:500]


def _plan(
    ws: Any, records: list[RunRecord], verdicts: dict[str, str], experiment: str | None
) -> list[tuple[str, RunRecord, RunFields]]:
    planned = []
    for rec in records:
        hyp = ws.hypotheses.get(rec.hypothesis)
        initiative = hyp.initiative if hyp is not None else None
        name = experiment or initiative or Path(ws.root).name
        fields = record_fields(rec, verdicts.get(rec.hypothesis, "untested"), initiative)
        _preflight(rec, fields)
        planned.append((name, rec, fields))
    return planned


def _preflight(rec: RunRecord, fields: RunFields) -> None:
    """MLflow's own checks of every name and value, run before the run exists."""
    from mlflow.exceptions import MlflowException
    from mlflow.utils import validation

    param, metric, tag = (getattr(validation, f"_validate_{kind}", None) for kind in ("param", "metric", "tag"))
    checks: list[tuple[str, Any, tuple[Any, ...]]] = []
    checks += [(f"param {k!r}", param, (k, v)) for k, v in fields.params.items()]
    checks += [(f"metric {k!r}", metric, (k, v, 0, 0)) for k, v in fields.metrics.items()]
    checks += [(f"tag {k!r}", tag, (k, v)) for k, v in fields.tags.items()]
    for what, check, args in checks:
        if any(isinstance(a, str) and len(a) > MAX_TAG for a in args):
            raise InvestigateError(f"{rec.run_dir or rec.run_id}: {what}: longer than MLflow takes")
        if check is None:  # a private helper that a later MLflow may rename: the checks above remain
            continue
        try:
            check(*args)
        except MlflowException as exc:
            raise InvestigateError(f"{rec.run_dir or rec.run_id}: {what}: {_first_line(exc.message)}") from None


def _log_run(
    client: Any, experiment_id: str, rec: RunRecord, fields: RunFields, directory: Path | None, curves: Curves
) -> None:
    from mlflow.entities import Metric, Param, RunTag

    start = millis(rec.started_at)
    point = ",".join(f"{k}={v}" for k, v in rec.point.items())
    name = f"{rec.hypothesis} {rec.arm} seed{rec.seed} {point}".strip()[:250]
    first = {ID_TAG: fields.tags[ID_TAG], STATE_TAG: "started"}
    run_id = str(client.create_run(experiment_id, start_time=start, tags=first, run_name=name).info.run_id)
    try:
        tags = sorted((k, v) for k, v in fields.tags.items() if k != ID_TAG)
        for i in range(0, len(tags), BATCH):
            client.log_batch(run_id, tags=[RunTag(k, v) for k, v in tags[i : i + BATCH]])
        params = sorted(fields.params.items())
        for i in range(0, len(params), BATCH):
            client.log_batch(run_id, params=[Param(k, v) for k, v in params[i : i + BATCH]])
        values = [Metric(k, v, start, 0) for k, v in sorted(fields.metrics.items())]
        values += _curve_metrics(curves, fields.metrics, start)
        for i in range(0, len(values), BATCH * 10):
            client.log_batch(run_id, metrics=values[i : i + BATCH * 10])
        if directory is not None and directory.is_dir():
            client.log_artifacts(run_id, str(directory))
        client.set_tag(run_id, STATE_TAG, "complete")
    except BaseException:
        _mark_failed(client, run_id)
        raise
    client.set_terminated(run_id, STATUS.get(rec.status, "FAILED"), end_time=start + math.ceil(rec.duration_s * 1000))


def _mark_failed(client: Any, run_id: str) -> None:
    """A run whose export broke off: FAILED and tagged so, for the next export to redo."""
    # The store that just failed may refuse this too: a run left RUNNING is redone as well.
    with contextlib.suppress(Exception):
        client.set_tag(run_id, STATE_TAG, "failed")
        client.set_terminated(run_id, "FAILED")


def _experiment_id(client: Any, name: str) -> str:
    found = client.get_experiment_by_name(name)
    if found is not None:
        return str(found.experiment_id)
    return str(client.create_experiment(name, tags={"created_by": "investigate export mlflow"}))


@dataclass
class Exported:
    """What an experiment already holds for one record: a complete run, and runs an export broke off."""

    complete: bool = False
    incomplete: list[str] = field(default_factory=list)  # MLflow run ids, to delete
    incomplete_seen: bool = False


def _exported(client: Any, experiment_id: str) -> dict[str, Exported]:
    """investigate run id -> what the experiment holds for it."""
    runs: dict[str, Exported] = {}
    token = None
    while True:
        page = client.search_runs([experiment_id], max_results=1000, page_token=token)
        for run in page:
            ours = run.data.tags.get(ID_TAG)
            if not ours:
                continue
            state = run.data.tags.get(STATE_TAG)
            # An export from before the state tag: complete unless it was left RUNNING.
            complete = state == "complete" or (state is None and run.info.status != "RUNNING")
            entry = runs.setdefault(ours, Exported())
            if complete:
                entry.complete = True
            else:
                entry.incomplete.append(run.info.run_id)
                entry.incomplete_seen = True
        token = page.token
        if not token:
            return runs
