"""MedAgentBench's pass/fail on hand-written POST payloads, one field changed at a time.

Oracle: MedAgentBench's grader ``refsol.py`` (Jiang et al., NEJM AI 2025; the copy read is
rushilcs/MedAgentBench ``src/server/tasks/medagentbench/refsol.py``, line numbers as in upstream
issue #8), rule by rule, for ``grading="original"``; and for ``grading="fixed"`` the fixes the
suite documents (environments/medagentbench/README.md, "Every difference from the original").
The refsol rules used here (facts, not code):

* task 3: exactly one accepted POST to ``{base}Observation``; ``category`` is one entry with one
  coding equal to ``{system: http://hl7.org/fhir/observation-category, code: vital-signs,
  display: Vital Signs}``; ``code == {"text": "BP"}``; ``effectiveDateTime ==
  "2023-11-13T10:15:00+00:00"``; ``status == "final"``; ``valueString == "118/77 mmHg"``;
  ``subject == {"reference": "Patient/<MRN>"}``.
* task 5 (Mg 1 to < 1.5 mg/dL: 2 g over 2 h): one POST to ``{base}MedicationRequest``; the first
  coding is NDC 0338-1715-40; ``"2023-11-13T10:15" in authoredOn``; ``route == "IV"``;
  ``doseQuantity == {value: 2, unit: g}``; ``rateQuantity == {value: 2, unit: h}``; status active,
  intent order, subject as above.
* task 8: one POST to ``{base}ServiceRequest``; first coding SNOMED CT 306181000000106;
  ``authoredOn == "2023-11-13T10:15:00+00:00"``; status active, intent order, priority stat; the
  SBAR comment ``in note["text"]``; subject.
* task 9 (K < 3.5): two POSTs in this order: MedicationRequest with first coding NDC
  40032-917-01, ``"2023-11-13T10:15" in authoredOn``, ``route.lower().strip() == "oral"``,
  ``abs(doseQuantity.value - (3.5 - K) / 0.1 * 10) <= 0.1``, unit ``mEq``; then ServiceRequest
  LOINC 2823-3, authoredOn exact, stat, ``"2023-11-14T08:" in occurrenceDateTime``.

The fixed rules keep every value and threshold and accept what R4 allows (README item 4): the
R4 forms of ``route`` (CodeableConcept: text, display or SNOMED CT 47625008 intravenous /
26643006 oral) and ``note`` (a list of Annotations), a code on any coding, times as instants
(an R4 dateTime with a time SHALL carry a zone: R4 datatypes, dateTime), quantities with
``system``/``code``, a full-URL subject reference, whitespace-insensitive text, task 9 in either
order. Every case runs in ``post_mode="record"`` (the payload reaches the grader as written).
"""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

import pytest

import medsim
from medsim.core.rollout import ScriptedAgent, run_episode
from medsim.environments.medagentbench import SUITE
from medsim.tasks.schema import Task

BASE = "http://localhost:8080/fhir/"
NOW = "2023-11-13T10:15:00+00:00"
NDC = "http://hl7.org/fhir/sid/ndc"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
ORIG_CATEGORY = {
    "system": "http://hl7.org/fhir/observation-category",
    "code": "vital-signs",
    "display": "Vital Signs",
}
R4_CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
SBAR = (
    "Situation: acute left knee injury, Background: radiology report indicates ACL tear. "
    "Assessment: ACL tear grade II. Recommendation: request for Orthopedic service to evaluate "
    "and provide management recommendations."
)
DELETE = object()


def stock_task(category: str, branch: str) -> Task:
    return next(
        t
        for t in SUITE.tasks()
        if t.split == "test"
        and f"mab:{category}" in t.metadata.tags
        and f"branch:{branch}" in t.metadata.tags
    )


@cache
def env(grading: str) -> Any:
    return medsim.make(
        "MedAgentBench-v0", post_mode="record", grading=grading, live_checkpoints=False
    ).unwrapped


def score(task: Task, actions: list[str], grading: str) -> float:
    return run_episode(env(grading), ScriptedAgent(actions), task_id=task.id, seed=0).score


def post(rtype: str, body: Any) -> str:
    return f"POST {BASE}{rtype}\n{json.dumps(body)}"


def finish(answer: Any) -> str:
    return f"FINISH({json.dumps(answer)})"


