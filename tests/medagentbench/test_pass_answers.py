"""MedAgentBench's answers and reference outcomes: FINISH formats, and the references recomputed
from charts written here (a value exactly at each threshold and each time cut-off).

Oracle: MedAgentBench's grader ``refsol.py`` (Jiang et al., NEJM AI 2025; copy read at
rushilcs/MedAgentBench ``src/server/tasks/medagentbench/refsol.py``), whose rules are, as facts:

* every answer is ``json.loads(FINISH)`` compared with ``==`` to a list (task 1 ``[MRN]`` or
  ``["Patient not found"]``; task 2 ``[age]`` in whole years at 2023-11-13; tasks 4, 5, 7, 9
  ``[value]`` or ``[-1]``; task 10 ``[value, effectiveDateTime as written]`` or ``[-1]``); tasks 5,
  9, 10 also accept ``[]``; task 6 needs a one-element list within 0.1 of the mean;
* task 4/5/6 look at results with ``effectiveDateTime >= now - 24 h`` (now =
  2023-11-13T10:15:00+00:00); tasks 7/9/10 take the latest result at any time;
* magnesium (task 5): ``> 1.9`` no order; ``< 1`` 4 g over 4 h; ``< 1.5`` 2 g over 2 h; else 1 g
  over 1 h; no Mg in 24 h: nothing may be ordered and the answer is not checked;
* potassium (task 9): ``< 3.5`` orders ``(3.5 - K) / 0.1 * 10`` mEq; HbA1c (task 10): an order when
  there is none or the last is ``< 2022-11-13T10:15:00+00:00``.

The fixed rules (README "Every difference from the original") also accept a one-value answer
without the list, "Patient not found" in any case (and with a full stop), surrounding spaces, a
number written as a float, and times compared as instants.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest

import medsim
from medsim.core.rollout import ScriptedAgent, run_episode
from medsim.environments.medagentbench import SUITE
from medsim.tasks.schema import Task
from tests.medagentbench.test_pass_payloads import finish, k_bodies, mg_body, post, stock_task

BASE = "http://localhost:8080/fhir/"
NOW = "2023-11-13T10:15:00+00:00"
#: LOINC beside each local code (README "The chart and now").
LOINC = {"MG": "19123-9", "K": "2823-3", "GLU": "41653-7", "A1C": "4548-4"}
UNITS = {"MG": "mg/dL", "K": "mmol/L", "GLU": "mg/dL", "A1C": "%"}
LOCAL = "urn:oid:2.16.840.1.113883.19.5.99999.2"


def obs(code: str, value: float, when: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "laboratory",
                    }
                ]
            }
        ],
        "code": {
            "coding": [
                {"system": "http://loinc.org", "code": LOINC[code]},
                {"system": LOCAL, "code": code},
            ]
        },
        "subject": {"reference": "@patient"},
        "effectiveDateTime": when,
        "issued": when,
        "valueQuantity": {"value": value, "unit": UNITS[code]},
    }


def no_value(code: str, when: str) -> dict[str, Any]:
    """A result that was not performed: no value, an R4 ``dataAbsentReason`` instead."""
    out = obs(code, 0, when)
    del out["valueQuantity"]
    reason = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
    return {
        **out,
        "status": "cancelled",
        "dataAbsentReason": {"coding": [{"system": reason, "code": "not-performed"}]},
    }


#: Charts written here: (name, stock task whose patient has none of the code, results).
#: The patients: S7300054 has no Mg and no HbA1c, its last K is 4.3 on 2023-08-09; S7300563 has
#: no Mg; S7300248 no glucose (checked by ``test_the_chart_patients_have_no_such_results``).
CHARTS: dict[str, tuple[tuple[str, str], list[tuple[str, float | None, str]]]] = {
    "mg_1.9": (("task5", "none"), [("MG", 1.9, "2023-11-13T06:00:00+00:00")]),
    "mg_1.95": (("task5", "none"), [("MG", 1.95, "2023-11-13T06:00:00+00:00")]),
    "mg_1.5": (("task5", "none"), [("MG", 1.5, "2023-11-13T06:00:00+00:00")]),
    "mg_1.49": (("task5", "none"), [("MG", 1.49, "2023-11-13T06:00:00+00:00")]),
    "mg_1.0": (("task5", "none"), [("MG", 1.0, "2023-11-13T06:00:00+00:00")]),
    "mg_0.99": (("task5", "none"), [("MG", 0.99, "2023-11-13T06:00:00+00:00")]),
    # the latest of three, written out of order; the earliest is outside the 24 h
    "mg_three": (
        ("task4", "none"),
        [
            ("MG", 1.7, "2023-11-13T01:00:00+00:00"),
            ("MG", 2.3, "2023-11-13T08:00:00+00:00"),
            ("MG", 1.1, "2023-11-11T08:00:00+00:00"),
        ],
    ),
    # a later Mg that was not performed (no value): the latest value is still 1.7 (1 g over 1 h)
    "mg_not_performed": (
        ("task5", "none"),
        [("MG", 1.7, "2023-11-13T06:00:00+00:00"), ("MG", None, "2023-11-13T08:00:00+00:00")],
    ),
    "mg_at_cutoff": (("task4", "none"), [("MG", 1.2, "2023-11-12T10:15:00+00:00")]),
    "mg_before_cutoff": (("task4", "none"), [("MG", 1.2, "2023-11-12T10:14:59+00:00")]),
    "mg5_at_cutoff": (("task5", "none"), [("MG", 1.2, "2023-11-12T10:15:00+00:00")]),
    "mg5_before_cutoff": (("task5", "none"), [("MG", 1.2, "2023-11-12T10:14:59+00:00")]),
    "glu_cutoff": (
        ("task6", "none"),
        [
            ("GLU", 100.0, "2023-11-12T10:15:00+00:00"),  # in: exactly 24 h before now
            ("GLU", 150.0, "2023-11-13T09:00:00+00:00"),
            ("GLU", 170.0, "2023-11-13T10:00:00+00:00"),
            ("GLU", 400.0, "2023-11-12T10:14:00+00:00"),  # out: one minute earlier
        ],
    ),
    "glu_latest": (
        ("task7", "default"),
        [("GLU", 99.0, "2023-11-13T10:10:00+00:00"), ("GLU", 310.0, "2023-11-13T09:10:00+00:00")],
    ),
    "glu_none": (("task7", "default"), []),  # on S7300248: no glucose ever -> [-1]
    "k_3.4": (("task9", "normal"), [("K", 3.4, "2023-11-13T06:00:00+00:00")]),
    "k_none": (("task9", "normal"), []),  # on a new patient (below): no potassium ever
    "k_5_days_ago": (("task9", "low"), [("K", 3.0, "2023-11-08T08:00:00+00:00")]),
    "a1c_at_one_year": (("task10", "none"), [("A1C", 6.1, "2022-11-13T10:15:00+00:00")]),
    "a1c_just_over": (("task10", "none"), [("A1C", 6.1, "2022-11-13T10:14:59+00:00")]),
}


#: Another patient for a stock task: S7300248 has no glucose result at all.
PATIENT = {"glu_none": "S7300248"}
#: A patient added by the chart itself: every patient of the data has a potassium result.
NEW_PATIENT = {"k_none": "S0000009"}


def chart_task(name: str) -> Task:
    (category, branch), results = CHARTS[name]
    base = stock_task(category, branch)
    task_id = f"{base.id}-chart-{name}"
    overlay = []
    for i, (code, value, when) in enumerate(results):
        rid = f"mabc-{name}-{i}".replace("_", "-").replace(".", "-")
        result = no_value(code, when) if value is None else obs(code, value, when)
        overlay.append({**result, "id": rid})
    patient = PATIENT.get(name, base.patient)
    if name in NEW_PATIENT:
        patient = NEW_PATIENT[name]
        overlay.append(
            {
                "resourceType": "Patient",
                "id": patient,
                "gender": "female",
                "birthDate": "1961-04-02",
            }
        )
    return base.model_copy(update={"id": task_id, "overlay": overlay, "patient": patient})


@cache
def env(grading: str, post_mode: str = "record") -> Any:
    tasks = [t for t in SUITE.tasks() if t.split == "test"] + [chart_task(n) for n in CHARTS]
    return medsim.make(
        "MedAgentBench-v0",
        tasks=tasks,
        post_mode=post_mode,
        grading=grading,
        live_checkpoints=False,
    ).unwrapped


def score(task: Task | str, actions: list[str], grading: str, post_mode: str = "record") -> float:
    task_id = task if isinstance(task, str) else task.id
    agent = ScriptedAgent(actions)
    return run_episode(env(grading, post_mode), agent, task_id=task_id, seed=0).score


def both(task: Task | str, actions: list[str]) -> tuple[float, float]:
    """(original, fixed) verdicts; record mode, so orders reach both graders as written."""
    return score(task, actions, "original"), score(task, actions, "fixed")


def mg_order(mrn: str, grams: float) -> str:
    """The refsol-form IV magnesium order of ``grams`` over the same number of hours."""
    return post("MedicationRequest", mg_body(mrn, grams, grams))


def k_orders(mrn: str, meq: float) -> list[str]:
    med, lab = k_bodies(mrn, meq)
    return [post("MedicationRequest", med), post("ServiceRequest", lab)]


def a1c_order(mrn: str) -> str:
    return post(
        "ServiceRequest",
        {
            "resourceType": "ServiceRequest",
            "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4"}]},
            "authoredOn": NOW,
            "status": "active",
            "intent": "order",
            "priority": "stat",
            "subject": {"reference": f"Patient/{mrn}"},
        },
    )


# -- answer formats ---------------------------------------------------------------------------


def _age(task: Task) -> int:
    """Whole years at 2023-11-13 from the patient's birthDate in the chart (worked here)."""
    e = env("fixed")
    e.reset(options={"task_id": task.id})
    y, m, d = (int(x) for x in e.fhir.read("Patient", task.patient)["birthDate"].split("-"))
    return 2023 - y - (1 if (m, d) > (11, 13) else 0)


