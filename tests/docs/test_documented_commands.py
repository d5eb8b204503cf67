"""Every command shown in README.md and docs/*.md runs as written, in order, on a fresh copy.

What counts as a command: a line in a fenced ```bash / ```sh / ```shell / ```console block (or an
unlabelled ``` block) that starts with `leftshift ` or `python -m leftshift` (a `$ ` prompt is
dropped), with backslash continuations joined and a trailing `# comment` removed. A line made of
`&&`-joined steps is split: `pip install ...` steps are not run (the package is installed already)
and `python -m pytest` is not run (it would run this test inside itself); the README's quickstart is
checked for exactly its two documented lines instead.

How they run: each document gets its own fresh copy of the repository's `scenarios/` and `docs/` in
a temporary directory (a reader follows one page from the top, so outputs of one page never meet
another's), and its commands run there one after another, because later commands read earlier
outputs (e.g. `leftshift report results/...`): a plain `leftshift ...` through click in this process
(with the arguments the shell would pass), anything with shell syntax (quotes aside: globs, `>`
redirects) or `--open` through `bash -c`, exactly as written. The only change to the copy is a short
horizon: `horizon_years` is rewritten to 2 in the scenario files. No command is rewritten and none gets
a `--force` it does not show. The documents' Sobol runs and the README's discrete-event run dominate
the time (about 2.5 minutes of CPU in all), not the horizon.

`--open` must not start a browser: a fake `xdg-open` (what `click.launch` calls on Linux) comes
first on PATH and records the file it was asked to open, and BROWSER=true covers the fallback to
Python's webbrowser module.

Placeholders (BASELINE.yaml, SCENARIO.yaml, FILE, DIR, RESULTS_DIR, KEY.PATH, `[MORE.yaml ...]`,
`...`) cannot run as written, so the documents show only concrete commands in their command blocks
and keep the general forms in prose; `test_no_placeholders_in_command_blocks` holds them to that.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCUMENTS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
SHELL_BLOCKS = {"", "bash", "sh", "shell", "console"}
HORIZON_YEARS = 2

# Commands expected to fail, by their exact text -> reason. None should be: a documented command
# that fails is a bug in the documents or in leftshift. An entry here is strict (the test fails when
# the command starts to succeed, so the entry must then go) and temporary: it marks a known bug in
# src/ that is being fixed, never a command that cannot work.
EXPECTED_TO_FAIL: dict[str, str] = {}

PLACEHOLDERS = re.compile(r"BASELINE\.yaml|SCENARIO\.yaml|MORE\.yaml|\bFILE\b|\bDIR\b|RESULTS_DIR|KEY\.PATH|\.\.\.")
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([\w+-]*)")


@dataclass(frozen=True)
class Command:
    document: str
    line: int  # line of the document where the command starts
    text: str  # the whole line as documented (continuations joined, comment removed)
    steps: tuple[str, ...]  # what runs: the leftshift steps of the line


def strip_comment(line: str) -> str:
    """Remove a trailing `# comment` (a `#` at the start of a word, outside quotes)."""
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip()
    return line.rstrip()


def shell_lines(text: str) -> list[tuple[int, str]]:
    """(line number, logical line) of every line inside shell-like fenced blocks."""
    out: list[tuple[int, str]] = []
    fence = ""
    shell = False
    pending: tuple[int, str] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        match = FENCE.match(raw)
        if not fence:
            if match:
                fence, shell = match.group(2), match.group(3).lower() in SHELL_BLOCKS
            continue
        if match and match.group(2).startswith(fence) and not match.group(3):
            fence, pending = "", None
            continue
        if not shell:
            continue
        line = raw.strip()
        if pending is not None:
            start, head = pending
            line = f"{head} {line}"
        else:
            start = number
        if line.endswith("\\"):
            pending = (start, line[:-1].rstrip())
            continue
        pending = None
        out.append((start, line))
    return out


def is_leftshift(step: str) -> bool:
    return step.startswith("leftshift ") or step == "leftshift" or step.startswith("python -m leftshift")


def extract(path: Path) -> list[Command]:
    commands = []
    for number, line in shell_lines(path.read_text()):
        line = strip_comment(line.removeprefix("$ ").strip())
        steps = [s.strip() for s in line.split("&&")]
        if not any(is_leftshift(s) for s in steps):
            continue
        for s in steps:
            known = is_leftshift(s) or s.startswith("pip install ") or s == "python -m pytest"
            assert known, f"{path.name}:{number}: a step this test does not know how to run: {s!r}"
        run = tuple(s for s in steps if is_leftshift(s))
        commands.append(Command(path.name, number, line, run))
    return commands


COMMANDS = {p.name: extract(p) for p in DOCUMENTS}
WITH_COMMANDS = [p for p in DOCUMENTS if COMMANDS[p.name]]


def section(text: str, title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, flags=re.M | re.S)
    assert match, f"no '## {title}' section"
    return match.group(1)


def test_the_readme_quickstart_is_two_commands():
    quickstart = section((REPO / "README.md").read_text(), "Quickstart")
    lines = [strip_comment(line) for _, line in shell_lines(quickstart)]
    lines = [line for line in lines if line]
    assert len(lines) == 2, lines
    install, compare = (s.strip() for s in lines[0].split("&&"))
    assert install == "pip install ."
    assert compare == "leftshift compare scenarios/leeds-baseline.yaml scenarios/leeds-left-shift.yaml"
    assert lines[1] == "pip install '.[test]' && python -m pytest"


def test_the_documents_show_commands():
    counts = {name: len(c) for name, c in COMMANDS.items()}
    for name in ("README.md", "scenarios.md", "experiments.md", "reports.md"):
        assert counts[name] > 0, counts


@pytest.mark.parametrize("command", [c for cs in COMMANDS.values() for c in cs], ids=lambda c: f"{c.document}:{c.line}")
def test_no_placeholders_in_command_blocks(command):
    assert not PLACEHOLDERS.search(command.text), (
        f"{command.document}:{command.line} cannot run as written: {command.text!r}. Show a concrete "
        "command in the block and the general form in prose."
    )


def fresh_copy(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for folder in ("scenarios", "docs"):
        shutil.copytree(REPO / folder, root / folder)
    for path in (root / "scenarios").glob("*.yaml"):
        text = path.read_text()
        path.write_text(re.sub(r"^horizon_years:.*$", f"horizon_years: {HORIZON_YEARS}", text, flags=re.M))
    return root


def environment(tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    opener = bin_dir / "xdg-open"
    opener.write_text(f'#!/bin/sh\necho "$1" >> "{tmp_path / "opened.txt"}"\n')
    opener.chmod(0o755)
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(bin_dir), str(Path(sys.executable).parent), env.get("PATH", "")])
    env["BROWSER"] = "true"
    env.pop("DISPLAY", None)
    return env


SHELL_SYNTAX = re.compile(r"[|&;<>()$`*?~]")


def in_process(step: str, root: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    """A plain `leftshift ...` step, run through click in this process: the same arguments as the shell would
    pass (shlex), without paying for a new interpreter and its imports each time."""
    from click.testing import CliRunner

    from leftshift.cli import cli

    monkeypatch.chdir(root)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    done = CliRunner().invoke(cli, shlex.split(step)[1:], prog_name="leftshift")
    trace = "".join(traceback.format_exception(done.exception)) if done.exit_code == 1 and done.exception else ""
    return done.exit_code, done.output + trace


def in_a_shell(step: str, root: Path, env: dict[str, str]) -> tuple[int, str]:
    done = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", step], cwd=root, env=env, capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    return done.returncode, done.stdout + done.stderr


@pytest.mark.parametrize("document", WITH_COMMANDS, ids=lambda p: p.name)
def test_documented_commands_run_in_order(document, tmp_path, monkeypatch):
    """Plain `leftshift` commands run through click in this process, with the arguments the shell would pass
    (shell syntax, globs, redirections and --open go through bash; tests/cli/test_smoke.py runs each command in a
    process of its own)."""
    root = fresh_copy(tmp_path)
    env = environment(tmp_path)
    failures = []
    for command in COMMANDS[document.name]:
        for step in command.steps:
            plain = (
                step.startswith("leftshift ") and not SHELL_SYNTAX.search(step) and "--open" not in step
            )  # a browser is a process of its own: opened from a real one
            code, output = in_process(step, root, env, monkeypatch) if plain else in_a_shell(step, root, env)
            expected = EXPECTED_TO_FAIL.get(command.text)
            if (code != 0) != bool(expected):
                tail = "\n".join(output.strip().splitlines()[-15:])
                if expected:
                    tail = f"expected to fail ({expected}) but it worked: remove it from EXPECTED_TO_FAIL"
                failures.append(f"{command.document}:{command.line} `{step}` exit {code}\n{tail}")
    opens = [c for cs in COMMANDS.values() for c in cs if c.document == document.name and " --open" in c.text]
    if opens and not failures:
        assert (tmp_path / "opened.txt").exists(), "--open did not try to open a browser"
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("document", ["scenarios.md", "experiments.md"])
def test_every_distribution_is_documented(document):
    from leftshift.scenario.distributions import DISTRIBUTION_NAMES

    text = (REPO / "docs" / document).read_text()
    rows = set(re.findall(r"^\| `(\w+)` \|", text, flags=re.M))
    assert set(DISTRIBUTION_NAMES) <= rows, f"{document} does not list: {set(DISTRIBUTION_NAMES) - rows}"
