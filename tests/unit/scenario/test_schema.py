"""`leftshift.scenario.schema.json_schema()` accepts every shipped scenario and documented example, and
rejects obviously bad files."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from builders import REPO, SCENARIOS, segmented_scenario_dict, small_scenario_dict
from leftshift.errors import ScenarioError
from leftshift.scenario.schema import json_schema
from leftshift.scenario.yaml_reader import parse

SCHEMA = json_schema()
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def _relaxed(node: Any) -> Any:
    """The schema without `required`: a documentation fragment shows some keys, not all."""
    if isinstance(node, dict):
        return {k: _relaxed(v) for k, v in node.items() if k != "required" or "dist" in v}
    if isinstance(node, list):
        return [_relaxed(v) for v in node]
    return node


RELAXED = _relaxed(SCHEMA)


def as_json(data: Any) -> Any:
    """What an editor sees: mapping keys are text (a budget year 2026 is "2026")."""
    return json.loads(json.dumps(data, default=str))


def errors(data: Any, schema: dict[str, Any] = SCHEMA) -> list[str]:
    return [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(as_json(data))]


def test_the_schema_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("path", [*sorted(SCENARIOS.glob("*.yaml")), *sorted((REPO / "docs").rglob("*.yaml"))],
                         ids=lambda p: p.stem)  # fmt: skip
def test_every_shipped_scenario_validates(path):
    data, _ = parse(path.read_text(encoding="utf-8"), str(path))
    assert errors(data) == []


def _doc_blocks() -> list[tuple[str, str]]:
    blocks = []
    for doc in sorted((REPO / "docs").glob("*.md")):
        for i, match in enumerate(re.finditer(r"```yaml\n(.*?)```", doc.read_text(encoding="utf-8"), re.S)):
            blocks.append((f"{doc.name}#{i}", match.group(1)))
    return blocks


def _chunks(text: str) -> list[Any]:
    """The block as data; a block of alternatives (`rate: 1` then `rate: {...}`) as one chunk per key."""
    text = "\n".join(line for line in textwrap.dedent(text).splitlines() if line.strip() != "...")
    try:
        return [parse(text, "doc")[0]]
    except ScenarioError as exc:
        if "written twice" not in str(exc):
            raise
    pieces = re.split(r"\n(?=[^\s#])", text)
    return [parse(piece, "doc")[0] for piece in pieces if parse(piece, "doc")[0] is not None]


def _sub_schemas(key: str) -> list[dict[str, Any]]:
    """Every place a fragment's top-level key can be written: at the top, or as a key of some model."""
    found = []
    if key in RELAXED["properties"]:
        found.append(RELAXED["properties"][key])
    for model in RELAXED["$defs"].values():
        if key in model.get("properties", {}):
            found.append(model["properties"][key])
    return [{**s, "$defs": RELAXED["$defs"]} for s in found]


def _fragment_errors(data: Any) -> list[str]:
    if isinstance(data, list):  # list items: a transition or an intervention
        items = [RELAXED["properties"][k] for k in ("transitions", "interventions")]
        return [f"item {i}: no list accepts it" for i, item in enumerate(data)
                if all(errors([item], {**s, "$defs": RELAXED["$defs"]}) for s in items)]  # fmt: skip
    if "name" in data and "states" in data:
        return errors(data)
    out = []
    for key, value in data.items():
        candidates = _sub_schemas(str(key))
        if not candidates or all(errors(value, s) for s in candidates):
            out.append(f"{key}: {errors(value, candidates[0]) if candidates else 'not a key anywhere'}")
    return out


@pytest.mark.parametrize(("name", "text"), _doc_blocks(), ids=[n for n, _ in _doc_blocks()])
def test_every_yaml_example_in_the_docs_validates(name, text):
    for data in _chunks(text):
        assert _fragment_errors(data) == [], name


@pytest.mark.parametrize(
    "change",
    [
        {"horizon_yeras": 5},
        {"horizon_years": "twenty"},
        {"horizon_years": True},
        {"capacity": {"residential": {"places": 10, "when_ful": "wait"}}},
        {"capacity": {"residential": {"places": -1}}},
        {"transitions": [{"from": "community", "to": "acute", "rate": 0.1, "split": {"acute": 1}}]},
        {"sweep": {"vary": {"horizon_years": "1:2:3"}, "sampel": "lhs"}},
        {"interventions": [{"name": "x", "sector": "charity", "budget": 1, "cost_per_participant_year": 1,
                            "referrals": {}}]},
        {"segments": {"isolated": {"share": 0.3}}},
        {"segments": {"isolated": {"initial_share": 1.3}}},
        {"segment_moves": {"a->b": -0.1}},
    ],
)  # fmt: skip
def test_obviously_bad_files_fail(change):
    assert errors(small_scenario_dict()) == []
    assert errors(small_scenario_dict(**change)) != []


def test_the_file_format_extras_are_accepted():
    data = small_scenario_dict(extends="base.yaml")
    data["capacity"]["residential"]["places"] = {"value": 380, "source": "MPS 2025"}
    data["transitions"][0]["rate"] = {"value": {"18-64": {"dist": "normal", "mean": 0.07, "sd": 0.01}}, "source": "A2"}
    data["interventions"][0]["budget"] = {2026: 1e5, 2030: {"dist": "uniform", "low": 1, "high": 2}}
    data["transitions"].append({"from": "acute", "rate": 2, "split": {"community": 0.5, "home_care": 0.5}})
    data["sweep"] = {"vary": {"capacity.residential.places": [300, 400]}}
    assert errors(data) == []


def test_segments_are_in_the_schema():
    data = segmented_scenario_dict()
    data["segments"]["isolated"]["entry_share"] = {"value": 0.5, "source": "assumption"}
    data["segments"]["connected"]["entry_share"] = 0.5
    assert errors(data) == []
    segment = SCHEMA["$defs"]["Segment"]["properties"]
    assert {"initial_share", "entry_share", "hazard_multipliers"} <= set(segment)
    assert "segments" in SCHEMA["$defs"]["Eligibility"]["properties"]
    assert "moves_segments" in SCHEMA["$defs"]["Intervention"]["properties"]


def test_the_schema_is_json():
    assert json.loads(json.dumps(SCHEMA)) == SCHEMA
    assert Path(REPO / "src/leftshift/scenario/schema.py").is_file()
    assert yaml.safe_dump(SCHEMA)