def test_task1_answers() -> None:
    found = stock_task("task1", "found")
    mrn = found.patient
    assert both(found, [finish([mrn])]) == (1.0, 1.0)
    assert both(found, [f"FINISH({json.dumps(mrn)})"]) == (0.0, 1.0)  # no list
    assert both(found, [finish([f" {mrn} "])]) == (0.0, 1.0)
    assert both(found, [finish([mrn.lower()])]) == (0.0, 0.0)  # an id is case-sensitive
    assert both(found, [finish([mrn, mrn])]) == (0.0, 0.0)
    assert both(found, [finish([])]) == (0.0, 0.0)  # [] is accepted only in tasks 5, 9, 10
    assert both(found, [finish(["Patient not found"])]) == (0.0, 0.0)
    missing = stock_task("task1", "not_found")
    assert both(missing, [finish(["Patient not found"])]) == (1.0, 1.0)
    assert both(missing, [finish(["patient NOT found."])]) == (0.0, 1.0)
    assert both(missing, [finish(["Patient not found!"])]) == (0.0, 0.0)
    assert both(missing, [finish([missing.patient])]) == (0.0, 0.0)


def test_task2_answers() -> None:
    task = stock_task("task2", "default")
    age = _age(task)
    assert both(task, [finish([age])]) == (1.0, 1.0)
    assert both(task, [finish([float(age)])]) == (1.0, 1.0)  # refsol: [34] == [34.0]
    assert both(task, [f"FINISH({age})"]) == (0.0, 1.0)
    assert score(task, [f'FINISH("[{age}]")'], "fixed") == 1.0  # a JSON list inside a string
    assert both(task, [finish([str(age)])]) == (0.0, 0.0)
    assert both(task, [finish([age + 1])]) == (0.0, 0.0)
    assert both(task, [finish([age - 1])]) == (0.0, 0.0)
    assert both(task, [finish([age, age])]) == (0.0, 0.0)
    assert both(task, [finish([True])]) == (0.0, 0.0)


