"""Shared fixtures."""

from __future__ import annotations

import pytest

from builders import small_scenario
from leftshift.scenario import Scenario


@pytest.fixture
def scenario() -> Scenario:
    return small_scenario()
