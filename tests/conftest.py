"""Shared fixtures."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from builders import small_scenario
from leftshift.scenario.model import Scenario

# CI runs every property test on the same examples, so a green main stays green; locally hypothesis
# explores new examples on every run (and replays any failure it has found from its database).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture
def scenario() -> Scenario:
    return small_scenario()
