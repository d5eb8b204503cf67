"""pydantic's validation errors -> Problems a user can act on: the key path as written in the file,
its line, and a message in plain words ("unknown key 'when_ful'; did you mean 'when_full'?")."""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from leftshift.errors import Problem
from leftshift.scenario.keypaths import Key, Loc, format_path, parse_path
from leftshift.scenario.model import Scenario

LineMap = dict[Loc, tuple[str, int]]


def located(loc: Loc, message: str, lines: LineMap, file: str | None) -> Problem:
    """A Problem at `loc`, with the file and line of the nearest key that was written down."""
    probe = loc
    while probe and probe not in lines:
        probe = probe[:-1]
    where = lines.get(probe)
    return Problem(message, format_path(loc), where[0] if where else file, where[1] if where else None)


_TYPE_ONLY = {"dict_type", "model_type", "float_type", "float_parsing", "int_type", "int_parsing", "bool_type",
              "bool_parsing", "string_type", "list_type", "model_attributes_type", "literal_error"}  # fmt: skip


def _clean_loc(loc: Sequence[Any], data: Any) -> Loc:
    """Keep the parts of a pydantic location that index the input (drop union-member tags)."""
    out: list[Key] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and (part in node or str(part) in node):
            key = part if part in node else str(part)
            out.append(str(key))
            node = node[key]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            out.append(part)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and not _is_union_tag(part):
            out.append(part)  # a missing or unknown key
            node = None
    return tuple(out)


def _is_union_tag(part: str) -> bool:
    """pydantic names union members in error locations ('BudgetGrowth', 'function-after[...]', '(split)')."""
    return part[:1].isupper() or part.startswith("(") or "[" in part


def _model_at(loc: Loc) -> type[BaseModel] | None:
    """The pydantic model whose fields are the keys at `loc` (for 'did you mean' suggestions)."""

    def models_in(tp: Any) -> list[Any]:
        origin = typing.get_origin(tp)
        if origin in (typing.Union, types.UnionType, typing.Annotated):
            return [m for arg in typing.get_args(tp) for m in models_in(arg)]
        return [tp]

    current: list[Any] = [Scenario]
    for part in loc:
        nxt: list[Any] = []
        for tp in current:
            for member in models_in(tp):
                origin = typing.get_origin(member)
                if isinstance(member, type) and issubclass(member, BaseModel) and isinstance(part, str):
                    for name, info in member.model_fields.items():
                        if part in (name, info.alias):
                            nxt.append(info.annotation)
                elif origin is list and isinstance(part, int):
                    nxt.append(typing.get_args(member)[0])
                elif origin is dict:
                    nxt.append(typing.get_args(member)[1])
        current = nxt
    for tp in current:
        for member in models_in(tp):
            if isinstance(member, type) and issubclass(member, BaseModel):
                return member
    return None


def problems_from(exc: ValidationError, data: dict[str, Any], lines: LineMap, file: str | None) -> list[Problem]:
    by_path: dict[Loc, list[dict[str, Any]]] = {}
    problems: list[Problem] = []

    def problem(loc: Loc, message: str) -> Problem:
        return located(loc, message, lines, file)

    for err in exc.errors():
        if err["type"] == "scenario_reference":
            for path, message in err["ctx"]["problems"]:
                problems.append(problem(parse_path(path) if isinstance(path, str) else tuple(path), message))
            continue
        by_path.setdefault(_clean_loc(err["loc"], data), []).append(err)
    for loc, errs in by_path.items():
        if errs[0]["type"] == "extra_forbidden":
            model = _model_at(loc[:-1])
            known = [info.alias or name for name, info in model.model_fields.items()] if model else []
            close = difflib.get_close_matches(str(loc[-1]), known, n=1)
            allowed = f"; allowed keys: {', '.join(known)}" if known else ""
            hint = f"; did you mean '{close[0]}'?" if close else allowed
            problems.append(problem(loc, f"unknown key '{loc[-1]}'{hint}"))
            continue
        specific = [e for e in errs if e["type"] not in _TYPE_ONLY] or errs
        if specific is errs and len(errs) > 1:
            message = f"expected {' or '.join(sorted({_expected(e) for e in errs}))}; got {errs[0]['input']!r}"
        else:
            first = specific[0]
            message = first["msg"][0].lower() + first["msg"][1:]
            if first["type"] != "missing":
                message += f" (got {first['input']!r})"
        problems.append(problem(loc, message))
    return problems


def _expected(err: dict[str, Any]) -> str:
    return {
        "dict_type": "a mapping (e.g. by age band)",
        "model_type": "a mapping",
        "float_type": "a number",
        "float_parsing": "a number",
        "int_type": "a whole number",
        "int_parsing": "a whole number",
        "bool_type": "true or false",
        "list_type": "a list",
        "string_type": "text",
        "literal_error": err["msg"].removeprefix("Input should be ").lower(),
    }.get(err["type"], err["msg"])
