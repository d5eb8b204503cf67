"""Scenarios built in code, so that tests do not depend on the shipped files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from leftshift.scenario.loading import scenario_from_dict
from leftshift.scenario.model import Scenario

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"


def small_scenario_dict(**changes: Any) -> dict[str, Any]:
    """A two-band city with every feature: capacity with a queue, costs, demography, one intervention."""
    data: dict[str, Any] = {
        "name": "Small town",
        "start_year": 2026,
        "horizon_years": 3,
        "seed": 7,
        "age_bands": ["18-64", "65+"],
        "states": ["community", "home_care", "residential", "acute"],
        "initial": {
            "community": {"18-64": 50_000, "65+": 10_000},
            "home_care": {"65+": 300},
            "residential": {"65+": 350},
        },
        "transitions": [
            {"from": "community", "to": "acute", "rate": {"18-64": 0.07, "65+": 0.25}},
            {"from": "community", "to": "home_care", "rate": {"65+": 0.03}},
            {"from": "community", "to": "dead", "rate": {"18-64": 0.003, "65+": 0.04}},
            {"from": "home_care", "to": "residential", "rate": 0.15},
            {"from": "home_care", "to": "dead", "rate": 0.1},
            {"from": "home_care", "to": "acute", "rate": 0.5},
            {"from": "residential", "to": "dead", "rate": 0.3},
            {"from": "acute", "to": "community", "rate": 33},
            {"from": "acute", "to": "home_care", "rate": 2},
            {"from": "acute", "to": "residential", "rate": 0.8},
            {"from": "acute", "to": "dead", "rate": 1.2},
        ],
        "capacity": {
            "residential": {"places": 380, "when_full": "wait"},
            "home_care": {"places": 330, "when_full": "wait", "waiting_acute_risk_multiplier": 1.3},
        },
        "costs": {
            "per_person_week": {
                "home_care": {"council": 300},
                "residential": {"council": 700, "self_funder": 400},
                "acute": {"nhs": 2800},
            },
            "per_transition": {"community->acute": {"nhs": 220}},
        },
        "demography": {"ageing": {"18-64": 0.021}, "entrants_per_year": {"18-64": 800}},
        "interventions": [
            {
                "name": "Neighbourhood network",
                "sector": "vcf",
                "budget": 150_000,
                "cost_per_participant_year": 150,
                "eligible": {"states": ["community", "home_care"], "age_bands": ["65+"]},
                "referrals": {"community": 0.1, "home_care": 0.3},
                "programme_years": 1.5,
                "ramp_up": {"build_years": 1, "loss_years": 0.5},
                "effects": {"community->acute": 0.9, "community->home_care": 0.85},
                "effect_years_after": 1,
            }
        ],
    }
    data.update(changes)
    return data


def small_scenario(**changes: Any) -> Scenario:
    return scenario_from_dict(small_scenario_dict(**changes))


def segmented_scenario_dict(**changes: Any) -> dict[str, Any]:
    """The small town with two segments (isolated people at higher risk, moves both ways) and its
    programme taking isolated people only and helping them become connected."""
    data = small_scenario_dict(**changes)
    data["segments"] = {
        "isolated": {"initial_share": {"18-64": 0.1, "65+": 0.3},
                     "hazard_multipliers": {"community->acute": 1.4, "community->home_care": 1.5}},
        "connected": {"initial_share": {"18-64": 0.9, "65+": 0.7}},
    }  # fmt: skip
    data["segment_moves"] = {"connected->isolated": {"65+": 0.05}, "isolated->connected": 0.1}
    programme = data["interventions"][0]
    programme["eligible"]["segments"] = ["isolated"]
    programme["moves_segments"] = {"isolated->connected": 0.5}
    return data


def two_programme_dicts() -> tuple[dict[str, Any], dict[str, Any]]:
    """(scenario, baseline) for `leftshift optimise`: the small town with two programmes against no programme. The
    targeted one (council) is cheap and effective but runs out of people at about £100k a year (0.05 referrals a
    year from 10,000 people aged 65+, £200 a participant-year); the broad one (NHS) never runs out, and loses money."""
    data = small_scenario_dict()
    targeted = data["interventions"][0]
    targeted.update(name="Targeted", budget=50_000, cost_per_participant_year=200, referrals={"community": 0.05},
                    eligible={"states": ["community"], "age_bands": ["65+"]}, programme_years=1,
                    effects={"community->acute": 0.7})  # fmt: skip
    broad = {"name": "Broad", "sector": "prevention", "payer": "nhs", "budget": {2026: 25_000, 2027: 50_000},
             "cost_per_participant_year": 300, "eligible": {"states": ["community"]}, "referrals": {"community": 0.5},
             "programme_years": 1, "effects": {"community->acute": 0.95}}  # fmt: skip
    data["interventions"] = [targeted, broad]
    return data, small_scenario_dict(name="Small town baseline", interventions=[])
