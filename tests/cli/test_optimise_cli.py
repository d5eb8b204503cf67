"""`leftshift optimise` through the command line (click's CliRunner, in this process): the outputs, an optimal.yaml
that leftshift runs as it is, and bad input refused with exit status 2 and a clear message before anything is
written."""

from __future__ import annotations

import html
import json

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from builders import small_scenario_dict, two_programme_dicts
from leftshift.cli import cli
from leftshift.cli.optimise import OBJECTIVES
from leftshift.experiments import objective


def invoke(*args, cwd):
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(cwd)
        done = CliRunner(env={"COLUMNS": "160"}).invoke(cli, [str(a) for a in args], prog_name="leftshift")
    if done.exception is not None and not isinstance(done.exception, SystemExit):
        raise done.exception
    return done


@pytest.fixture
def two(tmp_path):
    scenario, baseline = two_programme_dicts()
    (tmp_path / "two.yaml").write_text(yaml.safe_dump(scenario, sort_keys=False))
    (tmp_path / "base.yaml").write_text(yaml.safe_dump(baseline, sort_keys=False))
    return tmp_path / "two.yaml", tmp_path / "base.yaml"


def test_optimise_writes_its_outputs_and_a_scenario_leftshift_runs(tmp_path, two):
    done = invoke("optimise", two[0], "--baseline", two[1], "--budget", "3e5", "--frontier", "0:3e5:3",
                  "--out", tmp_path / "opt", cwd=tmp_path)  # fmt: skip
    assert done.exit_code == 0, done.output
    out = tmp_path / "opt"
    assert {"optimal.yaml", "allocation.csv", "frontier.csv", "experiment.json", "report.html"} <= {
        p.name for p in out.iterdir()}  # fmt: skip
    allocation = pd.read_csv(out / "allocation.csv")
    assert list(allocation.columns[:5]) == ["intervention", "key_path", "kind", "payer", "budget_gbp"]
    assert {"contribution", "marginal_per_100k", "budget_gbp_nhs_optimal", "budget_gbp_council_optimal"} <= set(
        allocation.columns)  # fmt: skip
    assert allocation["budget_gbp"].sum() <= 3e5
    frontier = pd.read_csv(out / "frontier.csv")
    assert list(frontier["total_budget_gbp"]) == [0, 1.5e5, 3e5] and frontier["best_value"].is_monotonic_increasing
    facts = json.loads((out / "experiment.json").read_text())
    assert facts["command"] == "optimise" and facts["objective"] == "net_savings" and facts["payer"] == "all"
    assert facts["verdict"].startswith("Put £") and "against the baseline that gives net savings" in facts["verdict"]
    assert "Targeted" in done.stdout and " ".join(facts["verdict"].split()) in " ".join(done.stdout.split())
    report = (out / "report.html").read_text(encoding="utf-8")
    assert f'data-verdict="optimise">{html.escape(facts["verdict"])}.</p>' in report
    for heading in ("The answer: the best split", "What an extra £100k a year on each programme would buy",
                    "Who gains", "What a bigger or smaller budget would buy"):  # fmt: skip
        assert heading in report
    again = invoke("compare", two[1], out / "optimal.yaml", "--out", tmp_path / "again", "--no-report", "--quiet",
                   cwd=tmp_path)  # fmt: skip
    assert again.exit_code == 0, again.output
    rows = pd.read_csv(tmp_path / "again" / "comparison.csv").set_index("metric")
    assert rows.loc["net_savings_gbp_discounted", "value"] == pytest.approx(facts["objective_value"], rel=1e-6)


def test_a_risk_share_shows_in_compare_before_and_after(tmp_path, two):
    data = yaml.safe_load(two[0].read_text())
    data["risk_share"] = [{"from": "nhs", "to": "council", "share": 0.4}]
    (tmp_path / "shared.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    done = invoke("compare", two[1], tmp_path / "shared.yaml", "--out", tmp_path / "cmp", cwd=tmp_path)
    assert done.exit_code == 0, done.output
    rows = pd.read_csv(tmp_path / "cmp" / "comparison.csv").set_index("metric")["value"]
    after = rows[["net_savings_gbp_discounted_nhs", "net_savings_gbp_discounted_council"]].to_numpy()
    before = rows[[f"net_savings_gbp_discounted_{p}_before_risk_share" for p in ("nhs", "council")]].to_numpy()
    assert after.sum() == pytest.approx(before.sum()) and after[0] < before[0] and after[1] > before[1]
    assert "before the risk share" in done.output
    assert "before the risk share" in (tmp_path / "cmp" / "report.html").read_text(encoding="utf-8").lower()


@pytest.mark.parametrize(("extra", "message"), [
    (["--budget", "1e5", "--min", "Targeted=8e4", "--min", "Broad=5e4"], "below the sum of the minimums"),
    (["--budget", "1e5", "--objective", "happiness"], "Invalid value for '--objective'"),
    (["--budget", "1e5", "--payer", "treasury"], "Invalid value for '--payer'"),
    (["--budget", "1e5", "--objective", "emergency_admissions", "--payer", "nhs"], "--payer applies to the money"),
    (["--budget", "1e5", "--samples", "10"], "--samples sets the draws of --under-uncertainty"),
    (["--budget", "1e5", "--under-uncertainty", "p10"], "has uncertain values (other than the budgets)"),
    (["--budget", "1e5", "--frontier", "5:1"], "--frontier expects LOW:HIGH:N"),
    (["--budget", "1e5", "--min", "Targeted=5e4", "--frontier", "0:1e5:3"], "--frontier's total 0 is below the sum"),
    (["--budget", "-5"], "above 0"),
    (["--budget", "1e5", "--max", "Nobody=1"], "not one of the budgets being split"),
])  # fmt: skip
def test_bad_input_is_refused_before_anything_is_written(tmp_path, two, extra, message):
    done = invoke("optimise", two[0], "--baseline", two[1], *extra, "--out", tmp_path / "opt", cwd=tmp_path)
    assert done.exit_code == 2, done.output
    assert message in done.output and "Traceback" not in done.output
    assert not (tmp_path / "opt").exists()


def test_a_scenario_with_no_programme_has_nothing_to_split(tmp_path, two):
    (tmp_path / "none.yaml").write_text(yaml.safe_dump(small_scenario_dict(interventions=[])))
    done = invoke("optimise", tmp_path / "none.yaml", "--baseline", two[1], "--budget", "1e5", cwd=tmp_path)
    assert done.exit_code == 2 and "nothing to split" in done.output and "none.yaml" in done.output


def test_a_programme_without_a_budget_is_refused(tmp_path, two):
    data = yaml.safe_load(two[0].read_text())
    del data["interventions"][1]["budget"]
    (tmp_path / "nobudget.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    done = invoke("optimise", tmp_path / "nobudget.yaml", "--baseline", two[1], "--budget", "1e5", cwd=tmp_path)
    assert done.exit_code == 2 and "budget" in done.output and "interventions[1]" in done.output


def test_the_command_line_lists_the_library_objectives():
    assert tuple(objective.OBJECTIVES) == OBJECTIVES
