"""The MedAgentBench-v0 task generator: chart facts + scenarios -> one packed task file.

    python -m medsim.environments.medagentbench.generate           # write tasks/medagentbench-v0.ndjson.gz
    python -m medsim.environments.medagentbench.generate --check   # regenerate and compare

Patients: the chart's 100 patients in a seeded order; 30 go to the test split (10 of them
without any HbA1c, so the "no HbA1c" branch is reachable), the other 70 to train. Test: one
task per (category, patient) = 300; train: two scenarios per (category, patient) = 1,400.
Branches follow :data:`.scenarios.PLANS` in turn; HbA1c branches follow what the chart allows.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date
from typing import Any

from medsim.environments.medagentbench.answers import Reading
from medsim.environments.medagentbench.chart import chart_resources
from medsim.environments.medagentbench.generate.build import Builder, templates
from medsim.environments.medagentbench.generate.scenarios import PLANS, Placer, a1c_group, build

Json = dict[str, Any]
SEED = 2023
CATEGORIES = [f"task{n}" for n in range(1, 11)]
TEST_PATIENTS = 30
TEST_WITHOUT_A1C = 10
MIN_PER_BRANCH = 5


def chart_facts() -> tuple[dict[str, Json], dict[str, dict[str, list[Reading]]]]:
    """Patients by id, and each patient's readings per local code (oldest first)."""
    from datetime import datetime

    patients: dict[str, Json] = {}
    readings: dict[str, dict[str, list[Reading]]] = {}
    local = {"MG", "K", "GLU", "A1C"}
    for res in chart_resources():
        if res["resourceType"] == "Patient":
            patients[res["id"]] = res
        elif res["resourceType"] == "Observation":
            codes = {c.get("code") for c in res["code"].get("coding", [])} & local
            value = (res.get("valueQuantity") or {}).get("value")
            if codes and value is not None:
                pid = res["subject"]["reference"].split("/", 1)[1]
                when = res["effectiveDateTime"]
                for code in codes:
                    readings.setdefault(pid, {}).setdefault(code, []).append(
                        Reading(datetime.fromisoformat(when), when, float(value))
                    )
    for per in readings.values():
        for items in per.values():
            items.sort(key=lambda r: r.when)
    return patients, readings


def split_patients(
    patients: dict[str, Json], readings: dict[str, Any]
) -> tuple[list[str], list[str]]:
    order = sorted(patients)
    random.Random(SEED).shuffle(order)
    without = [p for p in order if not readings.get(p, {}).get("A1C")]
    with_a1c = [p for p in order if p not in without]
    test = without[:TEST_WITHOUT_A1C] + with_a1c[: TEST_PATIENTS - TEST_WITHOUT_A1C]
    test_set = set(test)
    return sorted(test), [p for p in order if p not in test_set]


def a1c_branch(group: str, turn: int) -> str:
    if group == "none":
        return "none" if turn % 2 == 0 else "older"
    if group == "old":
        return "older"
    return "newer"


def name_parts(patient: Json) -> tuple[str, str]:
    name = patient["name"][0]
    return name["given"][0], name["family"]


def generate() -> list[Json]:
    """Every task of MedAgentBench-v0 (test then train), as dicts in a fixed order."""
    patients, readings = chart_facts()
    test, train = split_patients(patients, readings)
    taken = {(name_parts(p), p["birthDate"]) for p in patients.values()}
    tasks: list[Json] = []
    for split, pool, variants in (("test", test, [""]), ("train", train, ["a", "b"])):
        for category in CATEGORIES:
            turn = Counter[str]()
            for i, pid in enumerate(pool):
                for v, variant in enumerate(variants):
                    k = i * len(variants) + v
                    task_id = f"mab-{split}-{category}-{pid}{('-' + variant) if variant else ''}"
                    rng = random.Random(f"{SEED}:{task_id}")
                    base = readings.get(pid, {})
                    plan = PLANS.get(category, ["default"])
                    branch = plan[k % len(plan)]
                    if category == "task10":
                        group = a1c_group(base.get("A1C", []))
                        branch = a1c_branch(group, turn[group])
                        turn[group] += 1
                    sc = build(category, branch, Placer(task_id, base, rng))
                    facts = _facts(patients[pid], branch, split, rng, taken)
                    other = pool[(i + 1) % len(pool)]
                    tasks.append(
                        Builder(patients[pid], other).task(category, task_id, split, sc, facts)
                    )
    _check_coverage(tasks)
    return tasks


def _facts(patient: Json, branch: str, split: str, rng: random.Random, taken: set[Any]) -> Json:
    given, family = name_parts(patient)
    birth = patient["birthDate"]
    asked = birth
    if branch == "not_found":
        d = date.fromisoformat(birth)
        for shift in (1, 2, 3, 4):
            candidate = d.replace(year=d.year + shift, day=min(d.day, 28)).isoformat()
            if ((given, family), candidate) not in taken:
                asked = candidate
                break
    bp = templates()["test_bp"]
    if split == "train":
        bp = f"{rng.randint(98, 172)}/{rng.randint(58, 102)} mmHg"
    return {"given": given, "family": family, "birthdate": asked, "birthdate_true": birth, "bp": bp}


def _check_coverage(tasks: list[Json]) -> None:
    """Every branch of every conditional category has >= 5 test tasks (fail loudly otherwise)."""
    count = Counter(
        (t["metadata"]["tags"][1], t["metadata"]["tags"][2]) for t in tasks if t["split"] == "test"
    )
    for category, plan in PLANS.items():
        branches = {"newer", "older", "none"} if category == "task10" else set(plan)
        for branch in branches:
            n = count[(f"mab:{category}", f"branch:{branch}")]
            if n < MIN_PER_BRANCH:
                raise ValueError(f"{category} branch {branch}: {n} test tasks (< {MIN_PER_BRANCH})")
