"""The workbench's four write tools: medication order, message, test/referral order, appointment.

Flat, clinician-shaped arguments ("apixaban 5 mg by mouth twice daily") become valid FHIR R4
resources that are *executed*: created in the episode's EHR layer (validated by the FHIR
engine; an invalid one is refused and nothing is stored), so graders read the orders from the
EHR. ``authoredOn`` / ``sent`` is the task's clinical "now", never the wall clock.
Frequencies and routes are read from the cohort's terminology (medications.yaml), so "BID",
"twice daily" and "q12h" all give a structured ``timing.repeat`` the dose graders can use.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from importlib import resources
from typing import Annotated, Any, Literal

from pydantic import Field

from medsim.environments.physicianbench.workbench.paging import (
    Json,
    PatientId,
    episode,
    patient_ref,
)
from medsim.tools.base import ToolError, tool
from medsim.yamlload import safe_load

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
#: ServiceRequest categories (SNOMED CT, as US Core uses them).
CATEGORIES = {
    "laboratory": ("108252007", "Laboratory procedure"),
    "imaging": ("363679005", "Imaging"),
    "referral": ("3457005", "Patient referral"),
}
#: Extra spellings of the frequencies in medications.yaml (key -> words that mean it).
FREQUENCY_ALIASES = {
    "daily": ["qd", "once daily", "once a day", "every day", "q24h", "daily"],
    "bid": ["bid", "twice daily", "twice a day", "2 times daily", "two times daily"],
    "tid": ["tid", "three times daily", "3 times daily", "three times a day"],
    "qid": ["qid", "four times daily", "4 times daily"],
    "qhs": ["qhs", "at bedtime", "nightly"],
    "q8h": ["q8h", "every 8 hours"],
    "q12h": ["q12h", "every 12 hours"],
    "qod": ["qod", "every other day", "alternate days", "on alternate days", "every 48 hours"],
    "weekly": ["weekly", "once weekly", "once a week", "every week"],
}
#: Frequencies the cohort's terminology does not define (same shape as its ``frequencies``).
EXTRA_FREQUENCIES = {
    "qod": {"frequency": 1, "period": 2, "unit": "d"},
    "weekly": {"frequency": 1, "period": 1, "unit": "wk"},
}
ROUTE_ALIASES = {
    "po": "oral",
    "by mouth": "oral",
    "sc": "subcutaneous",
    "subq": "subcutaneous",
    "iv": "intravenous",
    "sl": "sublingual",
    "inh": "inhaled",
    "inhalation": "inhaled",
}
Priority = Literal["routine", "urgent", "asap", "stat"]
Positive = Annotated[float, Field(gt=0, le=1_000_000)]


@cache
def _med_terms() -> dict[str, Any]:
    text = resources.files("medsim.data.terminology").joinpath("medications.yaml").read_text()
    return dict(safe_load(text))


def timing(frequency: str) -> Json:
    """FHIR Timing for a written frequency; structured when the words are recognised."""
    words = " ".join(frequency.lower().replace("-", " ").split())
    table = {**EXTRA_FREQUENCIES, **_med_terms()["frequencies"]}
    for key, spellings in FREQUENCY_ALIASES.items():
        if words in spellings or words == str(table[key].get("code", "")).lower():
            spec = table[key]
            repeat = {k: spec[k] for k in ("frequency", "period") if k in spec}
            repeat["periodUnit"] = spec["unit"]
            if "when" in spec:
                repeat["when"] = [spec["when"]]
            return {"repeat": repeat, "code": {"text": frequency}}
    return {"code": {"text": frequency}}


def route_concept(route: str) -> Json:
    """SNOMED CT route for "oral"/"PO"/"by mouth"/a SNOMED code; free text otherwise."""
    routes: dict[str, list[str]] = _med_terms()["routes"]
    key = ROUTE_ALIASES.get(route.strip().lower(), route.strip().lower())
    if key in routes:
        code, display = routes[key]
        return {"coding": [{"system": SNOMED, "code": code, "display": display}], "text": route}
    for code, display in routes.values():
        if route.strip() == code:
            return {"coding": [{"system": SNOMED, "code": code, "display": display}]}
    return {"text": route}


def _quantity(value: float, unit: str) -> Json:
    return {"value": value, "unit": unit, "system": UCUM, "code": unit}


def _subject(patient: str) -> Json:
    return {"reference": f"Patient/{patient_ref(patient)}"}


def _check_iso(value: str | None, name: str) -> None:
    if value is None:
        return
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ToolError(
            f"{name} must be an ISO date-time, e.g. 2025-03-04T08:00:00+00:00",
            kind="invalid_arguments",
        ) from None
    if "T" in value and moment.tzinfo is None:
        raise ToolError(f"{name} needs a timezone, e.g. +00:00", kind="invalid_arguments")


@tool(writes=True, examples={"medication_code": ["1364445"], "frequency": ["twice daily"]})
def fhir_medication_request_create(
    patient: PatientId,
    medication_code: Annotated[str, Field(pattern=r"^[0-9]{1,10}$")],
    medication_display: str,
    dose_value: Positive,
    dose_unit: str,
    frequency: str,
    route: str = "oral",
    duration_days: Annotated[int, Field(ge=1, le=3650)] | None = None,
    dispense_quantity: Positive | None = None,
    dispense_unit: str | None = None,
    refills: Annotated[int, Field(ge=0, le=12)] = 0,
    reason: str | None = None,
    note: str | None = None,
    priority: Priority = "routine",
    now: datetime | None = None,
    fhir: Any = None,
) -> Json:
    """Order a medication (MedicationRequest, status active, intent order) for the patient.

    Args:
        patient: The patient id, e.g. "pat-0001".
        medication_code: RxNorm code of the drug, e.g. "1364445" (apixaban 5 MG Oral Tablet).
        medication_display: The drug's name, e.g. "apixaban 5 MG Oral Tablet".
        dose_value: Dose per administration, e.g. 5.
        dose_unit: Unit of the dose, e.g. "mg".
        frequency: How often, e.g. "twice daily", "BID", "once daily", "q8h".
        route: Route, e.g. "oral" (default), "subcutaneous", "intravenous", or a SNOMED code.
        duration_days: Length of the course in days (omit for long-term therapy).
        dispense_quantity: Quantity to dispense, e.g. 60.
        dispense_unit: Unit of the dispensed quantity, e.g. "tablet".
        refills: Number of refills (0-12).
        reason: Indication, e.g. "Atrial fibrillation".
        note: Note to the pharmacist or patient.
        priority: "routine", "urgent", "asap" or "stat".
    """
    dosage: Json = {
        "text": f"{dose_value:g} {dose_unit} {route} {frequency}",
        "timing": timing(frequency),
        "route": route_concept(route),
        "doseAndRate": [{"doseQuantity": _quantity(dose_value, dose_unit)}],
    }
    if duration_days is not None:
        dosage["timing"].setdefault("repeat", {})["boundsDuration"] = {
            "value": duration_days,
            "unit": "d",
            "system": UCUM,
            "code": "d",
        }
    body: Json = {
        "resourceType": "MedicationRequest",
        "status": "active",
        "intent": "order",
        "priority": priority,
        "medicationCodeableConcept": {
            "coding": [{"system": RXNORM, "code": medication_code, "display": medication_display}],
            "text": medication_display,
        },
        "subject": _subject(patient),
        "authoredOn": (now or datetime.now().astimezone()).isoformat(),
        "dosageInstruction": [dosage],
    }
    dispense: Json = {"numberOfRepeatsAllowed": refills}
    if dispense_quantity is not None:
        dispense["quantity"] = _quantity(dispense_quantity, dispense_unit or "{tbl}")
    if duration_days is not None:
        dispense["expectedSupplyDuration"] = {
            "value": duration_days,
            "unit": "d",
            "system": UCUM,
            "code": "d",
        }
    body["dispenseRequest"] = dispense
    if reason:
        body["reasonCode"] = [{"text": reason}]
    if note:
        body["note"] = [{"text": note}]
    return dict(episode(fhir).create(body))


@tool(writes=True, examples={"order_id": ["med-0001-000001"]})
def fhir_medication_request_discontinue(
    patient: PatientId,
    order_id: Annotated[str, Field(pattern=r"^(MedicationRequest/)?[A-Za-z0-9\-.]{1,64}$")],
    reason: str,
    fhir: Any = None,
) -> Json:
    """Discontinue one of the patient's active medication orders (status becomes "stopped").

    Args:
        patient: The patient id, e.g. "pat-0001".
        order_id: The MedicationRequest id, from fhir_medication_request_search_orders.
        reason: Why it is stopped, e.g. "Hyperkalemia (K 6.2 mmol/L)".
    """
    rid = order_id.split("/", 1)[-1]
    current = dict(episode(fhir).read("MedicationRequest", rid))
    owner = str((current.get("subject") or {}).get("reference", ""))
    if owner != f"Patient/{patient_ref(patient)}":
        raise ToolError(
            f"MedicationRequest/{rid} belongs to {owner or 'no patient'}, not "
            f"Patient/{patient_ref(patient)}; nothing was changed",
            kind="invalid_arguments",
        )
    if current.get("status") not in ("active", "on-hold", "draft"):
        raise ToolError(
            f"MedicationRequest/{rid} is {current.get('status')!r}, not active; nothing was changed",
            kind="invalid_arguments",
        )
    current.pop("meta", None)
    current["status"] = "stopped"
    current["statusReason"] = {"text": reason}
    return dict(episode(fhir).update("MedicationRequest", rid, current))


@tool(writes=True, examples={"recipient": ["prac-0011"]})
def fhir_communication_create_message(
    patient: PatientId,
    recipient: Annotated[str, Field(pattern=r"^(Practitioner/)?[A-Za-z0-9\-.]{1,64}$")],
    message: Annotated[str, Field(min_length=1, max_length=20_000)],
    topic: str | None = None,
    priority: Priority = "routine",
    now: datetime | None = None,
    fhir: Any = None,
) -> Json:
    """Send a message about the patient to a clinician (Communication), e.g. your e-consult reply.

    Args:
        patient: The patient id, e.g. "pat-0001".
        recipient: The clinician's Practitioner id, e.g. "prac-0011" (the requesting clinician).
        message: The message text.
        topic: Short subject line, e.g. "E-consult reply: anticoagulation".
        priority: "routine", "urgent", "asap" or "stat".
    """
    body: Json = {
        "resourceType": "Communication",
        "status": "completed",
        "priority": priority,
        "subject": _subject(patient),
        "recipient": [{"reference": f"Practitioner/{recipient.split('/', 1)[-1]}"}],
        "sent": (now or datetime.now().astimezone()).isoformat(),
        "payload": [{"contentString": message}],
    }
    if topic:
        body["topic"] = {"text": topic}
    return dict(episode(fhir).create(body))


@tool(writes=True, examples={"code": ["2160-0"], "code_system": ["loinc"]})
def fhir_service_request_create(
    patient: PatientId,
    code: Annotated[str, Field(pattern=r"^[0-9A-Za-z\-.]{1,20}$")],
    display: str,
    code_system: Literal["loinc", "snomed"] = "loinc",
    category: Literal["laboratory", "imaging", "referral", "other"] = "laboratory",
    occurrence: str | None = None,
    body_site: str | None = None,
    reason: str | None = None,
    note: str | None = None,
    priority: Priority = "routine",
    now: datetime | None = None,
    fhir: Any = None,
) -> Json:
    """Order a test, imaging study or referral (ServiceRequest, status active, intent order).

    Args:
        patient: The patient id, e.g. "pat-0001".
        code: LOINC code (tests) or SNOMED CT code (procedures, referrals), e.g. "2160-0".
        display: What is ordered, e.g. "Creatinine [Mass/volume] in Serum or Plasma".
        code_system: "loinc" (default) or "snomed".
        category: "laboratory", "imaging", "referral" or "other".
        occurrence: When it should happen, ISO date-time, e.g. "2025-03-11T08:00:00+00:00".
        body_site: Body site in words, e.g. "left kidney" (optional).
        reason: Why it is ordered, e.g. "CKD stage 4 monitoring".
        note: Further instructions (e.g. the specialty a referral is for).
        priority: "routine", "urgent", "asap" or "stat".
    """
    _check_iso(occurrence, "occurrence")
    system = LOINC if code_system == "loinc" else SNOMED
    body: Json = {
        "resourceType": "ServiceRequest",
        "status": "active",
        "intent": "order",
        "priority": priority,
        "code": {"coding": [{"system": system, "code": code, "display": display}], "text": display},
        "subject": _subject(patient),
        "authoredOn": (now or datetime.now().astimezone()).isoformat(),
    }
    if category in CATEGORIES:
        cat_code, cat_display = CATEGORIES[category]
        body["category"] = [
            {"coding": [{"system": SNOMED, "code": cat_code, "display": cat_display}]}
        ]
    if occurrence:
        body["occurrenceDateTime"] = occurrence
    if body_site:
        body["bodySite"] = [{"text": body_site}]
    if reason:
        body["reasonCode"] = [{"text": reason}]
    if note:
        body["note"] = [{"text": note}]
    return dict(episode(fhir).create(body))


@tool(writes=True, examples={"specialty": ["Nephrology"]})
def fhir_appointment_create(
    patient: PatientId,
    start: str,
    minutes: Annotated[int, Field(ge=5, le=480)] = 30,
    specialty: str | None = None,
    practitioner: Annotated[str, Field(pattern=r"^(Practitioner/)?[A-Za-z0-9\-.]{1,64}$")]
    | None = None,
    reason: str | None = None,
    description: str | None = None,
    fhir: Any = None,
) -> Json:
    """Book a (proposed) appointment for the patient, e.g. a specialist visit or follow-up.

    Args:
        patient: The patient id, e.g. "pat-0001".
        start: Start time, ISO date-time with timezone, e.g. "2025-03-18T09:00:00+00:00".
        minutes: Length in minutes (5-480).
        specialty: Clinic or specialty in words, e.g. "Nephrology".
        practitioner: Practitioner id of the clinician to see (optional).
        reason: Reason for the visit.
        description: Short description shown on the schedule.
    """
    _check_iso(start, "start")
    if "T" not in start:
        raise ToolError(
            "start must include a time, e.g. 2025-03-18T09:00:00+00:00", kind="invalid_arguments"
        )
    begin = datetime.fromisoformat(start.replace("Z", "+00:00"))
    end = begin.timestamp() + minutes * 60
    participants: list[Json] = [
        {"actor": {"reference": f"Patient/{patient_ref(patient)}"}, "status": "needs-action"}
    ]
    if practitioner:
        participants.append(
            {
                "actor": {"reference": f"Practitioner/{practitioner.split('/')[-1]}"},
                "status": "needs-action",
            }
        )
    body: Json = {
        "resourceType": "Appointment",
        "status": "proposed",
        "start": begin.isoformat(),
        "end": datetime.fromtimestamp(end, begin.tzinfo).isoformat(),
        "minutesDuration": minutes,
        "participant": participants,
    }
    if specialty:
        body["specialty"] = [{"text": specialty}]
    if reason:
        body["reasonCode"] = [{"text": reason}]
    if description:
        body["description"] = description
    return dict(episode(fhir).create(body))


__all__ = [
    "fhir_appointment_create",
    "fhir_medication_request_discontinue",
    "fhir_communication_create_message",
    "fhir_medication_request_create",
    "fhir_service_request_create",
    "route_concept",
    "timing",
]
