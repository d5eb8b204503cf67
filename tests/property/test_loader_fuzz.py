"""Fuzzing the loader: any mutation of a shipped scenario either loads, or fails with leftshift's own
error (a message naming file, key and line), never a traceback. A scenario that loads can also be laid
out and given parameters by the stock-flow engine."""

from __future__ import annotations

import copy
import math
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders import SCENARIOS
from leftshift.engines.model import build_layout
from leftshift.engines.pricing import build_prices
from leftshift.engines.stockflow.engine import TimeGrid, build_parameters
from leftshift.errors import LeftshiftError
from leftshift.scenario.loading import load_scenario
from leftshift.scenario.yaml_reader import parse

EXTRA = int(os.environ.get("LEFTSHIFT_FUZZ_EXAMPLES", "0"))
"""Set to run that many random (not derandomised) examples per test, to hunt for new crash classes."""
FUZZ = {"deadline": None, "suppress_health_check": list(HealthCheck), "derandomize": not EXTRA, "database": None}
FILES = sorted(SCENARIOS.glob("*.yaml"))
RAW = {p.name: parse(p.read_text(encoding="utf-8"), str(p))[0] for p in FILES}
ODD_VALUES = st.one_of(
    st.sampled_from([True, False, None, "", "x", "0500", "1:30", [], {}, [1, 2], {"value": 1}, {"dist": "normal"},
                     {"dist": "pert", "low": 1, "mode": 0, "high": 2}, {"start": 1e308, "growth": 1e9},
                     1e308, -1e308, math.nan, math.inf, -math.inf, 2**70, -(2**70), 1e-300, 0, -1, 2063, 1e-9]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.text(max_size=8),
)  # fmt: skip


def _paths(node: Any, loc: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [loc]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*loc, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, (*loc, i))
    return out


def _mutate(data: Any, loc: tuple[Any, ...], op: str, value: Any) -> Any:
    if not loc:
        return copy.deepcopy(value) if op == "replace" else data
    parent = data
    for part in loc[:-1]:
        parent = parent[part]
    last = loc[-1]
    if op == "delete":
        del parent[last]
    elif op == "duplicate" and isinstance(parent, list):
        parent.insert(last, parent[last])
    elif op == "stringify":
        parent[last] = str(parent[last])
    else:  # a copy: ODD_VALUES' lists and mappings are shared between examples, and a later mutation may go inside
        parent[last] = copy.deepcopy(value)
    return data


mutation = st.tuples(st.integers(min_value=0), st.sampled_from(["delete", "replace", "duplicate", "stringify"]),
                     ODD_VALUES)  # fmt: skip


def _check_loads_or_fails_cleanly(path: Path) -> None:
    try:
        scenario = load_scenario(path)
    except LeftshiftError as exc:
        assert exc.problems and all(p.message for p in exc.problems)
        return
    try:  # what a run does first: the layout, the time grid and the engine's parameters
        layout = build_layout(scenario)
        TimeGrid.for_scenario(scenario, "yearly")
        arrays = [
            *vars(build_parameters([scenario], layout)).values(),
            *vars(build_prices([scenario], layout)).values(),
        ]
    except LeftshiftError:
        return
    assert all(np.isfinite(np.asarray(v, dtype=float)).all() for v in arrays
               if isinstance(v, np.ndarray) and v.dtype.kind == "f")  # fmt: skip


@settings(max_examples=EXTRA or 250, **FUZZ)
@given(st.sampled_from(sorted(RAW)), st.lists(mutation, min_size=1, max_size=4))
def test_mutated_scenarios_load_or_fail_with_a_message(tmp_path_factory, name, mutations):
    folder = tmp_path_factory.mktemp("fuzz")
    for p in FILES:  # `extends` finds its base beside the file
        shutil.copy(p, folder / p.name)
    data = yaml.safe_load(yaml.safe_dump(RAW[name]))
    for index, op, value in mutations:
        paths = _paths(data)
        data = _mutate(data, paths[index % len(paths)], op, value)
    path = folder / f"mutated-{name}"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    _check_loads_or_fails_cleanly(path)


@settings(max_examples=EXTRA or 150, **FUZZ)
@given(st.sampled_from(FILES), st.lists(st.tuples(st.integers(min_value=0), st.binary(min_size=1, max_size=6)),
                                        min_size=1, max_size=5))  # fmt: skip
def test_random_bytes_in_the_text_load_or_fail_with_a_message(tmp_path_factory, source, edits):
    folder = tmp_path_factory.mktemp("bytes")
    for p in FILES:
        shutil.copy(p, folder / p.name)
    raw = bytearray(source.read_bytes())
    for at, chunk in edits:
        raw[at % len(raw) : at % len(raw) + len(chunk)] = chunk
    path = folder / f"bytes-{source.name}"
    path.write_bytes(bytes(raw))
    _check_loads_or_fails_cleanly(path)
