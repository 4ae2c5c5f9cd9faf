"""MedAgentBench-v0's task set: 300 test tasks (30 per category), a disjoint train split, every
branch of every conditional category covered, and a chart with the original's local codes."""

from __future__ import annotations

from collections import Counter

import pytest

import medsim
from medsim.environments.medagentbench import SUITE

CATEGORIES = {
    "patient_lookup",
    "patient_age",
    "record_blood_pressure",
    "magnesium_24h",
    "magnesium_replacement",
    "cbg_mean_24h",
    "cbg_latest",
    "orthopedic_referral",
    "potassium_replacement",
    "hba1c_check",
}


def _tag(task, prefix: str) -> str:
    return next(t.split(":", 1)[1] for t in task.metadata.tags if t.startswith(prefix + ":"))


def test_300_test_tasks_30_per_category() -> None:
    test = [t for t in SUITE.tasks() if t.split == "test"]
    assert len(test) == 300
    assert Counter(_tag(t, "category") for t in test) == {c: 30 for c in CATEGORIES}
    assert len({t.patient for t in test}) == 30


def test_train_split_is_large_and_disjoint() -> None:
    tasks = SUITE.tasks()
    train = [t for t in tasks if t.split == "train"]
    assert len(train) >= 900
    assert not {t.patient for t in train} & {t.patient for t in tasks if t.split == "test"}
    assert len({t.id for t in tasks}) == len(tasks)


def test_make_defaults_to_the_test_split() -> None:
    env = medsim.make("MedAgentBench-v0")
    assert len(env.unwrapped.tasks) == 300
    train = medsim.make("MedAgentBench-v0", split="train")
    assert {t.split for t in train.unwrapped.tasks} == {"train"}


@pytest.mark.parametrize(
    ("category", "branches"),
    [
        ("magnesium_24h", {"recent", "stale", "none"}),
        ("magnesium_replacement", {"none", "normal", "mild", "moderate", "severe"}),
        ("cbg_mean_24h", {"values", "none"}),
        ("potassium_replacement", {"low", "normal"}),
        ("hba1c_check", {"newer", "older", "none"}),
        ("patient_lookup", {"found", "not_found"}),
    ],
)
def test_every_branch_has_five_test_tasks(category: str, branches: set[str]) -> None:
    test = [t for t in SUITE.tasks() if t.split == "test" and _tag(t, "category") == category]
    counts = Counter(_tag(t, "branch") for t in test)
    assert set(counts) == branches
    assert min(counts.values()) >= 5, counts


def test_branches_match_the_overlaid_values() -> None:
    """Independent of the grader: the magnesium tier of each task5 task read off its overlay
    (MedAgentBench's cut-offs 1.9 / 1.5 / 1.0 mg/dL) matches its branch tag."""
    for task in SUITE.tasks():
        if task.split != "test" or _tag(task, "category") != "magnesium_replacement":
            continue
        recent = [r for r in task.overlay if r["effectiveDateTime"] >= "2023-11-12T10:15:00+00:00"]
        branch = _tag(task, "branch")
        if not recent:
            assert branch == "none"
            continue
        value = max(recent, key=lambda r: r["effectiveDateTime"])["valueQuantity"]["value"]
        tier = (
            "normal"
            if value > 1.9
            else "severe"
            if value < 1
            else "moderate"
            if value < 1.5
            else "mild"
        )
        assert tier == branch, (task.id, value)


def test_chart_has_local_codes_mrn_ids_and_nothing_after_now() -> None:
    env = medsim.make("MedAgentBench-v0").unwrapped
    env.reset(seed=0)
    fhir = env.fhir
    mrn = env.task.patient
    assert mrn.startswith("S") and len(mrn) == 8
    patient = fhir.search("Patient", {"identifier": mrn})["entry"][0]["resource"]
    assert patient["id"] == mrn
    for code, loinc in (("K", "2823-3"), ("A1C", "4548-4"), ("MG", "19123-9")):
        local = fhir.search("Observation", {"code": code, "_summary": "count"})["total"]
        by_loinc = fhir.search(
            "Observation", {"code": f"http://loinc.org|{loinc}", "_summary": "count"}
        )["total"]
        assert local == by_loinc > 0, code
    assert fhir.search("Observation", {"code": "BP", "_summary": "count"})["total"] > 0
    later = fhir.search("Observation", {"date": "gt2023-11-13T10:15:00+00:00", "_summary": "count"})
    assert later["total"] == 0


def test_count_up_to_5000_is_honoured_here_but_not_in_other_suites() -> None:
    env = medsim.make("MedAgentBench-v0").unwrapped
    env.reset(seed=0)
    page = env.fhir.search("Observation", {"_count": "5000"})
    assert page["total"] > 5000 and len(page["entry"]) == 5000
    demo = medsim.make("Demo-v0").unwrapped
    demo.reset(seed=0)
    assert len(demo.fhir.search("Observation", {"_count": "5000"})["entry"]) == 1000


def test_the_first_observation_of_each_protocol() -> None:
    text = medsim.make("MedAgentBench-v0")
    obs, info = text.reset(options={"task_id": "mab-test-task5-S7300054"})
    assert "GET url?param_name1=param_value1" in obs and "FINISH([answer1, answer2, ...])" in obs
    assert '"name": "POST http://localhost:8080/fhir/MedicationRequest"' in obs
    assert "Question: Check patient S7300054's last serum magnesium" in obs
    assert info["messages"][0]["role"] == "user"
    tools = medsim.make("MedAgentBench-v0", protocol="tools")
    obs, info = tools.reset(options={"task_id": "mab-test-task5-S7300054"})
    assert info["messages"][0]["role"] == "system"
    assert obs.startswith("Check patient S7300054's") and "0338-1715-40" in obs
    assert {t["function"]["name"] for t in info["tools"]} == {
        "fhir_search",
        "fhir_read",
        "fhir_create",
        "finish",
    }


def test_bad_options_fail_at_make() -> None:
    for kwargs in ({"protocol": "xml"}, {"post_mode": "maybe"}, {"grading": "lenient"}):
        with pytest.raises(ValueError, match=next(iter(kwargs))):
            medsim.make("MedAgentBench-v0", **kwargs)
