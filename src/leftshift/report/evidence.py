"""Source codes in a report linked to the rows of docs/evidence.md they cite, which the report carries.

A source note cites rows of docs/evidence.md by ID (`S22`, `A2-A5`, `C14–C17`). A report is emailed and read
offline, so a link to a web copy of that file would often not open: instead every row a report's notes cite
is copied into an appendix of the report ("Sources cited": each row's quantity, value, source with its web
address, and quality notes), and each code in the parameter table links to its row there. The package carries
a copy of docs/evidence.md for this (`leftshift/report/evidence.md`; tests/docs/test_evidence.py keeps the two
the same).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from importlib import resources

from leftshift.report.page import h

CITATION = re.compile(r"\b([PSCAETMUL])(\d{1,2})\b(?:\s*[-–]\s*(?:\1)?(\d{1,2})\b)?")
"""A row ID, or a range of them (as tests/docs/test_evidence.py reads citations)."""
CODE = re.compile(r"\b[PSCAETMUL]\d{1,2}\b")
URL = re.compile(r"https?://(?:(?!&quot;|&#x27;)[^\s<>])*(?:(?!&quot;|&#x27;)[^\s<>.,;)])")
"""A web address in escaped text (it ends before an escaped quote and before closing punctuation)."""


@cache
def rows() -> dict[str, dict[str, str]]:
    """Every row of the evidence tables by ID: {column heading: cell}, in the file's words."""
    text = resources.files("leftshift.report").joinpath("evidence.md").read_text(encoding="utf-8")
    found: dict[str, dict[str, str]] = {}
    header: list[str] = []
    for line in text.splitlines():
        if not line.startswith("|"):
            header = []
            continue
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if not header:
            header = cells
        elif re.fullmatch(r"[PSCAETMUL]\d+", cells[0]) and header[0] == "ID":
            found[cells[0]] = dict(zip(header[1:], cells[1:], strict=False))
    return found


def cited(notes: Iterable[str]) -> list[str]:
    """The IDs of evidence rows cited in `notes` (ranges expanded), in the file's order."""
    known = rows()
    ids: set[str] = set()
    for note in notes:
        for letter, first, last in CITATION.findall(note):
            ids |= {f"{letter}{n}" for n in range(int(first), int(last or first) + 1)}
    return [i for i in known if i in ids]


def linked(note: str) -> str:
    """A source note as HTML (escaped), each code of a known row a link to its entry in the appendix."""
    known = rows()
    return CODE.sub(lambda m: f'<a href="#evidence-{m[0]}">{m[0]}</a>' if m[0] in known else m[0], h(note))


def _cell(text: str) -> str:
    """A cell of the evidence file as HTML: markdown emphasis dropped, web addresses made links."""
    plain = h(text.replace("**", "").replace("`", ""))
    return URL.sub(lambda m: f'<a href="{m[0]}" rel="noopener">{m[0]}</a>', plain)


def _entry(code: str, row: dict[str, str]) -> str:
    """'S22 Leeds NN: funding: 5-year grants... (£; 2018/19; Leeds). Source: ... Notes: ...' as HTML."""
    cells = [(k, v) for k, v in row.items() if v]
    source = [v for k, v in cells if k.lower().startswith("source")]
    notes = [v for k, v in cells if k.lower().startswith(("notes", "status"))]
    rest = [v for k, v in cells if not k.lower().startswith(("source", "notes", "status"))]
    head = (
        f"<b>{code}</b> {_cell(rest[0])}" + (f": {_cell(rest[1])}" if len(rest) > 1 else "")
        if rest
        else f"<b>{code}</b>"
    )
    more = f" ({'; '.join(_cell(v) for v in rest[2:])})" if len(rest) > 2 else ""
    parts = [head + more] + [f"Source: {_cell(v)}" for v in source] + [f"Notes: {_cell(v)}" for v in notes]
    return "<br>".join(parts)


def appendix(notes: Iterable[str]) -> str:
    """The rows cited in `notes`, each with an anchor the parameter table links to ('' when none is cited)."""
    ids = cited(notes)
    if not ids:
        return ""
    known = rows()
    entries = [f'<li id="evidence-{i}">{_entry(i, known[i])}</li>' for i in ids]
    return (f'<p class="note">{len(ids)} rows of docs/evidence.md are cited in the source notes above; here they '
            "are as that file gives them, with each source's web address.</p>"
            f'<ol class="evidence">{"".join(entries)}</ol>')  # fmt: skip


__all__ = ["appendix", "cited", "linked", "rows"]
