"""Writing is all or nothing, only ever over leftshift's own files, and one run per folder at a time."""

from __future__ import annotations

import errno
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from leftshift.errors import LeftshiftError
from leftshift.io import outputs
from leftshift.io.outputs import MANIFEST, atomic_directory, claim_output, lock_path


def _write(target: Path, files: dict[str, str], force: bool = False) -> None:
    with atomic_directory(target, force=force) as work:
        for name, text in files.items():
            (work / name).parent.mkdir(parents=True, exist_ok=True)
            (work / name).write_text(text)


def _hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_a_failure_while_writing_leaves_the_old_directory_untouched(tmp_path):
    target = tmp_path / "results"
    _write(target, {"old.csv": "old"})
    with pytest.raises(RuntimeError), atomic_directory(target, force=True) as work:
        (work / "new.csv").write_text("half")
        raise RuntimeError("disk full")
    assert sorted(p.name for p in target.iterdir()) == [MANIFEST, "old.csv"]
    assert [p.name for p in tmp_path.iterdir()] == ["results"]  # no partial folder, no lock


def test_success_replaces_the_directory_in_one_go(tmp_path):
    target = tmp_path / "results"
    with atomic_directory(target, force=False) as work:
        (work / "a.csv").write_text("a")
        assert not target.exists()
    assert (target / "a.csv").read_text() == "a"
    with pytest.raises(LeftshiftError, match="--force"), atomic_directory(target, force=False):
        pass


def test_the_manifest_lists_every_file_written_with_the_version(tmp_path):
    _write(tmp_path / "out", {"a.csv": "a", "sub/b.csv": "b"})
    manifest = json.loads((tmp_path / "out" / MANIFEST).read_text())
    assert manifest["written_by"] == "leftshift" and manifest["leftshift_version"]
    assert manifest["files"] == ["a.csv", "sub", "sub/b.csv"]


def test_force_replaces_leftshift_outputs_only(tmp_path):
    target = tmp_path / "out"
    _write(target, {"a.csv": "1", "sub/b.csv": "1"})
    _write(target, {"a.csv": "2"}, force=True)
    assert (target / "a.csv").read_text() == "2" and not (target / "sub").exists()
    (target / "notes.txt").write_text("mine")
    (target / "sub").mkdir()
    with pytest.raises(LeftshiftError, match=r"2 file\(s\) leftshift did not write \(notes.txt, sub\)"):
        _write(target, {"a.csv": "3"}, force=True)
    assert (target / "notes.txt").read_text() == "mine" and (target / "a.csv").read_text() == "2"


def test_force_refuses_a_folder_without_a_manifest_and_names_the_first_files(tmp_path):
    target = tmp_path / "results"
    target.mkdir()
    for i in range(7):
        (target / f"note{i}.txt").write_text("keep me")
    with pytest.raises(LeftshiftError, match=r"note0\.txt, note1\.txt, note2\.txt, note3\.txt, note4\.txt and 2 more"):
        _write(target, {"a.csv": "a"}, force=True)
    assert len(list(target.iterdir())) == 7
    assert [p.name for p in tmp_path.iterdir()] == ["results"]


def test_an_empty_folder_is_written_into_without_force(tmp_path):
    (tmp_path / "out").mkdir()
    _write(tmp_path / "out", {"a.csv": "a"})
    assert (tmp_path / "out" / "a.csv").exists()


def test_created_folders_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        _write(tmp_path / "deep" / "out", {"sub/a.csv": "a"})
    finally:
        os.umask(old)
    for folder in (tmp_path / "deep", tmp_path / "deep" / "out", tmp_path / "deep" / "out" / "sub"):
        assert folder.stat().st_mode & 0o777 == 0o755, folder


def test_a_second_run_into_the_same_folder_fails_at_once(tmp_path):
    target = tmp_path / "out"
    with claim_output(target, force=False):
        assert lock_path(target).read_text().split()[0] == str(os.getpid())
        with pytest.raises(LeftshiftError, match=f"being written by another leftshift run \\(process {os.getpid()}"):
            _write(target, {"a.csv": "a"})
    assert not target.exists() and not lock_path(target).exists()
    _write(target, {"a.csv": "a"})  # free again once the first run ends


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(done.stdout)