def test_task4_and_task7_answers() -> None:
    recent = stock_task("task4", "recent")  # latest Mg in 24 h: 2.5 (the task's overlay)
    latest = max(recent.overlay, key=lambda r: r["effectiveDateTime"])
    value = latest["valueQuantity"]["value"]
    assert both(recent, [finish([value])]) == (1.0, 1.0)
    assert both(recent, [finish([])]) == (0.0, 0.0)  # task 4 needs the value
    assert both(recent, [finish([str(value)])]) == (0.0, 0.0)
    assert both(recent, [finish([value + 0.01])]) == (0.0, 0.0)
    assert both(recent, [finish([-1])]) == (0.0, 0.0)
    assert both(stock_task("task4", "stale"), [finish([-1])]) == (1.0, 1.0)
    assert both(stock_task("task4", "none"), [finish([-1])]) == (1.0, 1.0)
    assert both(stock_task("task4", "none"), [finish([])]) == (0.0, 0.0)
    glu = stock_task("task7", "default")
    last = max(glu.overlay, key=lambda r: r["effectiveDateTime"])["valueQuantity"]["value"]
    assert both(glu, [finish([int(last)])]) == (1.0, 1.0)  # 228 == 228.0
    assert both(glu, [finish([])]) == (0.0, 0.0)


