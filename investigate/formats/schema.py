"""pydantic models of the user-facing files (hypotheses, initiatives) and of run records.

Every model forbids unknown keys so a typo is an error with a key path, not a silent default.
Line numbers for errors are added by ``workspace``; README.md shows each format by example.

Controls and the kind of claim (the evidence standards of ``evidence`` and ``audit``):

- ``experiment.control: <arm>`` names the control arm. Every condition on another arm reports its
  effect against it: the difference of means and of medians (arm − control) per matrix point,
  with a 95 % interval over seeds. The control is a property of the experiment's design, so it
  lives beside the arms rather than in ``verdict``.
- A condition's ``vs: <arm>`` makes it a contrast: the value compared is the difference of means
  (arm − vs) at each matrix point, instead of the metric itself. It also names the arm the
  condition's effect is reported against (overriding ``experiment.control``).
- ``kind: causal`` (the default) claims that the arms cause a difference, so a deciding condition
  that holds on every arm, or a measured number that never varies, makes the verdict
  inconclusive. ``kind: derivation`` says the hypothesis checks something that follows from the
  code by construction (a shape, an identity): its verdict is decided by the rules alone.
"""

from __future__ import annotations

import re
import shlex
from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# Anchored with \A and \Z, never ^ and $: `$` also matches before a final newline, so "H-A\n" would
# pass. Callers use fullmatch; the anchors keep a plain `.match` elsewhere just as strict.
HYPOTHESIS_ID = re.compile(r"\AH-[A-Z0-9]+(?:-[A-Z0-9]+)*\Z")
INITIATIVE_ID = re.compile(r"\A[A-Z0-9]+(?:-[A-Z0-9]+)*\Z")
ENTRY_POINT = re.compile(r"\A[A-Za-z_][\w.]*:[A-Za-z_]\w*\Z")
SLUG = re.compile(r"\A[A-Za-z0-9_][A-Za-z0-9_.-]*\Z")
ENV_NAME = re.compile(r"\A[A-Za-z_][A-Za-z0-9_]*\Z")
PYTHON_WORDS = ("python", "python3")  # the leading command words experiment.python replaces

Scalar = bool | int | float | str | None
COMPARISONS = ("equals", "lt", "le", "gt", "ge", "between")
# What ``audit`` can find (``rules.audit`` explains each); ``acknowledge:`` may name any of them.
FINDINGS = (
    "rules_overlap",
    "no_contrast",
    "single_seed",
    "not_discriminating",
    "decided_by_construction?",
    "metric_sensitive",
    "post_hoc",
    "deterministic",
    "effect_unresolved",
    "underpowered",
    "non_numeric",
    "claim_contradicted",
    "claim_unsupported",
)


class Outcome(str, Enum):
    untested = "untested"
    confirmed = "confirmed"
    ruled_out = "ruled_out"
    fixed = "fixed"
    inconclusive = "inconclusive"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Fraction(Strict):
    fraction: float = Field(gt=0, le=1)


