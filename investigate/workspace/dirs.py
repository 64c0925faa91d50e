"""Where a workspace is, and its directories: ``pyproject.toml`` with ``[tool.investigate]`` (or simply
a ``hypotheses/`` directory), read without loading any model (the early survey of ``status``
needs the store's directory before they are imported)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from investigate.core.errors import InvestigateError

DEFAULT_PATHS = {"hypotheses": "hypotheses", "plans": "plans", "reports": "reports"}


def find_root(start: Path | None = None) -> Path:
    """Walk up from ``start`` (default: cwd) to the first directory that is a workspace."""
    here = Path(start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if _investigate_table(candidate) is not None or (candidate / "hypotheses").is_dir():
            return candidate
    raise InvestigateError(
        f"no workspace found from {here}: expected a pyproject.toml with [tool.investigate] "
        "or a hypotheses/ directory (or pass --workspace DIR)"
    )


def _investigate_table(directory: Path) -> dict[str, Any] | None:
    pyproject = directory / "pyproject.toml"
    if not pyproject.is_file():
        return None
    try:
        data = tomllib.loads(pyproject.read_bytes().decode("utf-8"))
    except OSError as exc:
        raise InvestigateError(f"{pyproject.name}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise InvestigateError(f"{pyproject.name}: not UTF-8 (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise InvestigateError(f"{pyproject.name}: {exc}") from None
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise InvestigateError(f"{pyproject.name}: tool: must be a table ([tool.investigate] ...), not {tool!r}")
    table = tool.get("investigate")
    if table is not None and not isinstance(table, dict):
        # `[tool] investigate = 5` was ignored, and the workspace silently had the default settings
        raise InvestigateError(
            f"{pyproject.name}: tool.investigate: must be a table ([tool.investigate]), not {table!r}"
        )
    return table


@dataclass(frozen=True)
class Dirs:
    root: Path
    hypotheses: Path
    plans: Path
    reports: Path
    table: dict[str, Any]  # [tool.investigate]


def workspace_dirs(start: Path | None = None) -> Dirs:
    """The workspace's root and directories, without loading anything (raises as ``load_workspace``)."""
    root = find_root(start)
    table = _investigate_table(root) or {}
    dirs = {key: _inside(root, _path_setting(table, key, default), key) for key, default in DEFAULT_PATHS.items()}
    return Dirs(root, dirs["hypotheses"], dirs["plans"], dirs["reports"], table)


def _path_setting(table: dict[str, Any], key: str, default: str) -> str:
    value = table.get(key, default)
    where = f"pyproject.toml: tool.investigate.{key}"
    if not isinstance(value, str):  # `reports = 5` made a directory named 5
        raise InvestigateError(f"{where}: must be a path (a string), not {value!r}")
    if "\0" in value:
        raise InvestigateError(f"{where}: {value!r} holds a NUL byte")
    return value


def _inside(root: Path, relative: str, key: str) -> Path:
    path = (root / relative).resolve()
    if path != root and root not in path.parents:
        raise InvestigateError(f"pyproject.toml: tool.investigate.{key}: {relative!r} is outside the workspace")
    return path


def hypothesis_files(directory: Path | str) -> list[str]:
    """The hypothesis files in ``directory`` (``*.yaml``, ``*.yml``), sorted; none if it does not exist.
    Strings, not Paths: building 10,000 Path objects was a tenth of loading a large workspace."""
    if not os.path.isdir(directory):
        return []
    with os.scandir(directory) as entries:
        names = sorted(e.name for e in entries if e.name.endswith((".yaml", ".yml")) and e.is_file())
    return [f"{directory}{os.sep}{name}" for name in names]


def file_id(path: str) -> str:
    """The id the hypothesis in ``path`` must have: the file's name without its suffix."""
    return os.path.basename(path).rsplit(".", 1)[0]
