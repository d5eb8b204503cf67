"""What every leftshift command shares: --open and --no-report, and help that ends with an example (click only)."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click


def report_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add --open and --no-report to a command."""
    func = click.option("--no-report", is_flag=True, help="Do not write report.html.")(func)
    return click.option("--open", "open_report", is_flag=True, help="Open report.html in a browser when done.")(func)


def after_report(target: Path, written: bool, open_report: bool, quiet: bool) -> None:
    """Say where the report is, and open it if asked (only once it is in its final place)."""
    path = target / "report.html"
    if written and not quiet:
        click.echo(f"Report: {path}")
    if written and open_report:
        click.launch(str(path))


class _ExampleLast:
    """Help that ends with the docstring's `Example:` block, after the options, where people look."""

    def _split(self) -> tuple[str, str]:
        text, marker, example = (self.help or "").partition("Example:")  # type: ignore[attr-defined]
        return text.rstrip().removesuffix("\b").rstrip(), example.strip("\n") if marker else ""

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        text, _ = self._split()
        if text:
            formatter.write_paragraph()
            with formatter.indentation():
                formatter.write_text(text)

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        _, example = self._split()
        if example:
            formatter.write_paragraph()
            formatter.write_text("Example:")
            with formatter.indentation():
                for line in textwrap.dedent(example).strip().splitlines():
                    formatter.write(f"{formatter.current_indent * ' '}{line.rstrip()}\n")


class Command(_ExampleLast, click.Command):
    """A leftshift command (help ends with its example)."""


class Group(_ExampleLast, click.Group):
    """The leftshift command group (help ends with its example)."""

    command_class = Command
