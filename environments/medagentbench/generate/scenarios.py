"""Per-category scenarios: which branch a task exercises and the overlay that places its data.

The chart (:mod:`..chart`) already holds each patient's history; a scenario adds what the branch
needs (a magnesium this morning, fingerstick glucoses, a potassium, an HbA1c older or newer than
a year) as Observations coded like the chart's (LOINC + local code), at absolute times before the
suite's "now". Branches that need the *absence* of data (no HbA1c ever) go to patients whose
chart has none. Values are drawn from a ``random.Random`` seeded by (task id), so the output is
deterministic.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from medsim.environments.medagentbench.answers import Reading
from medsim.environments.medagentbench.chart import rules, suite_now

Json = dict[str, Any]
LAB_CATEGORY = [
    {
        "coding": [
            {
                "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                "code": "laboratory",
                "display": "Laboratory",
            }
        ]
    }
]
#: local code -> (LOINC, LOINC display, UCUM unit)
TESTS = {
    "MG": ("19123-9", "Magnesium [Mass/volume] in Serum or Plasma", "mg/dL"),
    "K": ("2823-3", "Potassium [Moles/volume] in Serum or Plasma", "mmol/L"),
    "GLU": ("41653-7", "Glucose [Mass/volume] in Capillary blood by Glucometer", "mg/dL"),
    "A1C": ("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "%"),
}
#: test-split branch plan per conditional category (30 tasks); train cycles the same lists.
PLANS = {
    "task1": ["found"] * 4 + ["not_found"],
    "task4": ["recent", "recent", "stale", "recent", "none"],
    "task5": ["none", "normal", "mild", "moderate", "severe"],
    "task6": ["values", "values", "none"],
    "task9": ["low", "normal", "low", "low", "normal"],
    "task10": ["newer", "older", "none"],
}
MG_VALUES = {
    "normal": [2.0, 2.1, 2.2, 2.4, 2.6],
    "mild": [1.5, 1.6, 1.7, 1.8, 1.9],
    "moderate": [1.0, 1.1, 1.2, 1.3, 1.4],
    "severe": [0.6, 0.7, 0.8, 0.9],
}


@dataclass
class Scenario:
    """A task's branch, overlay and the readings of its local code (chart + overlay)."""

    branch: str
    overlay: list[Json] = field(default_factory=list)
    readings: dict[str, list[Reading]] = field(default_factory=dict)


def iso(when: datetime) -> str:
    return when.isoformat()


def observation(task_id: str, n: int, code: str, when: datetime, value: float) -> Json:
    """An overlay lab result coded like the chart's: LOINC plus the local code."""
    loinc, display, unit = TESTS[code]
    local, local_display = rules()["local_codes"][loinc]
    return {
        "resourceType": "Observation",
        "id": f"{task_id}-{n}",
        "status": "final",
        "category": LAB_CATEGORY,
        "code": {
            "coding": [
                {"system": "http://loinc.org", "code": loinc, "display": display},
                {"system": rules()["lab_system"], "code": local, "display": local_display},
            ],
            "text": local_display,
        },
        "subject": {"reference": "@patient"},
        "effectiveDateTime": iso(when),
        "issued": iso(when + timedelta(minutes=30)),
        "valueQuantity": {
            "value": value,
            "unit": unit,
            "system": "http://unitsofmeasure.org",
            "code": unit,
        },
    }


class Placer:
    """Adds overlay results for one task and keeps the merged readings."""

    def __init__(self, task_id: str, base: dict[str, list[Reading]], rng: random.Random) -> None:
        self.task_id = task_id
        self.rng = rng
        self.scenario = Scenario("")
        self.scenario.readings = {k: list(v) for k, v in base.items()}

    def add(self, code: str, hours_ago: float, value: float) -> None:
        when = (suite_now() - timedelta(hours=hours_ago)).replace(second=0, microsecond=0)
        n = len(self.scenario.overlay) + 1
        self.scenario.overlay.append(observation(self.task_id, n, code, when, value))
        self.scenario.readings.setdefault(code, []).append(Reading(when, iso(when), value))
        self.scenario.readings[code].sort(key=lambda r: r.when)

    def hours(self, low: float, high: float) -> float:
        """A time ``low``..``high`` hours ago, on a whole minute."""
        return round(self.rng.uniform(low, high) * 60) / 60


def build(category: str, branch: str, place: Placer) -> Scenario:
    """Place the data of ``branch`` of ``category``."""
    rng = place.rng
    sc = place.scenario
    sc.branch = branch
    if category == "task4" or category == "task5":
        if branch in ("recent", *MG_VALUES):
            for _ in range(rng.randint(0, 2)):  # earlier values the same day
                place.add("MG", place.hours(12, 23), rng.choice([1.7, 1.9, 2.0, 2.2]))
            value = rng.choice(MG_VALUES.get(branch, [1.7, 1.9, 2.0, 2.1, 2.3, 2.5]))
            place.add("MG", place.hours(0.75, 11), value)
        elif branch in ("stale", "none") and (branch == "stale" or rng.random() < 0.5):
            place.add("MG", place.hours(26, 120), rng.choice([1.4, 1.8, 2.0, 2.3]))
    elif category == "task6":
        if branch == "values":
            for _ in range(rng.randint(2, 5)):
                place.add("GLU", place.hours(0.75, 23.5), float(rng.randint(70, 320)))
        if rng.random() < 0.7:  # a reading just outside the window
            place.add("GLU", place.hours(24.5, 48), float(rng.randint(70, 320)))
    elif category == "task7":
        for _ in range(rng.randint(2, 4)):
            place.add("GLU", place.hours(0.75, 96), float(rng.randint(70, 320)))
    elif category == "task9":
        if branch == "low":
            value = rng.choice([2.8, 2.9, 3.0, 3.1, 3.2, 3.3, 3.4])
        else:
            value = rng.choice([3.5, 3.5, 3.8, 4.0, 4.2, 4.6, 5.0])
        place.add("K", place.hours(0.75, 8), value)
    elif category == "task10":
        value = rng.choice([5.4, 5.9, 6.3, 6.8, 7.2, 7.9, 8.6, 9.4])
        if branch == "newer":
            place.add("A1C", place.hours(24 * 20, 24 * 330), value)
        elif branch == "older":
            place.add("A1C", place.hours(24 * 380, 24 * 900), value)
    return sc


def a1c_group(readings: list[Reading]) -> str:
    """none / old (latest more than a year before now) / recent, from the chart's HbA1c."""
    if not readings:
        return "none"
    now = suite_now()
    return "old" if readings[-1].when < now.replace(year=now.year - 1) else "recent"
