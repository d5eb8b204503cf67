"""Saved batches of a long experiment: one parquet part per finished batch, so that an interrupted run can
resume with only the missing batches (`leftshift.experiments.execute` runs them; this writes and reads them).

Each part is written to a temporary name, then renamed, so a killed run never leaves half a part. The folder's
manifest.json holds the fingerprint of what the parts were computed from; resuming with anything else is refused.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from leftshift.errors import LeftshiftError
from leftshift.io.writing import write_parquet_atomic

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class PartsFolder:
    """A folder of parts (`part-NNNNN.parquet`, and `series-NNNNN.parquet` for yearly series)."""

    path: Path

    def _part(self, kind: str, index: int) -> Path:
        return self.path / f"{kind}-{index:05d}.parquet"

    def prepare(self, fingerprint: str, n_batches: int, resume: bool) -> set[int]:
        """Make the folder ready; return the batches already done (when resuming)."""
        parts, manifest = self.path, self.path / MANIFEST
        if resume:
            if not manifest.exists():
                raise LeftshiftError(f"there is no interrupted run to resume in {parts}; run without --resume")
            saved = json.loads(manifest.read_text())
            if saved.get("fingerprint") != fingerprint:
                raise LeftshiftError(
                    f"the interrupted run in {parts} had different settings (scenario, parameters, seed or batch "
                    "size); run it with exactly the same command, or start again without --resume"
                )
            return {i for i in range(n_batches) if self._part("part", i).exists()}
        if parts.exists():
            shutil.rmtree(parts)
        parts.mkdir(parents=True)
        manifest.write_text(json.dumps({"fingerprint": fingerprint, "batches": n_batches}) + "\n")
        return set()

    def save(self, index: int, table: pd.DataFrame, series: pd.DataFrame | None) -> None:
        """Save one finished batch; the table goes last, since its presence means the batch is done."""
        if series is not None:
            write_parquet_atomic(series, self._part("series", index))
        write_parquet_atomic(table, self._part("part", index))

    def load(self, n_batches: int, series: bool) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        """Every batch's table (and yearly series, if kept), in order."""
        return self._read("part", n_batches), (self._read("series", n_batches) if series else None)

    def _read(self, kind: str, n_batches: int) -> pd.DataFrame:
        frames = [pd.read_parquet(self._part(kind, i)) for i in range(n_batches)]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
