"""The run context handed to a Python experiment: where to write, which seed, how to save."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from investigate.core.atomic import write_atomic


@dataclass
class RunContext:
    """What an experiment function receives besides its params.

    ``run_dir`` exists before the experiment starts and belongs to this run alone.
    Artifacts saved through the helpers are listed in the run record.
    """

    run_dir: Path
    seed: int
    artifacts: list[str] = field(default_factory=list)

    def artifact(self, name: str) -> Path:
        """Path inside the run dir for an artifact the caller writes itself (e.g. a PNG)."""
        path = self.run_dir / name
        if path.resolve().parent != self.run_dir.resolve() and self.run_dir.resolve() not in path.resolve().parents:
            raise ValueError(f"artifact name {name!r} escapes the run directory")
        if name not in self.artifacts:
            self.artifacts.append(name)
        return path

    def save_json(self, name: str, obj: Any) -> Path:
        path = self.artifact(name)
        write_atomic(path, json.dumps(obj, indent=2, allow_nan=True, default=_jsonable).encode())
        return path

    def save_npy(self, name: str, array: Any) -> Path:
        import io

        import numpy as np

        buffer = io.BytesIO()
        np.save(buffer, np.asarray(array))
        path = self.artifact(name)
        write_atomic(path, buffer.getvalue())
        return path

    def log(self, message: str) -> None:
        """One progress line into the run's log (stdout is captured to log.txt)."""
        print(message, flush=True)


def _jsonable(value: Any) -> Any:
    # numpy scalars and arrays are the usual non-JSON values experiments produce.
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")
