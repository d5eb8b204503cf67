"""Every Result table carries `replication`, whichever engine made it, and files keep their old shape."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from builders import small_scenario
from leftshift.analysis import metrics, summary
from leftshift.api import run
from leftshift.io.reading import read_result
from leftshift.io.writing import write_result


@pytest.fixture(scope="module")
def stockflow():
    return run(small_scenario())


@pytest.fixture(scope="module")
def des():
    return run(small_scenario(), engine="des", replications=2, jobs=1)


@pytest.mark.parametrize("which", ["stockflow", "des"])
def test_every_table_starts_with_replication(request, which):
    result = request.getfixturevalue(which)
    for stem in ("timeseries", "flows", "costs", "queues", "programmes"):
        frame = getattr(result, stem)
        assert frame.columns[0] == "replication", stem
        assert frame["replication"].dtype == np.int64, stem
    assert list(result.replications) == ([0] if which == "stockflow" else [0, 1])
    assert result.replicated is (which == "des")


def test_a_stock_flow_run_is_replication_0_and_its_files_have_no_such_column(stockflow, tmp_path):
    assert (stockflow.timeseries["replication"] == 0).all()
    assert all("replication" not in t.columns for t in stockflow.tables().values())
    write_result(tmp_path, stockflow, summary.build(stockflow))
    assert "replication" not in pd.read_csv(tmp_path / "timeseries.csv", nrows=0).columns
    back = read_result(tmp_path)
    assert back.engine == "stockflow" and not back.replicated
    for stem in ("timeseries", "flows", "costs", "queues", "programmes"):
        assert list(getattr(back, stem).columns) == list(getattr(stockflow, stem).columns), stem
    pd.testing.assert_frame_equal(metrics.compute(back), metrics.compute(stockflow), rtol=1e-9)


def test_discrete_event_files_keep_replication(des, tmp_path):
    assert all(t.columns[0] == "replication" for t in des.tables().values())
    write_result(tmp_path, des, summary.build(des))
    back = read_result(tmp_path)
    assert back.replicated and list(back.replications) == [0, 1]


def test_metrics_are_per_replication_for_both_engines(stockflow, des):
    for result in (stockflow, des):
        table = metrics.compute(result)
        assert list(table.columns) == ["replication", "metric", "value", "unit"]
        assert set(table["replication"]) == set(result.replications)
        assert len(table) == len(metrics.METRICS) * len(result.replications)
    assert "value" in summary.build(stockflow)["metrics"]["deaths"]
    assert "ci95_low" in summary.build(des)["metrics"]["deaths"]
