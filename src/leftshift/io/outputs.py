"""Output folders: written all or nothing, only ever over leftshift's own files, one run per folder.

Why each piece is here:
* a folder leftshift writes carries a manifest (`.leftshift-manifest.json`) listing every entry it
  wrote, so `--force` can replace leftshift's outputs and refuse when anything else is in the folder;
* a run claims its folder (a lock file `.<name>.lock` beside it, holding pid and host) before any
  work, so a second run into the same folder fails at once instead of replacing the first one's
  results or mixing its saved parts;
* the outputs are written into a hidden `.<name>.<pid>.<host>.<random>.partial` folder and renamed
  into place in one step; partial folders of runs that died are removed by the next run beside them;
* folders are created with the user's umask (colleagues on a shared drive can open them);
* a full disk, a read-only folder or a path under a file is a short LeftshiftError, not a traceback.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from leftshift.errors import LeftshiftError
from leftshift.io.writing import write_json

MANIFEST = ".leftshift-manifest.json"
WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOTDIR, errno.EEXIST,
                errno.EISDIR, errno.ENAMETOOLONG, errno.EFBIG, errno.EIO, errno.ENOTEMPTY}  # fmt: skip
"""OSErrors that mean "this folder cannot take these files": told to the user, not shown as a traceback."""
_REASONS = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "your disk quota is used up",
            errno.EROFS: "the file system is read-only", errno.EACCES: "permission denied",
            errno.EPERM: "permission denied", errno.ENOTDIR: "part of the path is a file, not a folder",
            errno.EEXIST: "something is already there", errno.EISDIR: "a folder is in the way",
            errno.ENAMETOOLONG: "the path is too long", errno.EFBIG: "the file is too large for this disk",
            errno.EIO: "the disk reported an input/output error"}  # fmt: skip
SHOWN = 5  # foreign files named in a refusal


# Errors from the disk ---------------------------------------------------------------------------------


def write_error(exc: OSError, target: Path) -> LeftshiftError:
    """A disk error as a message that names the path and says what to do."""
    path = exc.filename or target
    reason = _REASONS.get(exc.errno or 0, exc.strerror or str(exc))
    return LeftshiftError(
        f"cannot write {path}: {reason}",
        hint="Nothing was written. Free some space or fix the permissions, or choose another --out folder.",
    )


@contextmanager
def disk_errors(target: Path) -> Iterator[None]:
    """Turn the OSErrors of a folder that cannot take files into a LeftshiftError about `target`."""
    try:
        yield
    except OSError as exc:
        if exc.errno in WRITE_ERRNOS:
            raise write_error(exc, target) from None
        raise


# Which files are leftshift's ---------------------------------------------------------------------------


def entries(root: Path) -> list[str]:
    """Every file and folder under `root` (not following links), as relative posix paths, sorted."""
    found: list[str] = []

    def walk(folder: Path, prefix: str) -> None:
        with os.scandir(folder) as items:
            for item in items:
                name = prefix + item.name
                if name == MANIFEST:
                    continue
                found.append(name)
                if item.is_dir(follow_symlinks=False):
                    walk(Path(item.path), name + "/")

    walk(root, "")
    return sorted(found)


def read_manifest(directory: Path) -> set[str]:
    """The entries leftshift wrote into `directory` (none if it has no readable manifest)."""
    try:
        data = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        return {str(f) for f in data["files"]} if data.get("written_by") == "leftshift" else set()
    except (OSError, ValueError, KeyError, TypeError):
        return set()


def write_manifest(directory: Path, files: Iterable[str]) -> None:
    from leftshift.analysis.summary import version

    write_json(directory / MANIFEST, {"written_by": "leftshift", "leftshift_version": version(),
                                      "files": sorted(set(files))})  # fmt: skip


def foreign_entries(directory: Path) -> list[str]:
    """What in `directory` leftshift did not write (everything, without a manifest)."""
    own = read_manifest(directory)
    return [e for e in entries(directory) if e not in own]


def _named(files: list[str]) -> str:
    shown = ", ".join(files[:SHOWN])
    return shown + (f" and {len(files) - SHOWN} more" if len(files) > SHOWN else "")


def remove_own(directory: Path) -> bool:
    """Delete what the manifest lists, then the folder if nothing else is left; True if it is gone.

    Never deletes an entry leftshift did not write (a note someone added meanwhile stays).
    """
    own = read_manifest(directory)
    for name in sorted(own, key=lambda n: n.count("/"), reverse=True):
        path = directory / name
        if path.is_symlink() or path.is_file():
            path.unlink(missing_ok=True)
        elif path.is_dir():
            with suppress(OSError):  # holds something unlisted: keep it
                path.rmdir()
    (directory / MANIFEST).unlink(missing_ok=True)
    try:
        directory.rmdir()
    except OSError:
        return False
    return True


# One run per folder ------------------------------------------------------------------------------------

_HOST = socket.gethostname()
_HOST_TAG = hashlib.sha1(_HOST.encode()).hexdigest()[:8]
_PARTIAL = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.(?P<host>[0-9a-f]{8})\.[0-9a-f]{8}\.partial$")
_UNWRITTEN_LOCK_SECONDS = 60  # a lock file still empty after this long belongs to a run that died


def lock_path(target: Path) -> Path:
    return target.parent / f".{target.name}.lock"


def _alive(pid: int, host: str) -> bool:
    """Whether a run may still be going (when in doubt, yes: another host, or Windows)."""
    if host != _HOST or os.name == "nt":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_lock(path: Path) -> tuple[str, int, str] | None:
    """(raw text, pid, host) of a lock file; None when it is unreadable or not yet written."""
    try:
        raw = path.read_text(encoding="utf-8")
        pid, host, _ = raw.split(maxsplit=2)
        return raw, int(pid), host
    except (OSError, ValueError):
        return None


def _busy(target: Path, lock: Path, owner: tuple[str, int, str] | None) -> LeftshiftError:
    who = f"process {owner[1]} on {owner[2]}" if owner else "another process"
    return LeftshiftError(
        f"{target} is being written by another leftshift run ({who})",
        hint=f"Wait for it to finish, or choose another --out folder. If no leftshift run is going, delete {lock}.",
    )


def _break_stale(lock: Path, raw: str) -> bool:
    """Remove a dead run's lock; False if a live run took it meanwhile (then it is put back)."""
    tomb = lock.with_name(f"{lock.name}.stale-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        lock.rename(tomb)
    except FileNotFoundError:
        return True  # someone else removed it: try again
    if tomb.read_text(encoding="utf-8") == raw:
        tomb.unlink()
        return True
    with suppress(OSError):  # not the stale lock we read: a live run's; give it back
        os.link(tomb, lock)
    tomb.unlink()
    return False


def acquire_lock(target: Path) -> Path:
    """Create `.<name>.lock` beside `target` (O_EXCL), or fail at once if a live run holds it."""
    lock = lock_path(target)
    token = secrets.token_hex(8)
    for _ in range(20):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
        except FileExistsError:
            owner = _read_lock(lock)
            if owner is None:
                try:
                    age = time.time() - lock.stat().st_mtime
                except FileNotFoundError:
                    continue
                if age < _UNWRITTEN_LOCK_SECONDS:
                    time.sleep(0.05)  # being written this instant
                    continue
                owner = (lock.read_text(encoding="utf-8"), 0, _HOST)
            elif _alive(owner[1], owner[2]):
                raise _busy(target, lock, owner) from None
            if not _break_stale(lock, owner[0]):
                raise _busy(target, lock, _read_lock(lock)) from None
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(f"{os.getpid()} {_HOST} {token}\n")
        return lock
    raise _busy(target, lock, _read_lock(lock))


def clean_stale_partials(parent: Path) -> None:
    """Remove the `.partial` folders of runs on this host that died (killed before they could clean up)."""
    try:
        items = list(os.scandir(parent))
    except OSError:
        return
    for item in items:
        match = _PARTIAL.match(item.name)
        dead = match and match["host"] == _HOST_TAG and not _alive(int(match["pid"]), _HOST)
        if dead and item.is_dir(follow_symlinks=False):
            shutil.rmtree(item.path, ignore_errors=True)


# Claiming and writing a folder ----------------------------------------------------------------------------


def _check_target(target: Path, force: bool) -> bool:
    """Refuse a target that cannot or must not be replaced; return whether it exists (and holds files)."""
    for ancestor in [target, *target.parents]:
        if ancestor.exists() or ancestor.is_symlink():
            if ancestor != target and not ancestor.is_dir():
                raise LeftshiftError(f"cannot write {target}: {ancestor} is a file, not a folder; choose another --out")
            break
    if target.exists() and not target.is_dir():
        raise LeftshiftError(f"{target} exists and is not a directory; choose another --out")
    if not target.is_dir() or not any(target.iterdir()):
        return False
    if not force:
        raise LeftshiftError(
            f"{target} already holds files; pass --force to replace them, or choose another --out directory"
        )
    foreign = foreign_entries(target)
    if foreign:
        raise LeftshiftError(
            f"{target} holds {len(foreign)} file(s) leftshift did not write ({_named(foreign)}); "
            "--force only ever replaces leftshift's own outputs",
            hint="Move those files elsewhere, or choose another --out folder.",
        )
    return True


def _recover_swap(target: Path) -> None:
    """Finish a replacement a killed run left half-done (it renamed the old outputs to `.<name>.old`)."""
    old = target.with_name(f".{target.name}.old")
    if not old.is_dir():
        return
    if target.exists():
        remove_own(old)
    else:
        old.rename(target)  # the new outputs never arrived: put the old ones back


@dataclass
class Claim:
    """An output folder this run holds: checked and locked, to be written all at once by `writing()`."""

    target: Path
    force: bool
    existed: bool

    def _partial(self) -> Path:
        name = f".{self.target.name}.{os.getpid()}.{_HOST_TAG}.{secrets.token_hex(4)}.partial"
        work = self.target.parent / name
        work.mkdir()  # mode 0o777 less the umask: colleagues can open what we write
        return work

    @contextmanager
    def writing(self) -> Iterator[Path]:
        """Yield an empty folder; when the block succeeds it becomes `target` (with a manifest) in one rename.

        On any error (or Ctrl-C) it is removed and `target` is left as it was.
        """
        with disk_errors(self.target):
            work = self._partial()
            try:
                yield work
                write_manifest(work, entries(work))
                self._commit(work)
            except BaseException:
                shutil.rmtree(work, ignore_errors=True)
                raise

    def _commit(self, work: Path) -> None:
        target = self.target
        if target.is_dir() and not any(target.iterdir()):
            target.rmdir()
        if not target.exists() and not target.is_symlink():
            work.rename(target)
            return
        foreign = foreign_entries(target) if target.is_dir() else [target.name]
        if foreign or not (self.existed and self.force):
            aside = target.with_name(f"{target.name}.leftshift-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}")
            work.rename(aside)
            what = f"files leftshift did not write ({_named(foreign)})" if foreign else "files"
            raise LeftshiftError(
                f"{target} was given {what} by someone else while this run was working, so it was not replaced",
                hint=f"Your results are safe in {aside}.",
            )
        old = target.with_name(f".{target.name}.old")
        target.rename(old)
        work.rename(target)
        remove_own(old)


@contextmanager
def claim_output(target: Path, force: bool) -> Iterator[Claim]:
    """Check and lock `target` before any work; hold it (and its `.parts`) until the block ends."""
    target = Path(target)
    with disk_errors(target):
        existed = _check_target(target, force)
        target.parent.mkdir(parents=True, exist_ok=True)
        lock = acquire_lock(target)
    try:
        with disk_errors(target):
            _recover_swap(target)
            clean_stale_partials(target.parent)
            existed = _check_target(target, force)  # again, now that no other run can change it
            yield Claim(target, force, existed)
    finally:
        lock.unlink(missing_ok=True)


@contextmanager
def atomic_directory(target: Path, force: bool) -> Iterator[Path]:
    """Claim `target` and yield a temporary folder that replaces it in one rename when the block succeeds."""
    with claim_output(target, force) as claim, claim.writing() as work:
        yield work


@contextmanager
def adding_to(directory: Path, names: Iterable[str], ours: Callable[[Path], bool] = lambda _: False) -> Iterator[None]:
    """Lock an existing results folder to add (or replace) `names` in it, and list them in its manifest.

    An existing file is replaced only if the manifest lists it, or `ours(path)` recognises it (outputs
    of a leftshift from before manifests).
    """
    directory = Path(directory)
    names = list(names)
    with disk_errors(directory):
        lock = acquire_lock(directory)
    try:
        with disk_errors(directory):
            own = read_manifest(directory)
            theirs = [n for n in names if (directory / n).exists() and n not in own and not ours(directory / n)]
            if theirs:
                raise LeftshiftError(f"{directory} holds {_named(theirs)}, which leftshift did not write; "
                                     "move it elsewhere first, or copy the results to another folder")  # fmt: skip
            yield
            if (directory / MANIFEST).exists() or own:
                write_manifest(directory, own | set(names))
            else:
                write_manifest(directory, names)
    finally:
        lock.unlink(missing_ok=True)