class Rule(Strict):
    """Either a combination (``all`` / ``any`` / ``not``) or one condition on a metric."""

    all_: list[Rule] | None = Field(default=None, alias="all")
    any_: list[Rule] | None = Field(default=None, alias="any")
    not_: Rule | None = Field(default=None, alias="not")

    arm: str | None = None
    vs: str | None = None  # the arm this condition is contrasted with: compares arm − vs
    vs_point: dict[str, Scalar] | None = None  # a reference matrix point: compares each point − it
    confidence: float | None = Field(default=None, gt=0, lt=1)  # the level a contrast decides at
    robust_to: list[str] | None = None  # other metrics the condition must agree with
    where: dict[str, Scalar] | None = None
    metric: str | None = None
    equals: Scalar | None = None
    lt: float | None = None
    le: float | None = None
    gt: float | None = None
    ge: float | None = None
    between: tuple[float, float] | None = None
    over: Literal["all", "any", "mean", "median"] | Fraction = "all"

    @model_validator(mode="after")
    def _one_form(self) -> Rule:
        given = self.model_fields_set  # a property: read it once, not per key (80,000 rules at scale)
        if self.all_ is not None or self.any_ is not None or self.not_ is not None:
            combos = [name for name in ("all", "any", "not") if getattr(self, name + "_") is not None]
            condition_keys = [
                k
                for k in ("arm", "vs", "vs_point", "where", "metric", "confidence", "robust_to", *COMPARISONS)
                if k in given
            ]
            if len(combos) > 1:
                raise ValueError(f"use one of all/any/not per rule, got {', '.join(combos)}")
            if condition_keys:
                raise ValueError(f"'{combos[0]}' cannot be mixed with condition keys {condition_keys}")
            return self
        if self.metric is None:
            raise ValueError("a condition needs 'metric' (or use all/any/not)")
        comparisons = [k for k in COMPARISONS if k in given]
        if len(comparisons) != 1:
            raise ValueError(f"a condition needs exactly one of {', '.join(COMPARISONS)}; got {comparisons or 'none'}")
        if self.vs is not None and (self.arm is None or self.vs == self.arm):
            raise ValueError("'vs' contrasts two arms: it needs 'arm', and a different one")
        if self.vs is not None and self.vs_point is not None:
            raise ValueError("give either 'vs' (another arm) or 'vs_point' (another matrix point), not both")
        if self.confidence is not None and not self.is_contrast:
            raise ValueError("'confidence' sets the level of a contrast's interval: it needs 'vs' or 'vs_point'")
        if self.vs_point is not None and not self.vs_point:
            raise ValueError("'vs_point' names the reference point's matrix values, e.g. {scenario: gs1_ideal}")
        if self.is_contrast and "equals" in comparisons and not _is_plain_number(self.equals):
            raise ValueError("with 'vs' the condition compares a difference; 'equals' must be numeric")
        if self.between is not None and self.between[0] > self.between[1]:
            raise ValueError("between: [low, high] needs low <= high")
        if isinstance(self.over, str) and self.over in ("mean", "median") and "equals" in comparisons:
            if not isinstance(self.equals, (int, float)) or isinstance(self.equals, bool):
                raise ValueError(f"over: {self.over} compares a number; 'equals' must be numeric")
        return self

    @property
    def comparison(self) -> tuple[str, Any]:
        for key in COMPARISONS:
            if key in self.model_fields_set:
                return key, getattr(self, key)
        raise ValueError("not a condition")

    @property
    def is_contrast(self) -> bool:
        """The condition compares a difference of means (``vs`` arm or ``vs_point``), decided on intervals."""
        return self.vs is not None or self.vs_point is not None

    @property
    def is_condition(self) -> bool:
        return self.metric is not None

    def leaves(self) -> list[Rule]:
        """Every condition of this rule, in file order."""
        if self.is_condition:
            return [self]
        return [
            leaf for part in (self.all_ or self.any_ or ([self.not_] if self.not_ else [])) for leaf in part.leaves()
        ]


def leading_word(command: str) -> str:
    """The first word of a command line as a shell would split it ("" for none or a broken line)."""
    try:
        words = shlex.split(command)
    except ValueError:
        return ""
    return words[0] if words else ""


def _is_plain_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class VerdictRules(Strict):
    """Rules per outcome, tried in this order: the first that holds wins."""

    confirmed: Rule | None = None
    ruled_out: Rule | None = None


class Fix(Strict):
    description: str
    verified_by: Rule | None = None


