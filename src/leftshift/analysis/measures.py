"""How leftshift writes a measure: one place for units and number formats, read by the terminal and the reports
(so a figure reads the same wherever a director meets it)."""

from __future__ import annotations

import math


def format_number(value: float | None, unit: str = "") -> str:
    """A number as a person reads it: £12.3m, £4,500, 0.42 (a ratio), 1,234 (people, days)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if unit == "GBP":
        sign = "-" if value < 0 else ""
        size = abs(value)
        if size >= 1e6:
            return f"{sign}£{size / 1e6:,.1f}m"
        return f"{sign}£{size:,.0f}"
    if unit == "ratio":
        return f"{value:,.2f}"
    return f"{value:,.0f}"
