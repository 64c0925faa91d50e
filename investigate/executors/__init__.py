"""Where runs execute. ``base`` defines the interface (submit / poll / cancel); ``local`` runs them
as subprocesses of this process. An executor only starts, watches and stops processes: the runner
prepares each run directory before ``submit`` and writes the record after the outcome comes back."""

from investigate.executors.base import Executor, Job, Outcome
from investigate.executors.local import LocalExecutor

__all__ = ["Executor", "Job", "LocalExecutor", "Outcome"]