class Experiment(Strict):
    run: str | None = None
    command: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    matrix: dict[str, list[Scalar]] = Field(default_factory=dict)
    arms: dict[str, dict[str, Any]] = Field(default_factory=dict)
    control: str | None = None  # the control arm: effects are reported against it
    seeds: list[int] = Field(default_factory=lambda: [0])
    timeout_s: float = Field(default=900, gt=0)
    metrics: list[str] | None = None  # the metrics the experiment reports: rules may name no other
    # How the run executes (docs/format.md, `runtime`). Each is in the cache key only when it differs
    # from its default, so the keys of experiments that do not use them stay what they were.
    shell: bool = False  # command: through /bin/sh -c, each placeholder value shell-quoted
    python: str | None = None  # the interpreter: replaces a leading python/python3 token, or runs a run: entry
    env: dict[str, Scalar] | None = None  # extra environment variables; values may hold placeholders
    cwd: Literal["workspace", "run"] = "workspace"  # where the run's process starts

    @model_validator(mode="after")
    def _one_entry(self) -> Experiment:
        if (self.run is None) == (self.command is None):
            raise ValueError("an experiment needs exactly one of 'run' (module:function) or 'command'")
        if self.run is not None and not ENTRY_POINT.fullmatch(self.run):
            raise ValueError(f"run: {self.run!r} is not 'module:function'")
        for key, values in self.matrix.items():
            if not values:
                raise ValueError(f"matrix.{key} is empty")
            if len(set(map(repr, values))) != len(values):
                raise ValueError(f"matrix.{key} repeats a value")
        for arm in self.arms:
            if not SLUG.fullmatch(arm):
                raise ValueError(f"arm name {arm!r} must be letters, digits, '_', '-', '.'")
        if len(set(self.seeds)) != len(self.seeds):
            raise ValueError("seeds repeat a value")
        if self.metrics is not None and len(set(self.metrics)) != len(self.metrics):
            raise ValueError("metrics repeat a name")
        if self.control is not None and self.control not in self.arm_names:
            raise ValueError(f"control: {self.control!r} is not one of the arms ({', '.join(self.arm_names)})")
        return self._runtime_fits()

    def _runtime_fits(self) -> Experiment:
        if self.shell and self.command is None:
            raise ValueError("shell: true applies to 'command'; a 'run' entry point is called, not parsed by a shell")
        for name in self.env or {}:
            if not ENV_NAME.fullmatch(name):
                raise ValueError(f"env: {name!r} is not an environment variable name (letters, digits, '_')")
        if self.python is not None:
            if not self.python.strip():
                raise ValueError("python: give an interpreter (a path or a name on PATH)")
            if self.command is not None and leading_word(self.command) not in PYTHON_WORDS:
                raise ValueError(
                    "python: replaces a leading 'python' or 'python3' in 'command', and this command starts with "
                    f"{leading_word(self.command)!r}; start it with python, or drop python:"
                )
        return self

    @property
    def arm_names(self) -> list[str]:
        return list(self.arms) or ["default"]


class Acknowledgement(Strict):
    """An audit finding a human has looked at and accepts, with the reason (``audit`` exits 0 for it)."""

    finding: str
    reason: str = Field(min_length=1)

    @field_validator("reason")
    @classmethod
    def _one_line(cls, value: str) -> str:
        # a folded YAML scalar ends in a newline; the reason is printed inline
        if not value.strip():
            raise ValueError("give the reason the finding is accepted")
        return " ".join(value.split())

    @field_validator("finding")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in FINDINGS:
            import difflib

            close = difflib.get_close_matches(value, FINDINGS, n=1)
            hint = f"; did you mean {close[0]}?" if close else f"; one of {', '.join(FINDINGS)}"
            raise ValueError(f"finding {value!r} is not one audit reports{hint}")
        return value


class Hypothesis(Strict):
    id: str
    title: str
    initiative: str | None = None
    statement: str
    prediction: str
    experiment: Experiment | None = None
    kind: Literal["causal", "derivation"] = "causal"
    verdict: VerdictRules | None = None
    fix: Fix | None = None
    notes: str | None = None
    acknowledge: list[Acknowledgement] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not HYPOTHESIS_ID.fullmatch(value):
            raise ValueError(f"{value!r} is not a hypothesis id like H-CONFIG (^H-[A-Z0-9-]+$)")
        return value

    @model_validator(mode="after")
    def _vs_names_an_arm(self) -> Hypothesis:
        # An unknown 'arm' only leaves a condition untested, but an unknown 'vs' would silently
        # drop the contrast the verdict rests on, so it is refused here.
        if self.experiment is None or not self.experiment.arms or self.verdict is None:
            return self
        arms = self.experiment.arm_names
        for rule in (self.verdict.confirmed, self.verdict.ruled_out):
            for leaf in rule.leaves() if rule else []:
                if leaf.vs is not None and leaf.vs not in arms:
                    raise ValueError(f"vs: {leaf.vs!r} is not one of the arms ({', '.join(arms)})")
        return self

    @model_validator(mode="after")
    def _vs_point_in_matrix(self) -> Hypothesis:
        # A reference point outside the matrix would leave every contrast silently untested.
        if self.experiment is None or self.verdict is None:
            return self
        matrix = self.experiment.matrix
        for rule in (self.verdict.confirmed, self.verdict.ruled_out):
            for leaf in rule.leaves() if rule else []:
                for key, value in (leaf.vs_point or {}).items():
                    if key not in matrix or not any(repr(value) == repr(v) for v in matrix[key]):
                        axes = ", ".join(f"{k}: {v}" for k, v in matrix.items()) or "no matrix"
                        raise ValueError(f"vs_point: {key}={value!r} is not a point of the matrix ({axes})")
        return self