def _mean_24h(task: Task) -> float:
    """Mean of the task's glucose overlay taken at or after 2023-11-12T10:15 (worked here)."""
    values = [
        r["valueQuantity"]["value"]
        for r in task.overlay
        if r["effectiveDateTime"] >= "2023-11-12T10:15:00+00:00"
    ]
    return sum(values) / len(values)


def test_task6_answers() -> None:
    task = stock_task("task6", "values")
    mean = _mean_24h(task)
    assert both(task, [finish([mean])]) == (1.0, 1.0)
    assert both(task, [finish([mean + 0.09])]) == (1.0, 1.0)
    assert both(task, [finish([mean - 0.09])]) == (1.0, 1.0)
    assert both(task, [finish([mean + 0.11])]) == (0.0, 0.0)
    assert both(task, [finish([mean - 0.11])]) == (0.0, 0.0)
    assert both(task, [f"FINISH({mean})"]) == (0.0, 1.0)  # refsol takes len() of the answer
    assert both(task, [finish([mean, mean])]) == (0.0, 0.0)
    assert both(task, [finish([str(mean)])]) == (0.0, 0.0)
    assert both(task, [finish([])]) == (0.0, 0.0)
    none = stock_task("task6", "none")
    assert both(none, [finish([-1])]) == (1.0, 1.0)
    assert both(none, [finish([True])]) == (0.0, 0.0)  # a boolean is not the number -1 (nor 1)
    assert both(none, [finish([])]) == (0.0, 0.0)


def test_task10_answers() -> None:
    newer = stock_task("task10", "newer")  # last HbA1c 7.4 on 2023-10-10T09:12:00+00:00
    when = "2023-10-10T09:12:00+00:00"
    assert both(newer, [finish([7.4, when])]) == (1.0, 1.0)
    assert both(newer, [finish([])]) == (1.0, 1.0)
    assert both(newer, [finish([7.4, "2023-10-10T09:12:00Z"])]) == (0.0, 1.0)
    assert both(newer, [finish([7.4, "2023-10-10T11:12:00+02:00"])]) == (0.0, 1.0)
    assert both(newer, [finish([7.4, "2023-10-10T09:13:00+00:00"])]) == (0.0, 0.0)
    assert both(newer, [finish([7.4, "2023-10-10"])]) == (0.0, 0.0)
    assert both(newer, [finish([7.4, "10 October 2023"])]) == (0.0, 0.0)
    assert both(newer, [finish([7.4])]) == (0.0, 0.0)
    assert both(newer, [finish(["7.4", when])]) == (0.0, 0.0)
    assert both(newer, [finish([7.4, when, 1])]) == (0.0, 0.0)
    assert both(newer, [finish([6.8, when])]) == (0.0, 0.0)
    assert both(newer, [a1c_order(newer.patient), finish([7.4, when])]) == (0.0, 0.0)
    none = stock_task("task10", "none")
    assert both(none, [a1c_order(none.patient), finish([-1])]) == (1.0, 1.0)
    assert both(none, [a1c_order(none.patient), finish([])]) == (1.0, 1.0)
    assert both(none, [finish([-1])]) == (0.0, 0.0)


