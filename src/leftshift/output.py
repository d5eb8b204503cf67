"""Writing results to disk: all or nothing, and never over someone's files without --force."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from leftshift.errors import LeftshiftError
from leftshift.loading import resolved_yaml
from leftshift.result import Result

CSV_FLOAT = "%.12g"  # 12 significant digits: exact enough for any count or cost, a third smaller files


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "scenario"


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def _clean(value: Any) -> Any:
    """NaN is not JSON: write null."""
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(_clean(data), indent=2, default=_json_default) + "\n", encoding="utf-8")


@contextmanager
def atomic_directory(target: Path, force: bool) -> Iterator[Path]:
    """Yield a temporary directory beside `target`; on success it replaces `target` in one rename.

    On any error (or Ctrl-C) the temporary directory is removed and `target` is left as it was.
    """
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise LeftshiftError(f"{target} exists and is not a directory; choose another --out")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise LeftshiftError(
            f"{target} already holds files; pass --force to replace them, or choose another --out directory"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent))
    try:
        yield work
        if target.exists():
            old = target.with_name(f".{target.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            target.rename(old)
            work.rename(target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            work.rename(target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def write_result(directory: Path, result: Result, summary: dict[str, Any]) -> None:
    """Every table as CSV, summary.json and the resolved scenario, into an existing directory."""
    for stem, table in result.tables().items():
        table.to_csv(directory / f"{stem}.csv", index=False, float_format=CSV_FLOAT)
    write_json(directory / "summary.json", summary)
    (directory / "scenario.resolved.yaml").write_text(resolved_yaml(result.scenario), encoding="utf-8")


def write_table(path: Path, table: pd.DataFrame) -> None:
    table.to_csv(path, index=False, float_format=CSV_FLOAT)