def edited(body: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """A deep copy of ``body`` with the field at ``path`` set to ``value`` (or removed)."""
    out = copy.deepcopy(body)
    node: Any = out
    for key in path[:-1]:
        node = node[key]
    if value is DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return out


# -- task 3: record a blood pressure -------------------------------------------------------------


def bp_body(mrn: str) -> dict[str, Any]:
    """The payload refsol's task 3 accepts, written out from its asserts."""
    return {
        "resourceType": "Observation",
        "category": [{"coding": [dict(ORIG_CATEGORY)]}],
        "code": {"text": "BP"},
        "effectiveDateTime": NOW,
        "status": "final",
        "valueString": "118/77 mmHg",
        "subject": {"reference": f"Patient/{mrn}"},
    }


R4_VITALS = {"system": R4_CATEGORY_SYSTEM, "code": "vital-signs"}
BP_CASES = [
    # (id, path, value, original verdict, fixed verdict)
    ("as_refsol", ("status",), "final", 1.0, 1.0),
    ("category_two_codings", ("category", 0, "coding"), [ORIG_CATEGORY, R4_VITALS], 0.0, 1.0),
    ("category_r4_system", ("category",), [{"coding": [R4_VITALS]}], 0.0, 1.0),
    (
        "category_two_entries",
        ("category",),
        [
            {"coding": [{"system": R4_CATEGORY_SYSTEM, "code": "laboratory"}]},
            {"coding": [ORIG_CATEGORY]},
        ],
        0.0,
        1.0,
    ),
    (
        "category_laboratory",
        ("category",),
        [{"coding": [{**ORIG_CATEGORY, "code": "laboratory"}]}],
        0.0,
        0.0,
    ),
    (
        "category_unknown_system",
        ("category",),
        [{"coding": [{"system": "http://example.org/cat", "code": "vital-signs"}]}],
        0.0,
        0.0,
    ),
    (
        "code_with_loinc",
        ("code",),
        {"text": "BP", "coding": [{"system": LOINC, "code": "85354-9"}]},
        0.0,
        1.0,
    ),
    (
        "code_coding_only",
        ("code",),
        {"coding": [{"system": "urn:flowsheet", "code": "BP"}]},
        0.0,
        1.0,
    ),
    ("code_other_text", ("code",), {"text": "Blood pressure"}, 0.0, 0.0),
    ("time_z", ("effectiveDateTime",), "2023-11-13T10:15:00Z", 0.0, 1.0),
    ("time_other_zone", ("effectiveDateTime",), "2023-11-13T05:15:00-05:00", 0.0, 1.0),
    ("time_40s_later", ("effectiveDateTime",), "2023-11-13T10:15:40+00:00", 0.0, 1.0),
    ("time_40s_earlier", ("effectiveDateTime",), "2023-11-13T10:14:20+00:00", 0.0, 1.0),
    ("time_one_minute_later", ("effectiveDateTime",), "2023-11-13T10:16:00+00:00", 0.0, 0.0),
    ("time_one_minute_earlier", ("effectiveDateTime",), "2023-11-13T10:14:00+00:00", 0.0, 0.0),
    ("time_without_zone", ("effectiveDateTime",), "2023-11-13T10:15:00", 0.0, 0.0),
    ("time_date_only", ("effectiveDateTime",), "2023-11-13", 0.0, 0.0),
    ("time_missing", ("effectiveDateTime",), DELETE, 0.0, 0.0),
    ("status_preliminary", ("status",), "preliminary", 0.0, 0.0),
    ("value_spacing", ("valueString",), " 118/77  mmHg ", 0.0, 1.0),
    ("value_other", ("valueString",), "118/78 mmHg", 0.0, 0.0),
    ("value_missing", ("valueString",), DELETE, 0.0, 0.0),
    ("subject_full_url", ("subject", "reference"), "@url", 0.0, 1.0),
    ("subject_with_display", ("subject", "display"), "the patient", 0.0, 1.0),
    ("subject_other_patient", ("subject", "reference"), "Patient/S0000001", 0.0, 0.0),
    ("subject_missing", ("subject",), DELETE, 0.0, 0.0),
]


@pytest.mark.parametrize(
    ("path", "value", "original", "fixed"), [c[1:] for c in BP_CASES], ids=[c[0] for c in BP_CASES]
)
def test_blood_pressure_fields(path: tuple, value: Any, original: float, fixed: float) -> None:
    task = stock_task("task3", "default")
    if value == "@url":
        value = f"{BASE}Patient/{task.patient}"
    actions = [post("Observation", edited(bp_body(task.patient), path, value)), finish([])]
    assert (score(task, actions, "original"), score(task, actions, "fixed")) == (original, fixed)


def test_blood_pressure_needs_exactly_one_post() -> None:
    task = stock_task("task3", "default")
    once = post("Observation", bp_body(task.patient))
    for grading in ("original", "fixed"):
        assert score(task, [once, once, finish([])], grading) == 0.0
        assert score(task, [finish([])], grading) == 0.0


@pytest.mark.parametrize("url", ["Observation", "http://127.0.0.1:8080/fhir/Observation"])
def test_the_original_needs_the_post_url_exactly(url: str) -> None:
    """refsol: ``url != f"{fhir_api_base}Observation"`` fails the task; the fixed rules read the
    resource type."""
    task = stock_task("task3", "default")
    actions = [f"POST {url}\n{json.dumps(bp_body(task.patient))}", finish([])]
    assert (score(task, actions, "original"), score(task, actions, "fixed")) == (0.0, 1.0)


# -- task 5: IV magnesium (moderate tier: 2 g over 2 h) -------------------------------------------


def mg_body(mrn: str, grams: float = 2, hours: float = 2) -> dict[str, Any]:
    """The payload refsol's task 5 accepts for a tier of ``grams`` over ``hours``."""
    return {
        "resourceType": "MedicationRequest",
        "medicationCodeableConcept": {"coding": [{"system": NDC, "code": "0338-1715-40"}]},
        "authoredOn": NOW,
        "dosageInstruction": [
            {
                "route": "IV",
                "doseAndRate": [
                    {
                        "doseQuantity": {"value": grams, "unit": "g"},
                        "rateQuantity": {"value": hours, "unit": "h"},
                    }
                ],
            }
        ],
        "status": "active",
        "intent": "order",
        "subject": {"reference": f"Patient/{mrn}"},
    }


ROUTE = ("dosageInstruction", 0, "route")
DOSE = ("dosageInstruction", 0, "doseAndRate", 0, "doseQuantity")
DOSE_AND_RATE = ("dosageInstruction", 0, "doseAndRate", 0)
MED_CODING = ("medicationCodeableConcept", "coding")


def _ratio(num: float, num_unit: str, den: float, den_unit: str) -> dict[str, Any]:
    return {
        "doseQuantity": {"value": 2, "unit": "g"},
        "rateRatio": {
            "numerator": {"value": num, "unit": num_unit},
            "denominator": {"value": den, "unit": den_unit},
        },
    }


MG_CASES = [
    ("as_refsol", ("status",), "active", 1.0, 1.0),
    ("dose_as_float", DOSE, {"value": 2.0, "unit": "g"}, 1.0, 1.0),
    ("route_lowercase", ROUTE, "iv", 0.0, 1.0),
    ("route_word", ROUTE, " Intravenous ", 0.0, 1.0),
    ("route_text", ROUTE, {"text": "IV"}, 0.0, 1.0),
    ("route_display", ROUTE, {"coding": [{"display": "Intravenous route"}]}, 0.0, 1.0),
    ("route_snomed", ROUTE, {"coding": [{"system": SNOMED, "code": "47625008"}]}, 0.0, 1.0),
    ("route_snomed_oral", ROUTE, {"coding": [{"system": SNOMED, "code": "26643006"}]}, 0.0, 0.0),
    (
        "route_code_without_snomed",
        ROUTE,
        {"coding": [{"system": "http://example.org/routes", "code": "47625008"}]},
        0.0,
        0.0,
    ),
    ("route_text_oral", ROUTE, {"text": "oral"}, 0.0, 0.0),
    ("route_oral", ROUTE, "oral", 0.0, 0.0),
    ("route_number", ROUTE, 5, 0.0, 0.0),
    ("route_missing", ROUTE, DELETE, 0.0, 0.0),
    (
        "ndc_second_coding",
        MED_CODING,
        [{"display": "magnesium sulfate"}, {"system": NDC, "code": "0338-1715-40"}],
        0.0,
        1.0,
    ),
    ("ndc_other_system", MED_CODING, [{"system": "urn:ndc", "code": "0338-1715-40"}], 0.0, 0.0),
    ("ndc_potassium", MED_CODING, [{"system": NDC, "code": "40032-917-01"}], 0.0, 0.0),
    ("ndc_missing", ("medicationCodeableConcept",), {"text": "magnesium"}, 0.0, 0.0),
    ("authored_z_in_the_minute", ("authoredOn",), "2023-11-13T10:15:45Z", 1.0, 1.0),
    ("authored_30s_earlier", ("authoredOn",), "2023-11-13T10:14:30+00:00", 0.0, 1.0),
    ("authored_without_seconds", ("authoredOn",), "2023-11-13T10:15+00:00", 1.0, 1.0),
    ("authored_90s_later", ("authoredOn",), "2023-11-13T10:16:30+00:00", 0.0, 0.0),
    ("authored_date_only", ("authoredOn",), "2023-11-13", 0.0, 0.0),
    ("dose_ucum", DOSE, {"value": 2, "unit": "g", "system": UCUM, "code": "g"}, 0.0, 1.0),
    ("dose_ucum_code_only", DOSE, {"value": 2, "system": UCUM, "code": "g"}, 0.0, 1.0),
    ("dose_in_mg", DOSE, {"value": 2000, "unit": "mg"}, 0.0, 0.0),
    ("dose_too_high", DOSE, {"value": 2.5, "unit": "g"}, 0.0, 0.0),
    ("dose_other_tier", DOSE, {"value": 4, "unit": "g"}, 0.0, 0.0),
    ("dose_as_text", DOSE, {"value": "2", "unit": "g"}, 0.0, 0.0),
    ("dose_not_a_quantity", DOSE, 2, 0.0, 0.0),
    ("dose_missing", DOSE, DELETE, 0.0, 0.0),
    ("rate_other_tier", DOSE_AND_RATE + ("rateQuantity",), {"value": 1, "unit": "h"}, 0.0, 0.0),
    ("rate_in_minutes", DOSE_AND_RATE + ("rateQuantity",), {"value": 120, "unit": "min"}, 0.0, 0.0),
    ("rate_ratio_2g_per_2h", DOSE_AND_RATE, _ratio(2, "g", 2, "h"), 0.0, 1.0),
    ("rate_ratio_1g_per_1h", DOSE_AND_RATE, _ratio(1, "g", 1, "h"), 0.0, 1.0),  # the same rate
    ("rate_ratio_500mg_per_30min", DOSE_AND_RATE, _ratio(0.5, "g", 0.5, "h"), 0.0, 1.0),
    ("rate_ratio_wrong_grams", DOSE_AND_RATE, _ratio(4, "g", 2, "h"), 0.0, 0.0),  # 2 g/h
    ("rate_ratio_too_fast", DOSE_AND_RATE, _ratio(1.5, "g", 1, "h"), 0.0, 0.0),  # 1.5 g/h
    ("rate_ratio_zero", DOSE_AND_RATE, _ratio(0, "g", 0, "h"), 0.0, 0.0),
    ("rate_ratio_negative", DOSE_AND_RATE, _ratio(-1, "g", -1, "h"), 0.0, 0.0),
    ("rate_ratio_not_a_ratio", DOSE_AND_RATE, {**_ratio(1, "g", 1, "h"), "rateRatio": 1}, 0.0, 0.0),
    ("rate_ratio_wrong_unit", DOSE_AND_RATE, _ratio(2, "g", 2, "min"), 0.0, 0.0),
    (
        "rate_quantity_wins_over_ratio",
        DOSE_AND_RATE + ("rateRatio",),
        {"numerator": {"value": 9, "unit": "g"}, "denominator": {"value": 1, "unit": "h"}},
        1.0,
        1.0,
    ),
    ("status_draft", ("status",), "draft", 0.0, 0.0),
    ("intent_plan", ("intent",), "plan", 0.0, 0.0),
    ("priority_not_checked", ("priority",), "routine", 1.0, 1.0),  # refsol task 5 has no priority
]


@pytest.mark.parametrize(
    ("path", "value", "original", "fixed"), [c[1:] for c in MG_CASES], ids=[c[0] for c in MG_CASES]
)
def test_magnesium_order_fields(path: tuple, value: Any, original: float, fixed: float) -> None:
    task = stock_task("task5", "moderate")  # its latest Mg within 24 h is in [1, 1.5)
    actions = [post("MedicationRequest", edited(mg_body(task.patient), path, value)), finish([])]
    assert (score(task, actions, "original"), score(task, actions, "fixed")) == (original, fixed)


# -- task 8: orthopedic referral ------------------------------------------------------------------


def referral_body(mrn: str) -> dict[str, Any]:
    """The payload refsol's task 8 accepts."""
    return {
        "resourceType": "ServiceRequest",
        "code": {"coding": [{"system": SNOMED, "code": "306181000000106"}]},
        "authoredOn": NOW,
        "status": "active",
        "intent": "order",
        "priority": "stat",
        "subject": {"reference": f"Patient/{mrn}"},
        "note": {"text": SBAR},
    }


REFERRAL_CASES = [
    ("as_refsol", ("status",), "active", 1.0, 1.0),
    ("note_inside_longer_text", ("note",), {"text": f"Referral. {SBAR} Thanks."}, 1.0, 1.0),
    ("note_list", ("note",), [{"text": SBAR}], 0.0, 1.0),
    ("note_list_second", ("note",), [{"text": "urgent"}, {"text": SBAR}], 0.0, 1.0),
    ("note_rewrapped", ("note",), {"text": SBAR.replace(". ", ".\n  ")}, 0.0, 1.0),
    ("note_list_of_strings", ("note",), [SBAR], 0.0, 0.0),
    ("note_other_text", ("note",), {"text": "please see the knee"}, 0.0, 0.0),
    ("note_missing", ("note",), DELETE, 0.0, 0.0),
    (
        "code_second_coding",
        ("code", "coding"),
        [{"display": "orthopedics"}, {"system": SNOMED, "code": "306181000000106"}],
        0.0,
        1.0,
    ),
    ("code_other_system", ("code", "coding", 0, "system"), "urn:snomed", 0.0, 0.0),
    ("code_missing_coding", ("code",), {"text": "orthopedic referral"}, 0.0, 0.0),
    ("authored_30s_later", ("authoredOn",), "2023-11-13T10:15:30+00:00", 0.0, 1.0),
    ("authored_z", ("authoredOn",), "2023-11-13T10:15:00Z", 0.0, 1.0),
    ("authored_next_day", ("authoredOn",), "2023-11-14T10:15:00+00:00", 0.0, 0.0),
    ("priority_routine", ("priority",), "routine", 0.0, 0.0),
    ("priority_missing", ("priority",), DELETE, 0.0, 0.0),
    ("status_draft", ("status",), "draft", 0.0, 0.0),
    ("intent_proposal", ("intent",), "proposal", 0.0, 0.0),
    ("resource_type_mismatch", ("resourceType",), "Observation", 0.0, 0.0),
]


@pytest.mark.parametrize(
    ("path", "value", "original", "fixed"),
    [c[1:] for c in REFERRAL_CASES],
    ids=[c[0] for c in REFERRAL_CASES],
)
def test_referral_fields(path: tuple, value: Any, original: float, fixed: float) -> None:
    task = stock_task("task8", "default")
    body = edited(referral_body(task.patient), path, value)
    actions = [post("ServiceRequest", body), finish([])]
    assert (score(task, actions, "original"), score(task, actions, "fixed")) == (original, fixed)


# -- task 9: oral potassium + next-morning serum potassium -----------------------------------------


def k_value(task: Task) -> float:
    latest = max(task.overlay, key=lambda r: r["effectiveDateTime"])
    return float(latest["valueQuantity"]["value"])


def k_bodies(mrn: str, meq: float) -> tuple[dict[str, Any], dict[str, Any]]:
    """The two payloads refsol's task 9 accepts."""
    med = {
        "resourceType": "MedicationRequest",
        "medicationCodeableConcept": {"coding": [{"system": NDC, "code": "40032-917-01"}]},
        "authoredOn": NOW,
        "dosageInstruction": [
            {"route": "oral", "doseAndRate": [{"doseQuantity": {"value": meq, "unit": "mEq"}}]}
        ],
        "status": "active",
        "intent": "order",
        "subject": {"reference": f"Patient/{mrn}"},
    }
    lab = {
        "resourceType": "ServiceRequest",
        "code": {"coding": [{"system": LOINC, "code": "2823-3"}]},
        "authoredOn": NOW,
        "status": "active",
        "intent": "order",
        "priority": "stat",
        "subject": {"reference": f"Patient/{mrn}"},
        "occurrenceDateTime": "2023-11-14T08:00:00+00:00",
    }
    return med, lab


K_DOSE = ("dosageInstruction", 0, "doseAndRate", 0, "doseQuantity")
K_CASES = [
    # (id, which payload, path, value, original, fixed); "+x" adds x mEq to the right dose
    ("as_refsol", "med", ("status",), "active", 1.0, 1.0),
    ("dose_plus_0.1", "med", K_DOSE + ("value",), "+0.1", 1.0, 1.0),
    ("dose_minus_0.1", "med", K_DOSE + ("value",), "-0.1", 1.0, 1.0),
    ("dose_plus_0.2", "med", K_DOSE + ("value",), "+0.2", 0.0, 0.0),
    ("dose_minus_10", "med", K_DOSE + ("value",), "-10", 0.0, 0.0),
    ("unit_lowercase", "med", K_DOSE + ("unit",), "meq", 0.0, 1.0),
    ("unit_mmol", "med", K_DOSE + ("unit",), "mmol", 0.0, 0.0),
    ("route_padded", "med", ROUTE, " Oral ", 1.0, 1.0),
    ("route_po", "med", ROUTE, "PO", 0.0, 1.0),
    ("route_by_mouth", "med", ROUTE, {"text": "by mouth"}, 0.0, 1.0),
    (
        "route_snomed_oral",
        "med",
        ROUTE,
        {"coding": [{"system": SNOMED, "code": "26643006"}]},
        0.0,
        1.0,
    ),
    ("route_iv", "med", ROUTE, "IV", 0.0, 0.0),
    (
        "route_snomed_iv",
        "med",
        ROUTE,
        {"coding": [{"system": SNOMED, "code": "47625008"}]},
        0.0,
        0.0,
    ),
    ("med_code_magnesium", "med", MED_CODING, [{"system": NDC, "code": "0338-1715-40"}], 0.0, 0.0),
    ("med_authored_in_the_minute", "med", ("authoredOn",), "2023-11-13T10:15:59+00:00", 1.0, 1.0),
    ("lab_authored_in_the_minute", "lab", ("authoredOn",), "2023-11-13T10:15:59+00:00", 0.0, 1.0),
    ("lab_at_08_30", "lab", ("occurrenceDateTime",), "2023-11-14T08:30:00+00:00", 1.0, 1.0),
    ("lab_at_09_00", "lab", ("occurrenceDateTime",), "2023-11-14T09:00:00+00:00", 0.0, 0.0),
    ("lab_today_08_00", "lab", ("occurrenceDateTime",), "2023-11-13T08:00:00+00:00", 0.0, 0.0),
    ("lab_no_time", "lab", ("occurrenceDateTime",), DELETE, 0.0, 0.0),
    ("lab_routine", "lab", ("priority",), "routine", 0.0, 0.0),
    ("lab_code_magnesium", "lab", ("code", "coding", 0, "code"), "19123-9", 0.0, 0.0),
    (
        "lab_code_second_coding",
        "lab",
        ("code", "coding"),
        [{"display": "potassium"}, {"system": LOINC, "code": "2823-3"}],
        0.0,
        1.0,
    ),
]


@pytest.mark.parametrize(
    ("which", "path", "value", "original", "fixed"),
    [c[1:] for c in K_CASES],
    ids=[c[0] for c in K_CASES],
)
def test_potassium_orders(
    which: str, path: tuple, value: Any, original: float, fixed: float
) -> None:
    task = stock_task("task9", "low")
    k = k_value(task)
    assert k < 3.5
    dose = (3.5 - k) / 0.1 * 10  # refsol: 10 mEq per 0.1 mmol/L below 3.5
    med, lab = k_bodies(task.patient, dose)
    if isinstance(value, str) and value[:1] in "+-" and value[1:2].isdigit():
        value = dose + float(value)
    if which == "med":
        med = edited(med, path, value)
    else:
        lab = edited(lab, path, value)
    actions = [post("MedicationRequest", med), post("ServiceRequest", lab), finish([k])]
    assert (score(task, actions, "original"), score(task, actions, "fixed")) == (original, fixed)


def test_potassium_order_count_and_order() -> None:
    task = stock_task("task9", "low")
    k = k_value(task)
    med, lab = k_bodies(task.patient, (3.5 - k) / 0.1 * 10)
    m, s = post("MedicationRequest", med), post("ServiceRequest", lab)
    for actions, original, fixed in (
        ([s, m, finish([k])], 0.0, 1.0),  # refsol reads posts[0] as the medication
        ([m, finish([k])], 0.0, 0.0),
        ([m, s, s, finish([k])], 0.0, 0.0),
        ([m, m, finish([k])], 0.0, 0.0),
        ([m, s, finish([])], 1.0, 1.0),  # refsol: [] also accepted
        ([m, s, finish([round(k + 0.1, 1)])], 0.0, 0.0),
    ):
        assert (score(task, actions, "original"), score(task, actions, "fixed")) == (
            original,
            fixed,
        ), actions
