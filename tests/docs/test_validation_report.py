"""docs/validation.md is what scripts/validation_report.py computes from the code as it is now, and every check in
it passes: a change that moves a validation figure, or breaks a check, fails here until the page is regenerated."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "validation_report.py"


def _report_module():
    spec = importlib.util.spec_from_file_location("validation_report", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


KNOWN_FAILURES: set[str] = set()  # checks shown as FAIL on the page that are not yet met (none now)


def test_the_validation_page_is_up_to_date_and_every_check_passes():
    report = _report_module()
    text, _ = report.build()
    assert report.DOC.read_text() == text, "docs/validation.md is out of date: run python scripts/validation_report.py"
    failed = [line for line in text.splitlines() if line.endswith("**FAIL** |")]
    unexpected = [line for line in failed if line.split(" | ")[0].removeprefix("| ") not in KNOWN_FAILURES]
    assert not unexpected, "failing checks:\n" + "\n".join(unexpected)
