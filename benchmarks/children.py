"""Running a benchmark's own script again in a fresh interpreter, with the leftshift code of a chosen source tree.

The `--against DIR` comparisons alternate fresh processes of this tree's code and DIR's, so that both see the same
load on shared cores and neither inherits the other's imports or numba dispatchers.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_child(script: str, src: Path | None, *args: str, cwd: str | None = None) -> str:
    """The standard output of `python script args...` with `src` (None: the installed leftshift) first on the path."""
    env = {**os.environ, "PYTHONPATH": str(src)} if src else None
    done = subprocess.run([sys.executable, script, *args], capture_output=True, text=True, check=True, env=env,
                          cwd=cwd)  # fmt: skip
    return done.stdout
