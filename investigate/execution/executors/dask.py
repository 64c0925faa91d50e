"""Run on a Dask cluster: ``--executor dask`` (or ``[tool.investigate] executor = "dask"``).

``--scheduler ADDRESS`` (or a scheduler file, ``*.json``) joins an existing cluster: Slurm or PBS
through dask-jobqueue, Kubernetes, a GPU host. Without one, an embedded ``LocalCluster`` with
``--jobs`` worker processes of one thread each (at most one per run to execute), on 127.0.0.1
only, no dashboard.

The workspace is on a file system every worker shares, at the same path, as on any cluster: a
run dir holds the run's artifacts (checkpoints, figures, arrays), and shipping those back through
the scheduler would copy every byte twice and bound them by its memory. The worker writes only
what a local run's process writes there (the log, ``_result.json``, artifacts) plus two small
files (``guard``); this client still writes every ``run.json``, so the store keeps one writer and
the records match local ones field for field. The provenance names the worker's host.

A task does not run the experiment: it runs ``guard.run_guarded``, the local process guard, so a
run has the same timeout, group kill and statuses as locally, although Dask has neither task
timeouts (distributed#391) nor a way to stop a running task (distributed#4694). To stop one, the
client cancels its future; the guard polls its own task's state on the worker, sees it cancelled
and kills the run's group. When this client dies, the scheduler releases its tasks the same way,
so its runs die with it, as local ones do; runs that finished first left ``_outcome.json`` and
the next invocation records and reuses them (``recover``). Only as many tasks are submitted as the
workers run at once, plus one waiting on each (so a worker goes from one run to the next without a
round trip); Hydra's launchers submit all and lose them with the driver. The others wait here,
unstarted, and a dead client leaves no queue behind.

``dask`` is imported only in here, and only once a run is about to execute.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import math
import signal
import threading
import time
import uuid
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from investigate.core.errors import InvestigateError
from investigate.execution.executors.base import Job, Outcome
from investigate.execution.executors.guard import RemoteJob, run_guarded
from investigate.plan.provenance import package_versions
from investigate.store.lost import WORKER

if TYPE_CHECKING:
    from distributed import Client, Future

CONNECT_S = 20  # to reach a scheduler given by address
REFRESH_S = 1.0  # how often the cluster's size is asked for (an adaptive cluster grows and shrinks)
STOP_WAIT_S = 15.0  # for the workers to confirm that cancelled runs are dead
STOP_POLL_S = 0.05
RUNNING = ("executing", "long-running")
WAITING_PER_WORKER = 1  # runs queued on a busy worker: no round trip between one run and the next
NO_DASK = "--executor dask needs Dask: pip install 'investigate[dask]'"


@dataclass
class DaskSession:
    """The cluster of one command, connected on first use and shared by each of its ``Runner``s."""

    address: str | None = None  # None: an embedded LocalCluster of ``workers`` processes
    workers: int = 1
    resources: dict[str, float] = field(default_factory=dict)  # what each run takes of a worker's
    _client: Client | None = field(default=None, repr=False)
    _cluster: Any = field(default=None, repr=False)
    _wanted: int = field(default=0, repr=False)  # workers the runs so far need (0: not told)

    def __post_init__(self) -> None:
        if importlib.util.find_spec("distributed") is None:  # refused before any run, without importing it
            raise InvestigateError(NO_DASK)

    @property
    def client(self) -> Client:
        if self._client is None:
            self._client, self._cluster = _connect(self.address, self.started_workers())
        return self._client

    def expect(self, n_jobs: int) -> None:
        """The embedded cluster never starts more workers than there are runs to execute.

        ``--jobs 12`` for 2 runs started 12 worker processes (860 MB). Before the cluster starts,
        the first runner's count caps it; a later runner of the same command with more runs scales
        it up, to at most ``workers``.
        """
        self._wanted = max(self._wanted, min(self.workers, max(n_jobs, 1)))
        if self._cluster is not None and self._wanted > len(self._cluster.workers):
            self._cluster.scale(self._wanted)

    def started_workers(self) -> int:
        return self._wanted or self.workers

    def close(self) -> None:
        client, cluster, self._client, self._cluster = self._client, self._cluster, None, None
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()


class DaskExecutor:
    name = "dask"

    def __init__(self, session: DaskSession, slots: int) -> None:
        self.session, self.slots = session, slots
        self._token = uuid.uuid4().hex[:12]
        self._futures: dict[int, Future[Any]] = {}
        self._jobs: dict[int, tuple[Job, float]] = {}  # the job and when it was submitted
        self._stopping: list[int] = []
        self._done: list[Outcome] = []
        self._capacity, self._sized_at = 0, -math.inf

    def expect(self, n_jobs: int) -> None:
        self.session.expect(n_jobs)

    def free_slots(self) -> int:
        return max(self._slots() - len(self._futures), 0)

    def running(self) -> list[int]:
        return [*self._futures, *(o.job_id for o in self._done)]

    def submit(self, job: Job) -> None:
        client = self.session.client
        self._jobs[job.id] = (job, time.monotonic())
        try:
            self._futures[job.id] = client.submit(
                run_on_worker, RemoteJob.of(job, package_versions()), key=f"investigate-{self._token}-{job.id}",
                pure=False, resources=self.session.resources or None,
            )  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - e.g. the scheduler went away: this run's error
            self._done.append(Outcome(job.id, "failed", 0.0, detail=f"could not submit it to Dask: {exc!r}"))

    def poll(self) -> list[Outcome]:
        if self._stopping:
            self._stop_now()
        ended = {i: f for i, f in self._futures.items() if f.done()}
        for job_id in ended:
            del self._futures[job_id]
        self._done += self._outcomes(ended)
        done, self._done = self._done, []
        return done

    def cancel(self, job_id: int) -> None:
        """Queued: dropped. Running: killed by its guard; ``poll`` waits (bounded) until it is dead."""
        if job_id in self._futures:
            self._stopping.append(job_id)

    def close(self) -> None:
        self._stopping += list(self._futures)
        self._stop_now()
        self._done.clear()

    # ---- internals -------------------------------------------------------------------------------

    def _slots(self) -> int:
        """Runs in flight: what the workers take (``_runs_fitting``), or ``--jobs`` when more (a queue
        makes an adaptive cluster grow). The cluster's size is asked for once a second."""
        if time.monotonic() - self._sized_at > REFRESH_S:
            try:
                workers = self.session.client.scheduler_info(n_workers=-1).get("workers", {})
            except (OSError, TimeoutError) as exc:  # the runs in flight are stopped and recorded on the way out
                raise InvestigateError(f"lost the Dask scheduler {self.session.address or ''}: {exc}") from None
            self._capacity = sum(_runs_fitting(w, self.session.resources) for w in workers.values())
            self._sized_at = time.monotonic()
        return max(self.slots, self._capacity)

    def _outcomes(self, ended: dict[int, Future[Any]]) -> list[Outcome]:
        finished = [i for i, f in ended.items() if f.status == "finished"]
        results: dict[int, Any] = {}
        if finished:
            try:  # one round trip for all of them
                results = dict(zip(finished, self.session.client.gather([ended[i] for i in finished]), strict=True))
            except Exception:  # noqa: BLE001 - a result lost with its worker: each is asked for below
                results = {}
        out = [self._returned(i, results[i]) if i in results else self._failed(i, f) for i, f in ended.items()]
        for outcome in out:
            self._jobs.pop(outcome.job_id, None)
        return out

    def _returned(self, job_id: int, result: dict[str, Any]) -> Outcome:
        outcome = Outcome(**result)
        if outcome.kind == "failed":  # refused by the guard: the time it took is the time since submitting
            outcome = replace(outcome, duration_s=time.monotonic() - self._jobs[job_id][1])
        return outcome

    def _failed(self, job_id: int, fut: Future[Any]) -> Outcome:
        t0 = self._jobs[job_id][1]
        try:
            if fut.status == "finished":
                return self._returned(job_id, fut.result(timeout=5))
            detail = repr(fut.exception(timeout=5)) if fut.status == "error" else f"the task was {fut.status}"
        except Exception as exc:  # noqa: BLE001 - whatever the cluster says is this run's error
            detail = repr(exc)
        return Outcome(job_id, "failed", time.monotonic() - t0, detail=f"on the Dask cluster: {detail}")

    def _stop_now(self) -> None:
        """Cancel the futures of ``_stopping``; the guards kill their runs. Wait until no worker runs one."""
        stopping = {i: self._futures.pop(i) for i in self._stopping if i in self._futures}
        self._stopping = []
        if not stopping:
            return
        ended = {i: f for i, f in stopping.items() if f.status == "finished"}  # ended by itself: keep its result
        self._done += self._outcomes(ended)
        cancel = {i: f for i, f in stopping.items() if i not in ended}
        client = self.session.client
        try:
            client.cancel(list(cancel.values()))
            _wait_until_gone(client, [f.key for f in cancel.values()], time.monotonic() + STOP_WAIT_S)
        except Exception:  # a lost scheduler: its workers close, and the runs die with them
            logging.getLogger(__name__).debug("cancelling on the cluster failed", exc_info=True)
        for job_id in cancel:
            job, t0 = self._jobs.pop(job_id)
            where = _worker_file(job)  # absent: it never left the queue
            self._done.append(
                Outcome(
                    job_id,
                    "cancelled",
                    time.monotonic() - t0,
                    host=where.get("host"),
                    started_at=where.get("started_at"),
                )
            )


