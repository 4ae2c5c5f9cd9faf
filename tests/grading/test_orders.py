"""resource_created / nothing_created / no_duplicate_orders: read from the episode's writes."""

from __future__ import annotations

from typing import Any

import pytest

from medsim.grading import checkpoint_status
from medsim.grading.record import RecordedWrite
from tests.grading.helpers import (
    IV,
    LOINC,
    OTHER,
    RXNORM,
    SNOMED,
    P,
    cp,
    medication_request,
    service_request,
)

AMOX = {"codes": [f"{RXNORM}|308192"]}
ORAL_ROUTE = {"codes": [f"{SNOMED}|26643006"]}
AMOX_SPEC: dict[str, Any] = {
    "resource_type": "MedicationRequest",
    "code": AMOX,
    "status": ["active"],
    "intent": ["order"],
    "dosage": {
        "dose": {"value": 500, "rel_tolerance": 0.1, "unit": "mg"},
        "route": ORAL_ROUTE,
        "frequency": {"per_day": 3},
    },
}


def st(d: Any, cid: str = "c", final: bool = True) -> dict[str, Any]:
    return dict(checkpoint_status(d.task, d.record, d.episode, final=final)[cid])


def test_correct_medication_order_passes(drive: Any) -> None:
    d = drive([cp("c", "resource_created", **AMOX_SPEC)])
    d.write(medication_request())
    out = st(d)
    assert out["status"] == "passed", out["evidence"]
    assert "MedicationRequest/" in out["evidence"]


@pytest.mark.parametrize(
    "change,reason",
    [
        ({"dose": 1000}, "dose 1000"),
        ({"dose": 0.5, "unit": "g"}, None),  # 0.5 g == 500 mg: passes
        ({"unit": "tablet"}, "dose"),
        ({"route": IV}, "route"),
        ({"per_day": 2, "text": "twice daily"}, "frequency"),
        ({"code": "314076", "display": "lisinopril 10 MG Oral Tablet"}, "code 314076"),
        ({"patient": OTHER}, "subject"),
        ({"status": "draft"}, "status"),
        ({"authored": "2024-03-13T09:00:00+00:00"}, "authoredOn"),
        ({"authored": None}, None),  # the instruction did not ask for authoredOn: no penalty
    ],
)
def test_each_constraint_can_fail(drive: Any, change: dict[str, Any], reason: str | None) -> None:
    d = drive([cp("c", "resource_created", **AMOX_SPEC)])
    d.write(medication_request(**change))
    out = st(d)
    if reason is None:
        assert out["status"] == "passed", out["evidence"]
    else:
        assert out["status"] == "failed" and reason in out["evidence"], out["evidence"]


def test_frequency_text_alternative_and_dose_range(drive: Any) -> None:
    spec = {
        **AMOX_SPEC,
        "dosage": {
            "dose": {"range": [250, 500], "unit": "mg"},
            "frequency": {"text_regex": r"\b(tid|three times)"},
        },
    }
    d = drive([cp("c", "resource_created", **spec)])
    res = medication_request(dose=250)
    del res["dosageInstruction"][0]["timing"]
    d.write(res)
    assert st(d)["status"] == "passed"


def test_route_string_only_when_task_opts_in(drive: Any) -> None:
    strict = {
        **AMOX_SPEC,
        "dosage": {"route": {"codes": [f"{SNOMED}|26643006"], "display_regex": "^oral"}},
    }
    lenient = {
        **AMOX_SPEC,
        "dosage": {
            "route": {
                "codes": [f"{SNOMED}|26643006"],
                "display_regex": "^oral",
                "allow_string": True,
            }
        },
    }
    d = drive([cp("c", "resource_created", **strict), cp("l", "resource_created", **lenient)])
    res = medication_request()
    res["dosageInstruction"][0]["route"] = "oral"  # MedAgentBench's bare-string route (not R4)
    # the store rejects a bare-string route (invalid R4): grade the record as a record-only POST
    d.record.writes.append(
        RecordedWrite(
            method="create",
            resource_type="MedicationRequest",
            id="x1",
            resource={**res, "id": "x1"},
            seq=0,
            step=1,
        )
    )
    assert st(d)["status"] == "failed"
    assert st(d, "l")["status"] == "passed"


