"""The MCP server: each tool of ``tools.Tools`` registered with the official SDK, spoken over stdio.

A tool's failure (an unknown id, a refused run, a file that does not validate) comes back to the
agent as a tool error carrying the CLI's message, "did you mean" included, never as a crash of the
server. Answers are JSON text (and structured content), built from the same views as the CLI's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations

from investigate import __version__
from investigate.agents.tools import Tools
from investigate.core.errors import InvestigateError
from investigate.core.jsonout import dumps

INSTRUCTIONS = (
    "Tools over an `investigate` workspace: falsifiable hypotheses, the runs that test them, and verdicts "
    "derived from measured metrics. Start with list_initiatives / list_hypotheses, then show an id. "
    "plan is `run --dry-run` (what would execute, and why a cached run is or is not reused). run and "
    "write_hypothesis change the workspace and are refused unless the server was started allowing them."
)
READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, open_world_hint=False)
WRITES = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False)


def _text(value: Any) -> str:
    # strict JSON, as every --json output: a diverged metric is the string "NaN", which any client parses
    return dumps(value, indent=1)


def _guarded(fn: Callable[..., Any]) -> Callable[..., str]:
    def call(*args: Any, **kwargs: Any) -> str:
        try:
            return _text(fn(*args, **kwargs))
        except InvestigateError as exc:
            raise ToolError(str(exc)) from None

    return call


def build_server(tools: Tools) -> MCPServer[Any]:
    server: MCPServer[Any] = MCPServer(
        "investigate", version=__version__, instructions=INSTRUCTIONS, log_level="WARNING"
    )

    def read(description: str) -> Callable[[Callable[..., str]], Callable[..., str]]:
        return server.tool(description=description, annotations=READ_ONLY, structured_output=False)

    @read("Every hypothesis with its verdict, flags and run counts.")
    def list_hypotheses() -> str:
        return _guarded(tools.list_hypotheses)()

    @read("Every initiative: id, title and its hypotheses.")
    def list_initiatives() -> str:
        return _guarded(tools.list_initiatives)()

    @read(
        "One hypothesis (statement, prediction, experiment, rules, verdict with flags and the "
        "values that decided it, effects with 95 % intervals) or one initiative (its decision tree walked)."
    )
    def show(id: str) -> str:  # noqa: A002 - the CLI's word
        return _guarded(tools.show)(id)

    @read("A hypothesis' runs as flat rows (latest=false: every run, superseded ones too).")
    def runs(id: str, latest: bool = True) -> str:  # noqa: A002
        return _guarded(tools.runs)(id, latest)

    @read("Weaknesses of the evidence (`investigate audit`), for one id or the workspace.")
    def audit(id: str | None = None) -> str:  # noqa: A002
        return _guarded(tools.audit)(id)

    @read("A metric by arm × matrix point (mean ± sd), with effects against the control.")
    def compare(id: str, metrics: list[str] | None = None, control: str | None = None) -> str:  # noqa: A002
        return _guarded(tools.compare)(id, metrics, control)

    @read("What differs between two runs (run ids or run directories).")
    def diff(run_a: str, run_b: str) -> str:
        return _guarded(tools.diff)(run_a, run_b)

    @read(
        "The cache plan (`run --dry-run`): each run a `run` would plan, hit or miss and why. "
        "where: matrix key -> accepted values; seeds; profile (e.g. quick)."
    )
    def plan(
        id: str,  # noqa: A002
        where: dict[str, list[str]] | None = None,
        seeds: list[int] | None = None,
        profile: str | None = None,
    ) -> str:
        return _guarded(tools.plan)(id, where, seeds, profile)

    @server.tool(
        description="Run a hypothesis' experiment (cached runs reused) within the run budget and return the "
        "new verdict. Refused unless the server allows running.",
        annotations=WRITES,
        structured_output=False,
    )
    def run(
        id: str,  # noqa: A002
        where: dict[str, list[str]] | None = None,
        seeds: list[int] | None = None,
        profile: str | None = None,
        max_runs: int | None = None,
    ) -> str:
        return _guarded(tools.run)(id, where, seeds, profile, max_runs)

    @server.tool(
        description="Create a new hypothesis file from YAML text; written only if `validate` passes with it, "
        "never over an existing file. Refused unless the server allows writing.",
        annotations=WRITES,
        structured_output=False,
    )
    def write_hypothesis(yaml_text: str) -> str:
        return _guarded(tools.write_hypothesis)(yaml_text)

    return server
