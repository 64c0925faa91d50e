"""Delta debugging between a good and a bad configuration (``investigate isolate``).

The CLI layer builds the deltas with ``compute_deltas(good, bad)``, wraps its runner into a
``test(keys)`` (or a batch callback for a round of configurations) whose configuration is
``apply_deltas(good, deltas, keys)``, calls ``isolate`` and writes ``hypothesis_yaml``.
"""

from investigate.isolate.algorithm import BatchFn, Entry, Outcome, Tested, Tester, TestFn, dd, parallel, sequential
from investigate.isolate.configs import ABSENT, Delta, apply_deltas, compute_deltas, flatten, sections, unflatten
from investigate.isolate.hypothesis import hypothesis_yaml
from investigate.isolate.rules import TestRule, run_outcome
from investigate.isolate.search import IsolationError, IsolationResult, isolate, minimize
from investigate.isolate.stochastic import ReplicatedTest

__all__ = [
    "ABSENT",
    "BatchFn",
    "Delta",
    "Entry",
    "IsolationError",
    "IsolationResult",
    "Outcome",
    "ReplicatedTest",
    "TestFn",
    "TestRule",
    "Tested",
    "Tester",
    "apply_deltas",
    "compute_deltas",
    "dd",
    "flatten",
    "hypothesis_yaml",
    "isolate",
    "minimize",
    "parallel",
    "run_outcome",
    "sections",
    "sequential",
    "unflatten",
]