def test_service_request_occurrence_window_and_note_text(drive: Any) -> None:
    spec = {
        "resource_type": "ServiceRequest",
        "code": {"codes": [f"{LOINC}|2823-3"]},
        "status": ["active"],
        "intent": ["order"],
        "priority": ["stat"],
        "occurrence": {"after": "@today+P1DT7H59M", "before": "@today+P1DT9H"},
        "text_regex": ["situation", "recommendation"],
    }
    d = drive([cp("c", "resource_created", **spec)])
    d.write(service_request(note=[{"text": "Situation: low K. Recommendation: recheck."}]))
    assert st(d)["status"] == "passed"
    d2 = drive([cp("c", "resource_created", **spec)])
    d2.write(
        service_request(
            occurrence="2024-03-15T12:00:00+00:00", note=[{"text": "Situation. Recommendation."}]
        )
    )
    assert st(d2)["status"] == "failed" and "occurrence" in st(d2)["evidence"]
    d3 = drive([cp("c", "resource_created", **spec)])
    d3.write(service_request(note=[{"text": "recheck K"}]))
    assert st(d3)["status"] == "failed" and "text does not match" in st(d3)["evidence"]


def test_final_state_counts_not_transcript(drive: Any) -> None:
    """An order created then cancelled (update) or deleted no longer satisfies the checkpoint."""
    d = drive([cp("c", "resource_created", **AMOX_SPEC)])
    stored = d.write(medication_request())
    assert st(d, final=False)["status"] == "passed"
    d.write({**stored, "status": "cancelled"}, method="update")
    assert st(d)["status"] == "failed"
    d2 = drive([cp("c", "resource_created", **AMOX_SPEC)])
    stored = d2.write(medication_request())
    d2.delete("MedicationRequest", stored["id"])
    assert st(d2)["status"] == "failed" and "deleted" in st(d2)["evidence"]
    d3 = drive([cp("c", "resource_created", **AMOX_SPEC)])
    d3.say("POST MedicationRequest amoxicillin 500 mg TID")  # claims are not writes
    d3.finish(["done"])
    assert st(d3)["status"] == "failed" and "no MedicationRequest written" in st(d3)["evidence"]


def test_counts_and_extra_fields(drive: Any) -> None:
    d = drive(
        [
            cp("one", "resource_created", max_count=1, **AMOX_SPEC),
            cp(
                "f",
                "resource_created",
                resource_type="MedicationRequest",
                fields={"dosageInstruction.doseAndRate.doseQuantity.value": [500]},
            ),
        ]
    )
    d.write(medication_request())
    s = checkpoint_status(d.task, d.record, d.episode, final=True)
    assert s["one"]["status"] == "passed" and s["f"]["status"] == "passed"
    d.write(medication_request())
    assert st(d, "one")["status"] == "failed"


def test_pending_until_final(drive: Any) -> None:
    d = drive([cp("c", "resource_created", **AMOX_SPEC)])
    assert st(d, final=False)["status"] == "pending"
    d.write(medication_request(dose=2000))
    assert st(d, final=False)["status"] == "pending"
    assert st(d, final=True)["status"] == "failed"


def test_nothing_created(drive: Any) -> None:
    spec = {"resource_type": "MedicationRequest"}
    d = drive([cp("c", "nothing_created", **spec)])
    d.search("Observation", patient="pat-1")
    assert st(d, final=False)["status"] == "pending"
    d.write(service_request())  # a lab order is not a medication order
    assert st(d)["status"] == "passed"
    d.write(medication_request())
    assert st(d, final=False)["status"] == "failed"  # decided as soon as it happens
    d2 = drive([cp("c", "nothing_created")])  # no writes of any kind
    d2.write(service_request())
    assert st(d2)["status"] == "failed"