def run_on_worker(job: RemoteJob) -> dict[str, Any]:
    """The task: ``run_guarded`` on this worker, stopped once the task is cancelled or the worker closes."""
    from distributed import get_worker
    from distributed.core import Status

    worker = get_worker()
    key = worker.get_current_task()
    closing = (Status.closing, Status.closed, Status.failed)

    def stopped() -> bool:
        task = worker.state.tasks.get(key)  # read without the event loop: a stale answer costs one poll
        return task is None or task.state not in RUNNING or worker.status in closing

    return run_guarded(job, stopped)


def dask_setup(worker: Any) -> None:
    """Preload of the embedded cluster's workers: a Ctrl-C in the terminal reaches every process of
    its group, these workers included, and would kill them under their runs. This client stops
    the runs itself. A Python handler rather than SIG_IGN, which the runs would inherit."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, lambda signum, frame: None)


def _executing(keys: list[Any], dask_worker: Any) -> list[Any]:
    """On a worker: which of ``keys`` it still holds (a cancelled task stays until its guard returns)."""
    return [k for k in keys if k in dask_worker.state.tasks]


def _wait_until_gone(client: Client, keys: list[Any], deadline: float) -> None:
    while keys and time.monotonic() < deadline:
        held = client.run(_executing, keys, on_error="ignore")
        if not any(held.values()):
            return
        time.sleep(STOP_POLL_S)


def _runs_fitting(worker: dict[str, Any], needs: dict[str, float]) -> int:
    """How many runs a worker is given: as many as it runs at once (its threads, fewer when each run
    needs resources), and one more waiting, which it starts the moment one ends."""
    fits = int(worker.get("nthreads", 1))
    have = worker.get("resources") or {}
    for name, amount in needs.items():
        fits = min(fits, int(have.get(name, 0) // amount) if amount > 0 else fits)
    return fits + min(fits, WAITING_PER_WORKER)


def _worker_file(job: Job) -> dict[str, str]:
    try:
        data = json.loads((job.log_path.parent / WORKER).read_text())
    except (OSError, ValueError):
        return {}
    return {k: str(v) for k, v in data.items() if k in ("host", "started_at")} if isinstance(data, dict) else {}


def _connect(address: str | None, workers: int) -> tuple[Client, Any]:
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise InvestigateError(NO_DASK) from None
    if address is None:
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
            # no dashboard; its health endpoint on a free port (8787 may be another cluster's)
            dashboard_address="127.0.0.1:0", scheduler_kwargs={"dashboard": False},
            silence_logs=logging.ERROR, memory_limit=0,  # the runs are processes of their own, not the worker's
            preload=[__name__],  # dask_setup
        )  # fmt: skip
        return Client(cluster), cluster
    where = {"scheduler_file": address} if address.endswith(".json") else {"address": address}
    try:
        return Client(**where, timeout=CONNECT_S), None
    except (OSError, TimeoutError, ValueError) as exc:
        raise InvestigateError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