def test_the_lock_and_partial_folders_of_a_killed_run_are_cleaned_up(tmp_path):
    target = tmp_path / "out"
    pid = _dead_pid()
    lock_path(target).write_text(f"{pid} {outputs._HOST} abc\n")
    stale = tmp_path / f".other.{pid}.{outputs._HOST_TAG}.0123abcd.partial"
    stale.mkdir()
    (stale / "half.csv").write_text("half")
    live = tmp_path / f".other.{os.getpid()}.{outputs._HOST_TAG}.0123abcd.partial"
    live.mkdir()
    _write(target, {"a.csv": "a"})
    assert (target / "a.csv").exists() and not stale.exists() and live.exists()
    assert _hidden(tmp_path) == [live.name]


def test_a_lock_held_on_another_host_is_respected(tmp_path):
    target = tmp_path / "out"
    lock_path(target).write_text("1 some-other-host abc\n")
    words = f"(?s)process 1 on some-other-host.*delete {re.escape(str(lock_path(target)))}"
    with pytest.raises(LeftshiftError, match=words):
        _write(target, {"a.csv": "a"})


def test_a_folder_that_appears_during_the_run_is_not_replaced_and_results_are_kept(tmp_path):
    target = tmp_path / "out"
    claimed = claim_output(target, force=True)
    refused = pytest.raises(LeftshiftError, match="while this run was working")
    with refused as raised, claimed as claim, claim.writing() as work:
        (work / "a.csv").write_text("result")
        target.mkdir()
        (target / "theirs.txt").write_text("theirs")
    assert (target / "theirs.txt").read_text() == "theirs"
    [aside] = [p for p in tmp_path.iterdir() if p.name.startswith("out.leftshift-")]
    assert (aside / "a.csv").read_text() == "result" and str(aside) in str(raised.value)


def test_foreign_files_added_during_the_run_stop_a_forced_replacement(tmp_path):
    target = tmp_path / "out"
    _write(target, {"a.csv": "old"})
    claimed = claim_output(target, force=True)
    with pytest.raises(LeftshiftError, match=r"notes\.txt"), claimed as claim, claim.writing() as work:
        (work / "a.csv").write_text("new")
        (target / "notes.txt").write_text("mine")
    assert (target / "notes.txt").read_text() == "mine" and (target / "a.csv").read_text() == "old"


def test_out_under_a_file_is_a_short_error(tmp_path):
    (tmp_path / "somefile.txt").write_text("x")
    with pytest.raises(LeftshiftError, match=r"somefile\.txt is a file, not a folder"):
        _write(tmp_path / "somefile.txt" / "sub", {"a.csv": "a"})
    with pytest.raises(LeftshiftError, match="not a directory"):
        _write(tmp_path / "somefile.txt", {"a.csv": "a"})


@pytest.mark.parametrize(("code", "words"), [(errno.ENOSPC, "the disk is full"), (errno.EROFS, "read-only"),
                                             (errno.EACCES, "permission denied")])  # fmt: skip
def test_disk_errors_while_writing_are_short_and_leave_nothing(tmp_path, code, words):
    target = tmp_path / "out"
    with pytest.raises(LeftshiftError, match=words) as raised, atomic_directory(target, force=False) as work:
        (work / "a.csv").write_text("half")
        raise OSError(code, os.strerror(code), str(work / "b.csv"))
    assert "cannot write" in str(raised.value) and "--out" in str(raised.value)
    assert list(tmp_path.iterdir()) == []


def test_a_read_only_parent_is_a_short_error_before_any_work(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(lock_path(tmp_path / "out")))

    monkeypatch.setattr(outputs.os, "open", refuse)
    with pytest.raises(LeftshiftError, match="read-only"), claim_output(tmp_path / "out", force=False):
        raise AssertionError("the run must not start")


def test_a_replacement_half_done_by_a_killed_run_is_finished(tmp_path):
    target = tmp_path / "out"
    _write(target, {"a.csv": "old"})
    target.rename(tmp_path / ".out.old")  # killed between its two renames
    with claim_output(target, force=True):
        assert (target / "a.csv").read_text() == "old"  # the old outputs are back
    assert not (tmp_path / ".out.old").exists()
