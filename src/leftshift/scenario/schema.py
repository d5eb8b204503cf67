"""The JSON Schema of the scenario *file* format, for editors and `leftshift schema`.

The validated model (`Scenario`) is what a file becomes; a file may also write any value as a source
note `{value: ..., source: "..."}`, any number as a distribution `{dist: ...}`, transitions as split
items, interventions as library items (`use:`, with their own `correlations`), and the top-level keys `extends`
and `sweep`. `json_schema()` widens the model's schema to
accept exactly those, so that an editor neither flags a correct file nor misses an unknown key.
"""

from __future__ import annotations

import copy
from typing import Any

from leftshift.scenario.model import Scenario
from leftshift.scenario.sweep_block import SweepBlock

_CONSTRAINTS = {"ge": "minimum", "le": "maximum", "gt": "exclusiveMinimum", "lt": "exclusiveMaximum"}
_DISTRIBUTIONS = ("Beta", "Gamma", "LogNormal", "Normal", "Pert", "Triangular", "Uniform")
_LEFT_AS_IS = {"uncertainty", "correlations", "sources"}
NOTE = "#/$defs/SourceNote"
DIST = "#/$defs/Distribution"


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) a scenario file validates against, as written by hand."""
    schema = Scenario.model_json_schema(by_alias=True, mode="validation")
    defs: dict[str, Any] = schema.pop("$defs")
    sweep = SweepBlock.model_json_schema(by_alias=True, mode="validation")
    for name, sub in sweep.pop("$defs", {}).items():
        defs[f"Sweep{name}"] = sub
    sweep = _rename_refs(sweep, {f"#/$defs/{n}": f"#/$defs/Sweep{n}" for n in ("RangeSpec",)})
    defs["Capacity"]["oneOf"] = [  # exactly one of places and budget
        {"required": ["places"], "properties": {"places": {"not": {"type": "null"}}, "budget": {"type": "null"}}},
        {"required": ["budget"], "properties": {"budget": {"not": {"type": "null"}}, "places": {"type": "null"}}},
    ]
    for name in list(defs):
        defs[name] = _fix_constraints(defs[name])
        if name not in _DISTRIBUTIONS and not name.startswith("Sweep") and name != "Correlation":
            defs[name] = _widen_model(defs[name])
    defs["Distribution"] = {
        "description": "an uncertain number: ordinary runs use its central value, --samples draws from it",
        "type": "object",
        "required": ["dist"],
        "oneOf": [{"$ref": f"#/$defs/{n}"} for n in _DISTRIBUTIONS],
    }
    for n in _DISTRIBUTIONS:  # a distribution may carry its own source note
        defs[n]["properties"]["source"] = {"type": "string"}
    defs["SourceNote"] = {
        "description": "a value with the source it comes from",
        "type": "object",
        "properties": {"value": {}, "source": {"type": "string"}},
        "required": ["value", "source"],
        "additionalProperties": False,
    }
    _add_library_items(defs)
    top = _widen_model(_fix_constraints(schema))
    top["properties"]["interventions"]["anyOf"][0]["items"]["anyOf"].append({"$ref": "#/$defs/LibraryUse"})
    top["properties"]["extends"] = {"type": "string", "description": "a scenario file this one builds on"}
    top["properties"]["sweep"] = _fix_constraints(sweep)
    required = top.pop("required", [])  # a file that extends another may leave them to its base
    top["if"], top["then"], top["else"] = {"required": ["extends"]}, {}, {"required": required}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **top, "$defs": defs}


def _add_library_items(defs: dict[str, Any]) -> None:
    """An intervention item may carry correlations between its own values (paths relative to the item), and may
    instead be `{use: <library name or file>, ...}` with any of the item's keys as overrides (null drops one)."""
    item = defs["Intervention"]
    item["properties"]["correlations"] = {
        "type": "array",
        "items": {"$ref": "#/$defs/Correlation"},
        "description": "rank correlations between this item's uncertain values, paths relative to the item",
    }
    overrides = {key: {"anyOf": [prop, {"type": "null"}]} for key, prop in item["properties"].items()}
    defs["LibraryUse"] = {
        "type": "object",
        "description": "a programme from the intervention library, with overrides (docs/scenarios.md)",
        "properties": {
            "use": {"type": "string", "minLength": 1, "description": "a library name, or a .yaml file"},
            **overrides,
        },
        "required": ["use"],
        "additionalProperties": False,
    }


def _rename_refs(node: Any, renames: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {k: renames.get(v, v) if k == "$ref" else _rename_refs(v, renames) for k, v in node.items()}
    if isinstance(node, list):
        return [_rename_refs(v, renames) for v in node]
    return node


def _fix_constraints(node: Any) -> Any:
    """pydantic writes some bounds as `ge`/`le` (after a validator); JSON Schema calls them minimum/maximum."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            out[_CONSTRAINTS.get(key, key) if "type" in node else key] = _fix_constraints(value)
        return out
    if isinstance(node, list):
        return [_fix_constraints(v) for v in node]
    return node


def _widen_model(model: dict[str, Any]) -> dict[str, Any]:
    model = copy.deepcopy(model)
    for name, prop in model.get("properties", {}).items():
        if name not in _LEFT_AS_IS:
            model["properties"][name] = _value(prop)
    return model


def _value(schema: dict[str, Any]) -> dict[str, Any]:
    """Where a file writes a value: the value itself, or a source note around it."""
    return {"anyOf": [_inner(schema), {"$ref": NOTE}]}


def _inner(schema: dict[str, Any]) -> dict[str, Any]:
    """A number may also be a distribution; the values inside mappings and lists are widened too."""
    schema = dict(schema)
    if schema.get("type") in ("number", "integer"):
        return {"anyOf": [schema, {"$ref": DIST}]}
    for key in ("anyOf", "oneOf"):
        if key in schema:
            schema[key] = [_inner(member) for member in schema[key]]
    if isinstance(schema.get("additionalProperties"), dict):
        schema["additionalProperties"] = _value(schema["additionalProperties"])
    if isinstance(schema.get("items"), dict):
        schema["items"] = _value(schema["items"])
    return schema


__all__ = ["json_schema"]