class DecisionNode(Strict):
    question: str
    hypothesis: str | None = None
    confirmed: str | None = None
    ruled_out: str | None = None
    fixed: str | None = None
    inconclusive: str | None = None
    note: str | None = None

    def edge(self, outcome: Outcome) -> str | None:
        if outcome is Outcome.untested:
            return None
        target: str | None = getattr(self, outcome.value)
        if target is None and outcome is Outcome.fixed:
            return self.confirmed  # a fixed cause is a confirmed cause with a verified fix
        return target

    def edges(self) -> dict[str, str]:
        return {o.value: t for o in Outcome if o is not Outcome.untested and (t := getattr(self, o.value, None))}


class DecisionTree(Strict):
    start: str
    nodes: dict[str, DecisionNode]


class Verification(Strict):
    """Which runs fill the summary's Verification Evidence table: one row per value of ``row``."""

    hypothesis: str
    arm: str | None = None
    arms: list[str] | None = None  # several arms side by side (e.g. before / after a fix)
    row: str = "scenario"
    rows: list[Scalar]
    metrics: list[str]

    @model_validator(mode="after")
    def _one_arm_selector(self) -> Verification:
        if self.arm is not None and self.arms is not None:
            raise ValueError("give either 'arm' or 'arms', not both")
        if self.arms is not None and not self.arms:
            raise ValueError("'arms' needs at least one arm")
        return self


class Artifact(Strict):
    label: str
    path: str


class Narrative(Strict):
    """The words a human writes. Numbers and statuses come from runs, never from here."""

    status: str | None = None
    outcome: str
    root_cause: str | None = None
    fix: str | None = None
    remaining: str | None = None
    conclusion: str | None = None
    claims: dict[str, Outcome] = Field(default_factory=dict)
    # one table, or a list of them (e.g. the fix's table and a baseline's), each with its figures
    verification: Verification | list[Verification] | None = None
    artifacts: list[Artifact] = Field(default_factory=list)

    @property
    def verification_tables(self) -> list[tuple[Verification, tuple[Any, ...]]]:
        """Each verification table with its key path below ``summary.verification``."""
        if self.verification is None:
            return []
        if isinstance(self.verification, list):
            return [(spec, (i,)) for i, spec in enumerate(self.verification)]
        return [(self.verification, ())]


class Initiative(Strict):
    id: str
    title: str
    hypotheses: list[str]
    decision_tree: DecisionTree | None = None
    summary: Narrative | None = None

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not INITIATIVE_ID.fullmatch(value):
            raise ValueError(f"{value!r} is not an initiative id like DEBUG-SIM-LINES-DOSE-001")
        return value


Status = Literal["ok", "error", "timeout", "interrupted"]


class RunRecord(BaseModel):
    """One run's ``run.json``. Unknown keys are kept so newer records still load."""

    model_config = ConfigDict(extra="allow")

    run_id: str
    hypothesis: str
    entry: str
    arm: str
    point: dict[str, Any]
    seed: int
    params: dict[str, Any]
    status: Status
    metrics: dict[str, Any] = Field(default_factory=dict)
    artifacts: list[str] = Field(default_factory=list)
    error: str | None = None
    # the crash in one line: exception type, message's first line, raising frame (absent in older records)
    error_line: str | None = None
    started_at: str
    duration_s: float
    cache_key: str
    reused_from: str | None = None
    original_duration_s: float | None = None  # a cache hit: what the reused run took
    key_parts: dict[str, Any] | None = None  # what the cache key hashes, for explaining a later miss
    provenance: dict[str, Any] = Field(default_factory=dict)
    # run -p/--set KEY=VALUE as given: a one-off variant, not evidence for the hypothesis' verdict
    overrides: dict[str, Any] | None = None
    peak_rss_mb: float | None = None  # the run's process tree at its peak (resident memory), when measured
    cpu_s: float | None = None  # user + system CPU seconds of the run's processes, when measured
    diff_file: str | None = None  # the git diff of a dirty checkout, stored beside the run (a file of its dir)
    run_dir: str = ""  # relative to the workspace root; filled in when read from disk
    # The hypothesis' rules when the run was recorded (``rules.posthoc``): a hash of the verdict
    # block, and the file's git blob id when the workspace is a git repository. Older records lack them.
    rules_hash: str | None = None
    rules_blob: str | None = None
    # A run of ``run --until-decided``: {"looks": planned looks, "max_seeds": N, "batch": K or 0}
    sequential: dict[str, Any] | None = None


Rule.model_rebuild()