def test_task5_and_task9_answers() -> None:
    normal = stock_task("task5", "normal")  # latest Mg in 24 h above 1.9: nothing to order
    value = max(normal.overlay, key=lambda r: r["effectiveDateTime"])["valueQuantity"]["value"]
    assert value > 1.9
    assert both(normal, [finish([value])]) == (1.0, 1.0)
    assert both(normal, [finish([])]) == (1.0, 1.0)
    assert both(normal, [finish([value - 0.1])]) == (0.0, 0.0)
    assert both(normal, [mg_order(normal.patient, 1), finish([value])]) == (0.0, 0.0)
    none = stock_task("task5", "none")  # no Mg in 24 h: any answer, no order
    assert both(none, [finish([7])]) == (1.0, 1.0)
    assert both(none, [finish(["anything"])]) == (1.0, 1.0)
    assert both(none, [mg_order(none.patient, 1), finish([-1])]) == (0.0, 0.0)
    k_normal = stock_task("task9", "normal")  # K exactly 3.5: not low
    assert both(k_normal, [finish([3.5])]) == (1.0, 1.0)
    assert both(k_normal, [finish([])]) == (1.0, 1.0)
    assert both(k_normal, [finish([3.4])]) == (0.0, 0.0)


def test_task9_without_any_potassium_is_minus_one_and_no_order() -> None:
    """No potassium result at all: the reference answer is ``[-1]`` (or ``[]``) and nothing may
    be ordered (refsol: a missing value is not below 3.5)."""
    task = chart_task("k_none")
    e = env("fixed")
    e.reset(options={"task_id": task.id})
    found = e.fhir.search("Observation", {"patient": task.patient, "code": "K"})
    assert found.get("total") == 0 and not found.get("entry")
    assert both(task.id, [finish([-1])]) == (1.0, 1.0)
    assert both(task.id, [finish([])]) == (1.0, 1.0)
    assert both(task.id, [finish([3.4])]) == (0.0, 0.0)
    assert both(task.id, [*k_orders(task.patient, 10), finish([-1])]) == (0.0, 0.0)


def test_the_word_post_fails_a_query_only_under_the_original_rules() -> None:
    task = stock_task("task7", "default")
    last = max(task.overlay, key=lambda r: r["effectiveDateTime"])["valueQuantity"]["value"]
    assert both(task, ["Nothing to POST here.", finish([last])]) == (0.0, 1.0)


# -- references recomputed from the chart ------------------------------------------------------


def test_the_chart_patients_have_no_such_results() -> None:
    """The charts above rely on these patients having no Mg / glucose within the 24 h before
    now and no HbA1c at all (their stock overlays are replaced by the charts above)."""
    e = env("fixed")
    for (category, branch), code, since in (
        (("task5", "none"), "MG", "2023-11-12T10:15:00+00:00"),
        (("task4", "none"), "MG", "2023-11-12T10:15:00+00:00"),
        (("task6", "none"), "GLU", "2023-11-12T10:15:00+00:00"),
        (("task10", "none"), "A1C", ""),
    ):
        task = stock_task(category, branch)
        e.reset(options={"task_id": task.id})
        found = e.fhir.search("Observation", {"patient": task.patient, "code": code})
        hits = [
            r
            for r in (x["resource"] for x in found.get("entry", []))
            if r.get("effectiveDateTime", "") >= since
        ]
        assert hits == [], (category, code)


@pytest.mark.parametrize(
    ("chart", "right", "wrong"),
    [
        ("mg_1.9", 1, 2),  # 1.5-1.9 (1.9 is not above 1.9): 1 g over 1 h
        ("mg_1.5", 1, 2),  # 1.5 is not below 1.5
        ("mg_1.49", 2, 1),
        ("mg_1.0", 2, 4),  # 1 is not below 1
        ("mg_0.99", 4, 2),
        ("mg5_at_cutoff", 2, 1),  # Mg 1.2 exactly 24 h before now counts
    ],
)
def test_magnesium_tiers(chart: str, right: float, wrong: float) -> None:
    task = chart_task(chart)
    value = CHARTS[chart][1][0][1]
    assert both(task.id, [mg_order(task.patient, right), finish([value])]) == (1.0, 1.0)
    assert both(task.id, [mg_order(task.patient, wrong), finish([value])]) == (0.0, 0.0)
    assert both(task.id, [finish([value])]) == (0.0, 0.0)  # an order was needed