def test_no_duplicate_orders_within_episode_and_against_chart(drive: Any) -> None:
    d = drive([cp("c", "no_duplicate_orders", gate=True)])
    d.write(medication_request())
    assert st(d)["status"] == "passed"
    d.write(medication_request(dose=250))
    assert st(d)["status"] == "failed" and "duplicate" in st(d)["evidence"]
    lis: dict[str, Any] = {"code": "314076", "display": "lisinopril 10 MG Oral Tablet", "dose": 10}
    d2 = drive([cp("c", "no_duplicate_orders")])
    d2.write(medication_request(**lis))  # lisinopril already active in the chart (med-1)
    assert st(d2)["status"] == "failed" and "already in the chart" in st(d2)["evidence"]
    d3 = drive([cp("c", "no_duplicate_orders", against_chart=False)])
    d3.write(medication_request(**lis))
    assert st(d3)["status"] == "passed"


def test_duplicate_by_code_group(drive: Any) -> None:
    any_amox = {"display_regex": "amoxicillin"}
    d = drive([cp("c", "no_duplicate_orders", code=any_amox)])
    d.write(medication_request())
    d.write(
        medication_request(
            code="562508", display="amoxicillin 875 MG / clavulanate 125 MG Oral Tablet"
        )
    )
    assert st(d)["status"] == "failed"


def test_observation_recorded_mab_task3(drive: Any) -> None:
    """Record a blood pressure: value as written, effective now, for the patient."""
    spec = {
        "resource_type": "Observation",
        "status": ["final"],
        "fields": {"valueString": "118/77 mmHg"},
        "effective": {"after": "@now-PT1M", "before": "@now+PT1M"},
    }
    bp = {
        "resourceType": "Observation",
        "status": "final",
        "subject": {"reference": "Patient/pat-1"},
        "code": {"text": "BP"},
        "effectiveDateTime": "2024-03-14T09:00:00+00:00",
        "valueString": "118/77 mmHg",
    }
    d = drive([cp("c", "resource_created", **spec)])
    d.write(bp)
    assert st(d)["status"] == "passed", st(d)["evidence"]
    d2 = drive([cp("c", "resource_created", **spec)])
    d2.write({**bp, "effectiveDateTime": "2024-03-13T09:00:00+00:00"})
    assert st(d2)["status"] == "failed" and "outside" in st(d2)["evidence"]


def test_one_matching_dose_among_the_instructions_typed_doses_passes(drive: Any) -> None:
    """FHIR R4 Dosage.doseAndRate repeats by type (ordered / calculated): the instruction's dose
    matches when one of its expressions does; 5 mL of a suspension says nothing about mg."""
    order = medication_request()
    order["dosageInstruction"][0]["doseAndRate"] = [
        {"type": {"text": "calculated"}, "doseQuantity": {"value": 5, "unit": "mL"}},
        {"type": {"text": "ordered"}, "doseQuantity": {"value": 500, "unit": "mg"}},
    ]
    d = drive([cp("c", "resource_created", **AMOX_SPEC)])
    d.write(order)
    assert st(d)["status"] == "passed", st(d)["evidence"]
    only_ml = medication_request()
    only_ml["dosageInstruction"][0]["doseAndRate"] = [{"doseQuantity": {"value": 5, "unit": "mL"}}]
    d2 = drive([cp("c", "resource_created", **AMOX_SPEC)])
    d2.write(only_ml)
    assert st(d2)["status"] == "failed" and "dose 5 mL" in st(d2)["evidence"]


def _status_of(drive: Any, spec: dict[str, Any], order: dict[str, Any]) -> tuple[str, str]:
    d = drive([cp("c", "resource_created", **spec)])
    d.write(order)
    out = st(d)
    return out["status"], out["evidence"]


