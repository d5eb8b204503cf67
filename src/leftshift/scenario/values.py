"""Numbers as a scenario file must write them: a number, never `true`, text, or a YAML 1.1 surprise.

pydantic would read `true` as 1 and `"5"` as 5; a scenario where `places: yes` runs with one place
is wrong without a word. These annotated types refuse such values with a message that says why.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError


class SuspectNumber(str):
    """A plain scalar that YAML 1.1 would read as a surprising number (`0500` -> 320, `1:30` -> 90).

    It stays text (a name may be `1:30`), but any place that expects a number refuses it with `why`.
    """

    @property
    def why(self) -> str:
        if ":" in self:
            return (f"'{self}' looks like a base-60 (sexagesimal) number, which YAML 1.1 reads as "
                    f"{_sexagesimal(self):g}; write the number you mean, or quote it if it is text")  # fmt: skip
        digits = self.lstrip("+-").lstrip("0_") or "0"
        return (f"'{self}' has a leading zero, which YAML 1.1 reads as an octal number; write {digits} "
                "(or quote it if it is text)")  # fmt: skip


def _sexagesimal(text: str) -> float:
    sign = -1 if text.startswith("-") else 1
    total = 0.0
    for part in text.lstrip("+-").replace("_", "").split(":"):
        total = total * 60 + float(part or 0)
    return sign * total


def _refuse_non_numbers(value: Any, kind: str) -> Any:
    if type(value) is float or type(value) is int:  # the usual case, first: experiments validate millions
        return value
    if isinstance(value, bool):
        raise PydanticCustomError("bool_not_number", "expected {kind}, not {value} (true/false is not a number)",
                                  {"kind": kind, "value": str(value).lower()})  # fmt: skip
    if isinstance(value, SuspectNumber):
        raise PydanticCustomError("suspect_number", "{why}", {"why": value.why})
    if isinstance(value, str):
        raise PydanticCustomError("text_not_number", "expected {kind}, not text", {"kind": kind})
    return value


def strict_number(value: Any) -> Any:
    """Refuse bools, text and YAML 1.1 look-alikes where a number is expected."""
    return _refuse_non_numbers(value, "a number")


def strict_whole(value: Any) -> Any:
    """Refuse bools, text and YAML 1.1 look-alikes where a whole number is expected."""
    return _refuse_non_numbers(value, "a whole number")


Real = Annotated[float, BeforeValidator(strict_number), Field(allow_inf_nan=False)]
Whole = Annotated[int, BeforeValidator(strict_whole)]

__all__ = ["Real", "SuspectNumber", "Whole", "strict_number", "strict_whole"]
