"""The command line end to end, as a user would run it, in this process through click's CliRunner (quick:
no interpreter start-up per command). test_smoke.py runs each command once in a real process."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from builders import SCENARIOS, small_scenario_dict
from leftshift.cli import cli


@dataclass(frozen=True)
class Done:
    """What a finished command left: its exit status, and what it printed on stdout and stderr."""

    returncode: int
    stdout: str
    stderr: str


def leftshift(*args: object, cwd: Path) -> Done:
    """Run `leftshift ARGS` from `cwd`, as a terminal 120 columns wide would."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(cwd)
        done = CliRunner(env={"COLUMNS": "120"}).invoke(cli, [str(a) for a in args], prog_name="leftshift")
    if done.exception is not None and not isinstance(done.exception, SystemExit):
        raise done.exception
    return Done(done.exit_code, done.stdout, done.stderr)


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(small_scenario_dict(), sort_keys=False))
    return path


def test_run_writes_every_output_and_a_readable_table(tmp_path, small):
    done = leftshift("run", small, "--out", tmp_path / "out", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Emergency admissions" in done.stdout
    names = {p.name for p in (tmp_path / "out").iterdir()}
    assert {"timeseries.csv", "flows.csv", "costs.csv", "summary.json", "scenario.resolved.yaml"} <= names
    ts = pd.read_csv(tmp_path / "out" / "timeseries.csv")
    assert list(ts.columns[:6]) == ["time", "year", "state", "age_band", "programme", "people"]
    assert ts["time"].min() == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["scenario"] == "Small town" and summary["seed"] == 7
    assert len(summary["scenario_hash"]) == 16 and summary["leftshift_version"]
    for key in ("emergency_admissions", "acute_bed_days", "delayed_discharge_bed_days", "person_years_at_home",
                "deaths", "intervention_spend_gbp"):  # fmt: skip
        assert key in summary["metrics"]
    assert set(summary["costs"]["by_payer"]) >= {"nhs", "council"}


def test_rerunning_the_resolved_scenario_gives_identical_outputs(tmp_path, small):
    assert leftshift("run", small, "--out", tmp_path / "a", cwd=tmp_path).returncode == 0
    again = leftshift("run", tmp_path / "a" / "scenario.resolved.yaml", "--out", tmp_path / "b", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    for name in ("timeseries.csv", "flows.csv", "costs.csv", "queues.csv", "programmes.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    first, second = (json.loads((tmp_path / d / "summary.json").read_text()) for d in "ab")
    assert first == second


def test_run_refuses_to_overwrite_without_force(tmp_path, small):
    out = tmp_path / "out"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    refused = leftshift("run", small, "--out", out, cwd=tmp_path)
    assert refused.returncode == 2
    assert "--force" in refused.stderr and "Traceback" not in refused.stderr
    assert (out / "precious.txt").read_text() == "keep me"
    forced = leftshift("run", small, "--out", out, "--force", cwd=tmp_path)  # --force never deletes their files
    assert forced.returncode == 2 and "precious.txt" in forced.stderr and "Traceback" not in forced.stderr
    assert (out / "precious.txt").read_text() == "keep me" and not (out / "summary.json").exists()
    (out / "precious.txt").unlink()
    assert leftshift("run", small, "--out", out, cwd=tmp_path).returncode == 0
    again = leftshift("run", small, "--out", out, "--force", "--set", "seed=8", cwd=tmp_path)  # its own outputs
    assert again.returncode == 0, again.stderr
    assert json.loads((out / "summary.json").read_text())["seed"] == 8


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"horizon_yeras": 5}, "did you mean 'horizon_years'"),
        ({"transitions": [{"from": "community", "to": "nowhere", "rate": 0.1}]}, "unknown state 'nowhere'"),
        ({"capacity": {"residential": {"places": -5}}}, "capacity.residential.places"),
        ({"time_step_weeks": 52, "acute->community": 5000}, "time_step_weeks"),  # a stay of 2 hours: too fast
    ],
)
def test_bad_input_exits_2_with_a_short_message_and_writes_nothing(tmp_path, change, words):
    path = tmp_path / "bad.yaml"
    change = dict(change)
    rate = change.pop("acute->community", None)
    data = small_scenario_dict(**change)
    for t in data["transitions"]:
        if rate is not None and (t["from"], t["to"]) == ("acute", "community"):
            t["rate"] = rate
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    done = leftshift("run", path, "--out", tmp_path / "out", cwd=tmp_path)
    assert done.returncode == 2
    assert words in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.splitlines()) <= 6
    assert not (tmp_path / "out").exists()
    assert not any(p.name.startswith(".out") for p in tmp_path.iterdir())