@pytest.mark.parametrize("with_encounter", [False, True])
def test_an_order_must_name_its_encounter_when_asked(drive: Any, with_encounter: bool) -> None:
    d = drive([cp("c", "resource_created", **AMOX_SPEC, encounter_required=True)])
    order = medication_request()
    if with_encounter:
        enc = d.episode.create(
            {"resourceType": "Encounter", "status": "in-progress",
             "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
             "subject": {"reference": f"Patient/{P}"}}
        )  # fmt: skip
        order["encounter"] = {"reference": f"Encounter/{enc['id']}"}
    d.write(order)
    out = st(d)
    if with_encounter:
        assert out["status"] == "passed", out["evidence"]
    else:
        assert out["status"] == "failed" and "no encounter" in out["evidence"]


@pytest.mark.parametrize(("priority", "status"), [("stat", "passed"), ("routine", "failed")])
def test_extra_fields(drive: Any, priority: str, status: str) -> None:
    order = {**medication_request(), "priority": priority}
    got, evidence = _status_of(drive, {**AMOX_SPEC, "fields": {"priority": "stat"}}, order)
    assert got == status, evidence
    if status == "failed":
        assert "priority = ['routine'], expected one of ['stat']" in evidence


@pytest.mark.parametrize(("per_day", "status"), [(3, "passed"), (4, "failed")])
def test_daily_amount_of_the_order(drive: Any, per_day: int, status: str) -> None:
    # 500 mg x 3 a day = 1500 mg per 24 h; x 4 = 2000 mg
    spec = {**AMOX_SPEC, "dosage": {"daily": {"value": 1500, "unit": "mg"}}}
    order = medication_request(per_day=per_day, text=f"500 mg {per_day} times daily")
    got, evidence = _status_of(drive, spec, order)
    assert got == status, evidence


@pytest.mark.parametrize(
    ("window", "authored", "status"),
    [
        ({"after": "2024-03-14T08:00:00+00:00"}, "2024-03-14T08:00:00+00:00", "passed"),  # edge
        ({"after": "2024-03-14T08:00:00+00:00"}, "2024-03-14T07:59:59+00:00", "failed"),
        ({"before": "2024-03-14T10:00:00+00:00"}, "2024-03-14T10:00:00+00:00", "passed"),  # edge
        ({"before": "2024-03-14T10:00:00+00:00"}, "2024-03-14T10:00:01+00:00", "failed"),
    ],
)
def test_time_windows_include_their_bounds(
    drive: Any, window: dict[str, str], authored: str, status: str
) -> None:
    got, evidence = _status_of(
        drive, {**AMOX_SPEC, "authored": window}, medication_request(authored=authored)
    )
    assert got == status, evidence


def _frequency_case(drive: Any, frequency: dict[str, Any], instruction: dict[str, Any]) -> str:
    order = medication_request()
    order["dosageInstruction"][0] = {
        "route": order["dosageInstruction"][0]["route"],
        "doseAndRate": [{"doseQuantity": {"value": 500, "unit": "mg"}}],
        **instruction,
    }
    spec = {**AMOX_SPEC, "dosage": {**AMOX_SPEC["dosage"], "frequency": frequency}}
    status, _ = _status_of(drive, spec, order)
    return status


@pytest.mark.parametrize(
    ("frequency", "instruction", "status"),
    [
        # no structured timing: the written frequency decides, even when per_day is asked for
        (
            {"per_day": 3, "text_regex": "three times"},
            {"text": "500 mg three times daily"},
            "passed",
        ),
        ({"text_regex": "twice"}, {"text": "500 mg three times daily"}, "failed"),
        # a timing code (HL7 GTSAbbreviation) counts as written frequency
        ({"text_regex": "^TID$"}, {"timing": {"code": {"coding": [{"code": "TID"}]}}}, "passed"),
    ],
)
def test_frequency_without_structured_timing(
    drive: Any, frequency: dict[str, Any], instruction: dict[str, Any], status: str
) -> None:
    assert _frequency_case(drive, frequency, instruction) == status


def test_a_dose_without_a_unit_does_not_match_a_dose_in_mg(drive: Any) -> None:
    order = medication_request()
    order["dosageInstruction"][0]["doseAndRate"] = [{"doseQuantity": {"value": 500}}]
    status, evidence = _status_of(drive, AMOX_SPEC, order)
    assert status == "failed", evidence
