"""The first survey of a store: no index yet (the first call, or the first after this package
changed), so every hypothesis must be parsed, validated and evaluated and every record read.

Each forked worker does all of it for a share of the names: it parses and validates their
hypothesis files and sends them at once, for the workspace to load from instead of parsing them
again (``early_parses``), then surveys those names as ``survey.survey_names`` does once the
workspace is loaded, against the models it made, and sends that. So no model is validated twice,
and the workspace loads while the store is read. A row counts only if the file it was computed
from is the one the workspace loaded (``Survey.sources``).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from investigate.store.index import DirLister, Stat, code_fingerprint
from investigate.views import parallel
from investigate.views.survey import PER_WORKER, Early, Job, Survey, forget, job_of, register, stamps_of, survey_names
from investigate.workspace.dirs import Dirs, file_id, hypothesis_files

if TYPE_CHECKING:
    from investigate.workspace.yamlcache import Entry


@dataclass
class FirstEarly(Early):
    """A first survey: its workers send the parsed files (``parses``) before what they found."""

    parses_taken: bool = False

    def parses(self) -> dict[str, tuple[Stat, Entry | None]]:
        """path -> (the stat it was parsed under, its entry): once; empty if the workers failed."""
        if self.parses_taken:
            return {}
        self.parses_taken = True
        sent = self.started.receive()
        return {path: (stat, entry) for share in sent or () for path, stat, entry in share}

    def surveys(self) -> list[Survey] | None:
        self.parses()  # they come first, whether the loader took them or not
        return super().surveys()

    def close(self) -> None:
        super().close()
        if _started.get(self.job.root) is self:
            del _started[self.job.root]


_started: dict[str, FirstEarly] = {}  # reports/ (absolute) -> the first survey started there


def early_parses(reports_dir: str) -> dict[str, tuple[Stat, Entry | None]]:
    """The hypothesis files a first survey of this store parsed (path -> (stat, entry)), for the
    loader to take instead of parsing them again; empty when there is none."""
    early = _started.get(reports_dir)
    return early.parses() if early is not None else {}


def start_first(dirs: Dirs) -> Early | None:
    """Start the first survey of the workspace with these directories, or None where it does not
    pay (a small workspace) or forking fails."""
    root = str(dirs.reports)
    lister = DirLister(root, {})
    stamps = stamps_of(root, lister)
    files = _files_by_name(str(dirs.hypotheses))

    def weight(name: str) -> int:  # parsing a file costs about as much as reading a group
        return len(files.get(name, ())) + len(stamps.get(name, ()))

    names = sorted(set(stamps) | set(files))
    workers = parallel.workers(sum(weight(name) for name in names), PER_WORKER)
    if workers < 2:
        return None
    import investigate.workspace.load  # noqa: F401 - the models: imported once here, not in every worker

    prefix = dirs.reports.relative_to(dirs.root).as_posix()
    job = Job(None, root, prefix, str(dirs.hypotheses), stamps, False, code_fingerprint(), time.time_ns(), True, dirs)
    key = register(job)
    chunks = parallel.split(names, workers, weight)
    tasks = [(key, chunk, [file for name in chunk for file in files.get(name, ())]) for chunk in chunks]
    started = parallel.start(first_survey, tasks)
    if started is None:
        forget(key)
        return None
    early = _started[root] = FirstEarly(job, key, lister, started)
    return early


def _files_by_name(directory: str) -> dict[str, list[str]]:
    """name -> its hypothesis files (``<name>.yaml``, ``<name>.yml``): the files loading reads."""
    found: dict[str, list[str]] = {}
    for path in hypothesis_files(directory):
        found.setdefault(file_id(path), []).append(path)
    return found


# ---- in the workers -------------------------------------------------------------------------


def first_survey(task: tuple[int, list[str], list[str]]) -> Iterator[Any]:
    """Parse and validate the hypothesis files of these names and send them; then survey the
    names against the models made here and send that."""
    from investigate.workspace import yamlcache
    from investigate.workspace.load import assembled

    job, names, files = job_of(task[0]), task[1], task[2]
    assert job.dirs is not None
    parsed, models = yamlcache.parse_early(files, str(job.dirs.root))
    yield parsed
    ws = assembled(job.dirs, models)
    stats = {path: stat for path, stat, _ in parsed}
    yamlcache.adopt(ws, stats)
    out = survey_names((register(dataclasses.replace(job, ws=ws)), names))
    out.sources = {name: stats[ws.source_file(name)] for name in out.rows}
    yield out
