"""Writing is all or nothing."""

from __future__ import annotations

import pytest

from leftshift.errors import LeftshiftError
from leftshift.output import atomic_directory


def test_a_failure_while_writing_leaves_the_old_directory_untouched(tmp_path):
    target = tmp_path / "results"
    target.mkdir()
    (target / "old.csv").write_text("old")
    with pytest.raises(RuntimeError), atomic_directory(target, force=True) as work:
        (work / "new.csv").write_text("half")
        raise RuntimeError("disk full")
    assert [p.name for p in target.iterdir()] == ["old.csv"]
    assert [p.name for p in tmp_path.iterdir()] == ["results"]


def test_success_replaces_the_directory_in_one_go(tmp_path):
    target = tmp_path / "results"
    with atomic_directory(target, force=False) as work:
        (work / "a.csv").write_text("a")
        assert not target.exists()
    assert (target / "a.csv").read_text() == "a"
    with pytest.raises(LeftshiftError, match="--force"), atomic_directory(target, force=False):
        pass
