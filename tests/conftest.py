"""Shared fixtures."""

from __future__ import annotations

import fcntl
import functools
import os
import tempfile
from pathlib import Path

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


# How the suite shares the cores (pytest-xdist, `--dist worksteal`): worksteal first hands each worker a contiguous
# slice of the collection, then lets idle workers steal the untouched half of a busy worker's queue. So:
# - The tests that take tens of seconds start first, dealt out longest first across the slices: one started last
#   would leave the other cores idle while it finishes, and all of them in one slice would make that worker the
#   last to finish.
# - The numba kernel's first compile (~40 s) is paid once per run, not once per worker: the first worker to call it
#   compiles under a file lock and writes numba's on-disk cache; the others wait for the lock and load the cache.
#   They meet the kernel late: every slice but the first begins with whole files measured never to call the kernel
#   in-process (WITHOUT_KERNEL), so no core waits long for the compile. (Tests that start processes of their own that
#   run the kernel, e.g. Dask's, stay out of that group: such a process would compile again.)
_DOCUMENT = "tests/docs/test_documented_commands.py::test_documented_commands_run_in_order"
LONGEST_FIRST = (f"{_DOCUMENT}[README.md]", f"{_DOCUMENT}[scenarios.md]", f"{_DOCUMENT}[experiments.md]",
                 "tests/browser/test_report_browser.py::test_leeds_comparison_report_is_small_and_quick",
                 f"{_DOCUMENT}[optimise.md]", f"{_DOCUMENT}[reports.md]")  # fmt: skip
WITHOUT_KERNEL = ("tests/property/test_loader_fuzz.py", "tests/unit/engines/des/",
                  "tests/functional/test_des_queueing.py", "tests/functional/test_des_properties.py",
                  "tests/unit/experiments/test_search.py", "tests/unit/scenario/test_schema.py",
                  "tests/unit/scenario/test_yaml_reader.py", "tests/unit/scenario/test_library.py",
                  "tests/unit/scenario/test_checks.py", "tests/unit/scenario/test_loading.py",
                  "tests/unit/scenario/test_distributions.py")  # fmt: skip


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    rank = {nodeid: i for i, nodeid in enumerate(LONGEST_FIRST)}
    long = sorted((item for item in items if item.nodeid in rank), key=lambda item: rank[item.nodeid])
    early = [item for item in items if item.nodeid.startswith(WITHOUT_KERNEL) and item.nodeid not in rank]
    rest = [item for item in items if not item.nodeid.startswith(WITHOUT_KERNEL) and item.nodeid not in rank]
    if workers < 2:
        items[:] = long + rest + early
        return
    # worksteal's first hand-out: the first worker gets 1/w of the tests, the next 1/(w-1) of the others, ...
    sizes, left = [], len(items)
    for remaining in range(workers, 0, -1):
        sizes.append(left // remaining)
        left -= sizes[-1]
    order: list[pytest.Item] = []
    for k, size in enumerate(sizes):
        head = (early[k - 1 :: workers - 1] if k else []) + long[k::workers]
        take = max(0, size - len(head))
        order += head + rest[:take]
        del rest[:take]
    items[:] = order + rest


LOCK = "LEFTSHIFT_TESTS_KERNEL_LOCK"


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):  # a worker: the controller made the lock (workers inherit its environment)
        if os.environ.get(LOCK):
            _compile_the_kernel_once(Path(os.environ[LOCK]))
    elif config.getoption("dist", "no") != "no":  # the controller of a run on several workers
        handle, os.environ[LOCK] = tempfile.mkstemp(prefix="leftshift-kernel-", suffix=".lock")
        os.close(handle)


def pytest_unconfigure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput") and os.environ.get(LOCK):
        Path(os.environ.pop(LOCK)).unlink(missing_ok=True)


def _compile_the_kernel_once(lock_path: Path) -> None:
    """Workers take turns on the kernel's first call: the first compiles (and caches), the rest load the cache."""
    from leftshift.engines.stockflow import kernel

    compiled = kernel.integrate

    @functools.wraps(compiled.py_func)
    def integrate(*args: object) -> None:
        if compiled.signatures:
            return compiled(*args)
        with open(lock_path, "r+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                return compiled(*args)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    kernel.integrate = integrate