def test_magnesium_above_the_tiers_and_outside_the_window() -> None:
    high = chart_task("mg_1.95")
    assert both(high.id, [finish([1.95])]) == (1.0, 1.0)
    assert both(high.id, [mg_order(high.patient, 1), finish([1.95])]) == (0.0, 0.0)
    old = chart_task("mg5_before_cutoff")  # 1 s outside the 24 h: as if there were no Mg
    assert both(old.id, [finish([-1])]) == (1.0, 1.0)
    assert both(old.id, [mg_order(old.patient, 2), finish([1.2])]) == (0.0, 0.0)


def test_latest_magnesium_within_24_hours() -> None:
    assert both(chart_task("mg_three").id, [finish([2.3])]) == (1.0, 1.0)
    assert both(chart_task("mg_three").id, [finish([1.7])]) == (0.0, 0.0)
    assert both(chart_task("mg_at_cutoff").id, [finish([1.2])]) == (1.0, 1.0)
    assert both(chart_task("mg_before_cutoff").id, [finish([-1])]) == (1.0, 1.0)
    assert both(chart_task("mg_before_cutoff").id, [finish([1.2])]) == (0.0, 0.0)


def test_glucose_mean_and_latest() -> None:
    mean = (100.0 + 150.0 + 170.0) / 3  # 140.0; the 400 taken 24 h 1 min ago is out
    task = chart_task("glu_cutoff").id
    assert both(task, [finish([mean])]) == (1.0, 1.0)
    assert both(task, [finish([(150.0 + 170.0) / 2])]) == (0.0, 0.0)
    assert both(task, [finish([(100.0 + 150.0 + 170.0 + 400.0) / 4])]) == (0.0, 0.0)
    latest = chart_task("glu_latest").id  # 99 at 10:10 is the latest, not the larger 310
    assert both(latest, [finish([99.0])]) == (1.0, 1.0)
    assert both(latest, [finish([310.0])]) == (0.0, 0.0)


def test_potassium_dose_and_latest_at_any_age() -> None:
    low = chart_task("k_3.4")  # (3.5 - 3.4) / 0.1 * 10 = 10 mEq
    assert both(low.id, [*k_orders(low.patient, 10), finish([3.4])]) == (1.0, 1.0)
    assert both(low.id, [*k_orders(low.patient, 20), finish([3.4])]) == (0.0, 0.0)
    assert both(low.id, [finish([3.4])]) == (0.0, 0.0)
    old = chart_task("k_5_days_ago")  # K 3.0 five days ago is still the latest: 50 mEq
    assert both(old.id, [*k_orders(old.patient, 50), finish([3.0])]) == (1.0, 1.0)
    assert both(old.id, [finish([3.0])]) == (0.0, 0.0)


def test_hba1c_one_year_cutoff() -> None:
    at = chart_task("a1c_at_one_year")  # exactly one year old: not older than a year
    when = "2022-11-13T10:15:00+00:00"
    assert both(at.id, [finish([6.1, when])]) == (1.0, 1.0)
    assert both(at.id, [a1c_order(at.patient), finish([6.1, when])]) == (0.0, 0.0)
    over = chart_task("a1c_just_over")
    when = "2022-11-13T10:14:59+00:00"
    assert both(over.id, [a1c_order(over.patient), finish([6.1, when])]) == (1.0, 1.0)
    assert both(over.id, [finish([6.1, when])]) == (0.0, 0.0)


# -- the verdict itself ---------------------------------------------------------------------------


