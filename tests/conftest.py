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


# Tests that take tens of seconds (the documents' commands, the loader fuzz, the 20-year Leeds report) run first:
# the suite runs on every core (pytest-xdist, work stealing), and a long test started last would leave the other
# cores idle while it finishes.
LONG_FIRST = ("tests/docs/test_documented_commands.py::test_documented_commands_run_in_order",
              "tests/property/test_loader_fuzz.py", "tests/browser/test_report_browser.py::test_leeds")  # fmt: skip


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: not item.nodeid.startswith(LONG_FIRST))  # a stable sort: otherwise in order
