"""The files ``investigate init`` writes: a workspace with one example hypothesis and initiative.

The example needs nothing beyond the standard library, passes ``validate`` and runs in about a
second: gradient descent on a one-dimensional quadratic diverges when the step size times the
curvature exceeds 2, and the hypothesis tests that with a control arm (a step size below the
limit) against a treatment arm (the configured one), over three seeds.
"""

from __future__ import annotations

from pathlib import Path

from investigate.core.atomic import write_atomic
from investigate.core.errors import InvestigateError

PYPROJECT = """[tool.investigate]
hypotheses = "hypotheses"
plans = "plans"
reports = "reports"
"""

EXPERIMENT = '''"""The example experiment: gradient descent on f(x) = L/2 x², which diverges once lr * L > 2."""

import math
import random


def descend(params, ctx):
    """Run ``steps`` updates x <- x - lr * L * x from a seeded start; report whether it diverged."""
    rng = random.Random(ctx.seed)
    x = 1.0 + rng.random()
    lr, curvature = params["lr"], params["curvature"]
    history = []
    for step in range(params["steps"]):
        x = x - lr * curvature * x
        if not math.isfinite(x) or abs(x) > 1e150:  # the next update would overflow
            x = math.nan
            break
        history.append({"step": step, "loss": 0.5 * curvature * x * x})
    ctx.save_json("history.json", history)  # per-step curve: plotted in the summary
    return {"diverged": math.isnan(x), "final_loss": 0.5 * curvature * x * x}
'''

HYPOTHESIS = """id: H-STEP-SIZE
title: The loss diverges because the step size exceeds 2/L
initiative: EXAMPLE-001
statement: >
  Gradient descent diverges because lr * L > 2, where L is the curvature of the loss.
prediction: >
  With lr well below 2/L every seed converges (final loss below 1e-6); with the configured
  lr = 2.5 every seed diverges.
experiment:
  run: example.experiment:descend
  params: {curvature: 1.0, steps: 1000}
  arms:
    small: {lr: 0.01}
    configured: {lr: 2.5}
  control: small
  seeds: [0, 1, 2]
  timeout_s: 60
verdict:
  confirmed:
    all:
      - {arm: small, metric: final_loss, lt: 1.0e-6, over: all}
      - {arm: configured, metric: diverged, equals: true, over: all}
  ruled_out:
    any:
      - {arm: small, metric: final_loss, ge: 1.0e-6, over: any}
      - {arm: configured, metric: diverged, equals: false, over: all}
"""

INITIATIVE = """id: EXAMPLE-001
title: Why does the example training loop diverge?
hypotheses: [H-STEP-SIZE]
decision_tree:
  start: step-size
  nodes:
    step-size:
      question: Does a step size below 2/L remove the divergence?
      hypothesis: H-STEP-SIZE
      confirmed: done
      ruled_out: look-elsewhere
    done:
      question: Root cause found; apply the fix and check it with a hypothesis of its own.
    look-elsewhere:
      question: Not the step size; write the next hypothesis (initialisation? data?).
summary:
  outcome: Written by you once the verdicts are in; the numbers come from the runs.
"""

FILES = {
    "pyproject.toml": PYPROJECT,
    "example/__init__.py": "",
    "example/experiment.py": EXPERIMENT,
    "hypotheses/H-STEP-SIZE.yaml": HYPOTHESIS,
    "plans/EXAMPLE-001/initiative.yaml": INITIATIVE,
}


def scaffold(root: Path) -> list[str]:
    """Write the example workspace into ``root``; refuses to touch a directory that has any of its files
    (or a ``pyproject.toml``, a ``hypotheses/`` or a ``plans/``). Returns the files written."""
    taken = [name for name in (*FILES, "hypotheses", "plans") if (root / name).exists()]
    if taken:
        raise InvestigateError(
            f"{root}: already holds {', '.join(sorted(set(taken)))}; investigate init writes into a new "
            "or empty directory (add [tool.investigate] to an existing pyproject.toml by hand)"
        )
    for rel, text in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text.encode())
    return list(FILES)
