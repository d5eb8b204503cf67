"""docs/evidence.md holds every row the shipped scenarios and the intervention library cite, each with its source.

A citation is a row ID (`A10`, `S22`, `E19`, `L4`) anywhere in a scenario or library file, in a source note or a
comment, with ranges (`A2-A5`, `C14-C17`) meaning every row between; `7.1 'Name'` names a row of table 7.1.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from leftshift.scenario.library import LIBRARY

REPO = Path(__file__).resolve().parents[2]
EVIDENCE = (REPO / "docs" / "evidence.md").read_text(encoding="utf-8")
FILES = sorted((REPO / "scenarios").glob("*.yaml")) + sorted(LIBRARY.glob("*.yaml"))
CITATION = re.compile(r"\b([PSCAETMUL])(\d{1,2})\b(?:\s*[-–]\s*(?:\1)?(\d{1,2})\b)?")
SECTION = re.compile(r"\b7\.(\d)\b")
NAMED = re.compile(r"7\.1 '([^'\n]+)'")
ROW = re.compile(r"^\| ([PSCAETMUL]\d+) \|(.*)$", re.M)
ROWS = dict(ROW.findall(EVIDENCE))


def cited_rows(text: str) -> set[str]:
    rows = set()
    for letter, first, last in CITATION.findall(text):
        rows |= {f"{letter}{n}" for n in range(int(first), int(last or first) + 1)}
    return rows


def _plain(text: str) -> str:
    return text.replace("–", "-").replace("−", "-").lower()


def table_7_1() -> str:
    start = EVIDENCE.index("### 7.1 ")
    return _plain(EVIDENCE[start : EVIDENCE.index("### 7.2 ", start)])


def test_the_citation_pattern_reads_ranges():
    assert cited_rows("evidence.md 7.1 (A2-A5), C14–C17, E19; E8") == {"A2", "A3", "A4", "A5", "C14", "C15", "C16",
                                                                       "C17", "E19", "E8"}  # fmt: skip


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_row_cited_is_in_docs_evidence(path):
    text = path.read_text(encoding="utf-8")
    missing = sorted(cited_rows(text) - set(ROWS))
    assert not missing, f"{path.name} cites rows that docs/evidence.md lacks: {missing}"
    for section in set(SECTION.findall(text)) & {"1", "2", "3"}:
        assert f"### 7.{section} " in EVIDENCE
    rows_7_1 = table_7_1()
    for name in NAMED.findall(text):
        assert _plain(name) in rows_7_1, f"{path.name} cites 7.1 '{name}', which is not a parameter of table 7.1"


def test_every_row_gives_its_source():
    """Each row names its source: a web address, 'URL not kept', another row whose source it shares, or says it is
    the project's own judgement ([EST])."""
    for row_id, rest in ROWS.items():
        cells = [c.strip() for c in rest.split("|")]
        if row_id.startswith("U"):
            continue  # claims we could not verify: the row says what was looked for
        source, judged = cells[-3], "[EST]" in cells[-2]  # a judgement says so, with its working
        assert "http" in source or "URL not kept" in source or cited_rows(source) & set(ROWS) or judged, row_id


def test_the_rows_added_for_the_library_are_there():
    added = sorted((r for r in ROWS if r.startswith("L")), key=lambda r: int(r[1:]))
    assert added == [f"L{n}" for n in range(1, len(added) + 1)] and len(added) >= 7
    cited = set().union(*(cited_rows(p.read_text(encoding="utf-8")) for p in LIBRARY.glob("*.yaml")))
    assert set(added) <= cited, "an L row that no library programme cites"


def test_the_package_carries_the_same_evidence_reports_link_to():
    """Reports copy cited rows from leftshift/report/evidence.md (docs/evidence.md is not in the package)."""
    from importlib import resources

    shipped = resources.files("leftshift.report").joinpath("evidence.md").read_text(encoding="utf-8")
    assert shipped == EVIDENCE, "cp docs/evidence.md src/leftshift/report/evidence.md"