def test_bad_override_exits_2(tmp_path, small):
    done = leftshift("run", small, "--set", "capacity.residential.placs=4", cwd=tmp_path)
    assert done.returncode == 2 and "did you mean 'places'" in done.stderr


def test_validate_checks_every_file_and_schema_is_json(tmp_path, small):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(small_scenario_dict(seed=-1)))
    done = leftshift("validate", small, bad, cwd=tmp_path)
    assert done.returncode == 2
    assert "ok" in done.stdout and "seed" in done.stderr
    schema = json.loads(leftshift("schema", cwd=tmp_path).stdout)
    assert "interventions" in schema["properties"]
    # the exported schema is the file format's (source notes, dist, split, extends), not the model's
    import jsonschema

    jsonschema.validate(yaml.safe_load((SCENARIOS / "leeds-left-shift.yaml").read_text()), schema)


def test_a_library_programme_runs_and_its_resolved_scenario_stands_alone(tmp_path):
    data = small_scenario_dict(interventions=[{"use": "falls-prevention", "budget": 2e5,
                                               "eligible": {"age_bands": ["65+"]}}])  # fmt: skip
    (tmp_path / "falls.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    done = leftshift("run", tmp_path / "falls.yaml", "--out", tmp_path / "out", "--no-report", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    resolved = (tmp_path / "out" / "scenario.resolved.yaml").read_text()
    assert "use:" not in resolved and "Falls prevention exercise" in resolved
    assert "interventions[0].effects.community->acute" in resolved  # its distribution, under the item's index
    assert leftshift("validate", tmp_path / "out" / "scenario.resolved.yaml", cwd=tmp_path).returncode == 0


def test_an_unknown_library_programme_is_one_clear_error_with_exit_2(tmp_path):
    data = small_scenario_dict(interventions=[{"use": "falls-prevent", "budget": 1}])
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    done = leftshift("validate", tmp_path / "bad.yaml", cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "bad.yaml, line" in done.stderr and "interventions[0].use" in done.stderr
    assert "did you mean 'falls-prevention'" in done.stderr and "neighbourhood-networks" in done.stderr


def test_compare_the_shipped_leeds_scenarios(tmp_path):
    done = leftshift("compare", SCENARIOS / "leeds-baseline.yaml", SCENARIOS / "leeds-left-shift.yaml",
                     "--out", tmp_path / "cmp", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    for words in ("Emergency admissions avoided", "Net savings (discounted)", "Return on investment", "Payback year"):
        assert words in done.stdout
    table = pd.read_csv(tmp_path / "cmp" / "comparison.csv")
    assert {"scenario", "metric", "value", "baseline_value", "difference"} <= set(table.columns)
    metrics = table.set_index("metric")
    assert metrics.loc["emergency_admissions", "difference"] < 0  # prevention avoids admissions
    assert {"net_savings_gbp_discounted", "roi", "payback_year", "net_savings_gbp_discounted_nhs"} <= set(table.metric)
    subdirs = {p.name for p in (tmp_path / "cmp").iterdir() if p.is_dir()}
    assert len(subdirs) == 2


def test_every_command_explains_itself_and_ends_with_an_example(tmp_path):
    top = leftshift("--help", cwd=tmp_path).stdout
    section = top.split("Commands:")[1].split("\n\n")[0]
    commands = [line.split()[0] for line in section.strip().splitlines()]
    assert {"run", "compare", "validate", "schema", "sweep", "sensitivity", "report"} <= set(commands)
    assert top.rstrip().splitlines()[-2].strip() == "Example:"
    for command in commands:
        text = leftshift(command, "--help", cwd=tmp_path).stdout
        assert "Example:" in text, command
        options, example = text.rsplit("Example:", 1)
        assert "--help" in options, command  # the example comes after the options: last thing shown
        assert example.strip().startswith(f"leftshift {command}"), command
