"""The Python face of ``investigate``: the same queries as the CLI, answered as pandas DataFrames.

    import investigate.api as inv
    ws = inv.open(".")
    ws.runs("H-CONFIG")                 # one row per run: arm, seed, matrix keys, param.*, metric.*
    ws.verdicts(); ws.effects("H-CONFIG"); ws.audit()
    ws.hypothesis("H-CONFIG")           # shows its verdict and evidence table in Jupyter

pandas is the ``api`` extra (``pip install 'investigate[api]'``); nothing else in the package
imports it.
"""

from __future__ import annotations

from investigate.api.display import HypothesisView, TreeView
from investigate.api.investigation import Investigation, open  # noqa: A004 - `investigate.api.open(path)`

__all__ = ["HypothesisView", "Investigation", "TreeView", "open"]