def verdict(task_id: str, actions: list[str], grading: str = "fixed") -> tuple[str, bool]:
    """(status of medagentbench_pass, whether the episode ended at FINISH)."""
    res = run_episode(env(grading), ScriptedAgent(actions), task_id=task_id, seed=0)
    grade = res.record.grade
    assert isinstance(grade, dict), res.last_info.get("error")
    return grade["checkpoints"]["medagentbench_pass"]["status"], res.terminated


def test_every_verdict_is_recorded_and_finish_ends_the_episode() -> None:
    task = stock_task("task2", "default")
    age = _age(task)
    bp = post(
        "Observation",
        {
            "resourceType": "Observation",
            "status": "final",
            "code": {"text": "BP"},
            "valueString": "120/80 mmHg",
            "subject": {"reference": f"Patient/{task.patient}"},
        },
    )
    for grading in ("original", "fixed"):
        assert verdict(task.id, [finish([age])], grading) == ("passed", True)
        assert verdict(task.id, [finish([age + 1])], grading) == ("failed", True)
        assert verdict(task.id, [bp, finish([age])], grading) == ("failed", True)
    # never finished: the budget of 8 steps runs out (MedAgentBench grades finished runs only)
    get = f"GET {BASE}Patient?identifier={task.patient}"
    assert verdict(task.id, [get] * 8) == ("failed", False)


def test_a_number_is_not_an_mrn_and_true_is_not_one() -> None:
    """JSON distinguishes numbers, strings and booleans (RFC 8259): an MRN's digits as a number
    are not the MRN, and ``true`` is not the value 1.0 (the original's Python ``==`` takes
    ``[True] == [1.0]``)."""
    found = stock_task("task1", "found")
    assert both(found, [finish([int(found.patient[1:])])]) == (0.0, 0.0)
    one = chart_task("mg_1.0")
    assert both(one.id, [mg_order(one.patient, 2), finish([True])]) == (1.0, 0.0)
    assert both(one.id, [mg_order(one.patient, 2), finish([1])]) == (1.0, 1.0)


@pytest.mark.parametrize(("category", "branch"), [("task1", "found"), ("task4", "recent")])
def test_regrading_without_the_ehr_is_pending(tmp_path, category: str, branch: str) -> None:
    """``medsim grade --no-store``: the reference needs the chart, so the verdict is pending
    (undecided), never passed or failed."""
    import argparse

    from medsim.cli.grade_cmd import regrade
    from medsim.grading.record import EpisodeRecord

    task = stock_task(category, branch)
    res = run_episode(env("fixed"), ScriptedAgent(task.reference_solution), task_id=task.id)
    assert res.score == 1.0
    path = res.record.save(tmp_path / "episode.json")
    args = argparse.Namespace(no_store=True, fhir="embedded", data=None)
    out = regrade(path, EpisodeRecord.load(path), args)
    assert out["grade"]["checkpoints"]["medagentbench_pass"]["status"] == "pending"


def test_a_result_without_a_value_is_not_the_latest_value() -> None:
    task = chart_task("mg_not_performed")
    assert both(task.id, [mg_order(task.patient, 1), finish([1.7])]) == (1.0, 1.0)
    assert both(task.id, [finish([1.7])]) == (0.0, 0.0)


@pytest.mark.parametrize(
    ("birth", "age"),
    [
        ("1990-11-13", 33),  # the birthday is today: 33 years complete
        ("1990-11-14", 32),  # tomorrow
        ("1990-11-12", 33),
        ("1990-12-01", 32),
        ("2000-02-29", 23),  # a leap-day birth, in a common year
    ],
)
def test_age_in_whole_years(birth: str, age: int) -> None:
    """MedAgentBench task 2: whole years at 2023-11-13 (counted by hand)."""
    from datetime import date

    from medsim.environments.medagentbench.answers import age_on

    assert age_on(date.fromisoformat(birth), date(2023, 11, 13)) == age


def test_latest_glucose_when_there_is_none() -> None:
    """Task 7 on a patient with no glucose result at all: ``[-1]`` (refsol)."""
    task = chart_task("glu_none").id
    assert both(task, [finish([-1])]) == (1.0, 1.0)
    assert both(task, [finish([1])]) == (0.0, 0.0)
    assert both(task, [finish([-2])]) == (0.0, 0.0)
