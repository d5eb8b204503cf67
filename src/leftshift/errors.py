"""Errors a user can fix, with enough context (file, key path, line) to fix them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    message: str
    path: str = ""
    file: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        if self.file is None and not self.path and self.line is None:
            return self.message
        where = self.file or "<scenario>"
        if self.line is not None:
            where += f", line {self.line}"
        key = f" at {self.path}" if self.path else ""
        return f"{where}{key}: {self.message}"


class LeftshiftError(Exception):
    """An error caused by the user's input; the CLI prints it without a traceback and exits 2."""

    def __init__(self, problems: list[Problem] | str, hint: str = "") -> None:
        self.problems = [Problem(problems)] if isinstance(problems, str) else list(problems)
        self.hint = hint
        super().__init__(self.render())

    def render(self) -> str:
        lines = [str(p) for p in self.problems[:8]]
        if len(self.problems) > 8:
            lines.append(f"... and {len(self.problems) - 8} more problems")
        if self.hint:
            lines.append(self.hint)
        return "\n".join(lines)


class ScenarioError(LeftshiftError):
    """A scenario file that cannot be read or does not validate."""
