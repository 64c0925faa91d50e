"""The exported JSON Schemas accept every shipped file and refuse what validate refuses key by key.

A small validator for the keywords the export uses keeps this test free of extra dependencies.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest

from investigate.cli.main import main
from investigate.formats.jsonschema import json_schema
from investigate.formats.yamlio import load_yaml

ROOT = Path(__file__).resolve().parents[2]
TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
}


def errors(schema: dict[str, Any], value: Any, root: dict[str, Any] | None = None, path: str = "") -> list[str]:
    root = root or schema
    if "$ref" in schema:
        target: Any = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return errors(target, value, root, path)
    if "anyOf" in schema:
        if any(not errors(option, value, root, path) for option in schema["anyOf"]):
            return []
        return [f"{path}: matches no option"]
    out = []
    kind = schema.get("type")
    if kind == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind == "number":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    elif kind is not None:
        ok = isinstance(value, TYPES[kind])
    else:
        ok = True
    if not ok:
        return [f"{path}: not {kind}"]
    if "enum" in schema and value not in schema["enum"]:
        out.append(f"{path}: not one of {schema['enum']}")
    if "const" in schema and value != schema["const"]:
        out.append(f"{path}: not {schema['const']}")
    if "pattern" in schema and not re.search(schema["pattern"], value):
        out.append(f"{path}: does not match {schema['pattern']}")
    if "exclusiveMinimum" in schema and not value > schema["exclusiveMinimum"]:
        out.append(f"{path}: not > {schema['exclusiveMinimum']}")
    if "maximum" in schema and not value <= schema["maximum"]:
        out.append(f"{path}: not <= {schema['maximum']}")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        out += [f"{path}.{key}: required" for key in schema.get("required", []) if key not in value]
        for key, item in value.items():
            if key in props:
                out += errors(props[key], item, root, f"{path}.{key}")
            elif schema.get("additionalProperties") is False:
                out.append(f"{path}.{key}: unknown key")
            elif isinstance(schema.get("additionalProperties"), dict):
                out += errors(schema["additionalProperties"], item, root, f"{path}.{key}")
    if isinstance(value, list):
        prefix = schema.get("prefixItems", [])
        for i, item in enumerate(value):
            sub = prefix[i] if i < len(prefix) else schema.get("items")
            if sub is not None:
                out += errors(sub, item, root, f"{path}[{i}]")
        if "minItems" in schema and len(value) < schema["minItems"]:
            out.append(f"{path}: fewer than {schema['minItems']} items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            out.append(f"{path}: more than {schema['maxItems']} items")
    return out


def shipped(kind: str) -> list[Path]:
    if kind == "hypothesis":
        return sorted((ROOT / "hypotheses").glob("H-*.yaml")) + sorted(ROOT.glob("tests/fixtures/*/hypotheses/*.yaml"))
    return sorted(ROOT.glob("plans/*/initiative.yaml")) + sorted(ROOT.glob("tests/fixtures/*/plans/*/initiative.yaml"))


@pytest.mark.parametrize("kind", ["hypothesis", "initiative"])
def test_every_shipped_file_is_valid_against_the_schema(kind: str) -> None:
    schema = json_schema(kind)
    files = shipped(kind)
    assert files
    for path in files:
        assert errors(schema, load_yaml(path, path.name)) == [], path


def test_the_schema_refuses_unknown_keys_bad_types_and_bad_ids() -> None:
    schema = json_schema("hypothesis")
    good = {"id": "H-A", "title": "t", "statement": "s", "prediction": "p"}
    assert errors(schema, good) == []
    assert errors(schema, {**good, "titel": "x"}) == [".titel: unknown key"]
    assert errors(schema, {**good, "id": "H-a"})[0].startswith(".id: does not match")
    exp = {"run": "m:f", "seeds": ["zero"]}
    assert errors(schema, {**good, "experiment": exp})
    rule = {"confirmed": {"all": [{"metric": "m", "equals": True, "over": {"fraction": 1.5}}]}}
    assert errors(schema, {**good, "verdict": rule})
    assert errors(schema, {**good, "experiment": {"run": "m:f", "timeout_s": 0}})


def test_schema_command_needs_no_workspace_and_matches_the_committed_files(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    for kind in ("hypothesis", "initiative"):
        assert main(["schema", "--kind", kind]) == 0
        printed = capsys.readouterr().out
        assert json.loads(printed)["$schema"].startswith("https://json-schema.org/")
        committed = ROOT / "docs" / "schema" / f"{kind}.schema.json"
        assert printed == committed.read_text(encoding="utf-8"), (
            f"regenerate with: investigate schema --kind {kind} -o {committed.relative_to(ROOT)}"
        )
    assert main(["schema", "-o", str(tmp_path / "h.json")]) == 0
    assert json.loads((tmp_path / "h.json").read_text())["properties"]["experiment"]
