"""The shipped scenarios give the numbers they gave when the snapshots were saved (tests/regression/outputs.py).

A failure here means a change moved the shipped answers: if that was meant, rewrite the snapshots with
`python tests/regression/outputs.py` and say why in the commit; if not, it is a regression.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from outputs import CASES, snapshot_path

RTOL, ATOL, ATOL_GBP = 1e-9, 1e-6, 1e-3  # same seed, same machine arithmetic: only rounding may differ


@pytest.mark.parametrize("case", list(CASES))
def test_shipped_outputs_match_their_snapshot(case):
    for table, frame in CASES[case]().items():
        saved = pd.read_csv(snapshot_path(case, table), keep_default_na=False, na_values=[""])
        assert len(frame) == len(saved), f"{case}.{table}: {len(frame)} rows, snapshot has {len(saved)}"
        missing = [c for c in saved.columns if c not in frame.columns]
        assert not missing, f"{case}.{table}: columns {missing} are gone (add columns, rename none)"
        for column in saved.columns:  # columns added since the snapshot are not compared
            new, old = frame[column].reset_index(drop=True), saved[column]
            where = f"{case}.{table}.{column}"
            if pd.api.types.is_numeric_dtype(old) and pd.api.types.is_numeric_dtype(new):
                atol = ATOL_GBP if "gbp" in column else ATOL
                np.testing.assert_allclose(new.to_numpy(float), old.to_numpy(float), rtol=RTOL, atol=atol,
                                           equal_nan=True, err_msg=where)  # fmt: skip
            else:
                assert new.astype(str).tolist() == old.astype(str).tolist(), where
