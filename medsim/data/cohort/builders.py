"""FHIR R4 resource constructors used by the generator.

Pure functions from already-decided facts (codes, values, dates, references) to FHIR JSON dicts.
They never draw random numbers and never look anything up, so the shapes live in one place and
every resource type is built the same way everywhere.
"""

from __future__ import annotations

import base64
from typing import Any

Json = dict[str, Any]

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
CVX = "http://hl7.org/fhir/sid/cvx"
UCUM = "http://unitsofmeasure.org"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
INTERPRETATION_DISPLAY = {
    "H": "High",
    "L": "Low",
    "N": "Normal",
    "HH": "Critical high",
    "LL": "Critical low",
}
COND_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
COND_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
COND_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CATEGORY_DISPLAY = {
    "problem-list-item": "Problem List Item",
    "encounter-diagnosis": "Encounter Diagnosis",
}


def coding(system: str, code: str, display: str) -> Json:
    """A Coding."""
    return {"system": system, "code": code, "display": display}


def concept(system: str, code: str, display: str, text: str | None = None) -> Json:
    """A CodeableConcept with one coding."""
    return {"coding": [coding(system, code, display)], "text": text or display}


def ref(resource_type: str, rid: str, display: str | None = None) -> Json:
    """A literal ``Type/id`` Reference."""
    out: Json = {"reference": f"{resource_type}/{rid}"}
    if display:
        out["display"] = display
    return out


def quantity(value: float, unit: str, display: str | None = None) -> Json:
    """A UCUM Quantity."""
    return {"value": value, "unit": display or unit, "system": UCUM, "code": unit}


def encounter(
    rid: str,
    patient: str,
    cls: list[str],
    etype: list[str],
    start: str,
    end: str,
    practitioner: Json,
    participant_type: list[str],
    location: Json,
    org: Json,
    reason: Json | None,
    extra: Json | None = None,
) -> Json:
    """A finished Encounter."""
    res: Json = {
        "resourceType": "Encounter",
        "id": rid,
        "status": "finished",
        "class": {
            "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
            "code": cls[0],
            "display": cls[1],
        },
        "type": [concept(SNOMED, etype[0], etype[1])],
        "subject": ref("Patient", patient),
        "participant": [
            {
                "type": [
                    {
                        "coding": [
                            coding(
                                "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                                participant_type[0],
                                participant_type[1],
                            )
                        ]
                    }
                ],
                "individual": practitioner,
                "period": {"start": start, "end": end},
            }
        ],
        "period": {"start": start, "end": end},
        "location": [{"location": location, "status": "completed"}],
        "serviceProvider": org,
    }
    if reason is not None:
        res["reasonCode"] = [reason]
    if extra:
        res.update(extra)
    return res


def condition(
    rid: str,
    patient: str,
    enc: str | None,
    entry: Json,
    category: str,
    onset: str,
    recorded: str,
    recorder: Json | None,
    clinical: str = "active",
    abatement: str | None = None,
) -> Json:
    """A confirmed Condition coded in SNOMED CT and ICD-10-CM."""
    res: Json = {
        "resourceType": "Condition",
        "id": rid,
        "clinicalStatus": {"coding": [coding(COND_CLINICAL, clinical, clinical.capitalize())]},
        "verificationStatus": {"coding": [coding(COND_VERIFICATION, "confirmed", "Confirmed")]},
        "category": [{"coding": [coding(COND_CATEGORY, category, CATEGORY_DISPLAY[category])]}],
        "code": {
            "coding": [coding(SNOMED, *entry["snomed"]), coding(ICD10, *entry["icd10"])],
            "text": entry["text"],
        },
        "subject": ref("Patient", patient),
        "onsetDateTime": onset,
        "recordedDate": recorded,
    }
    if enc:
        res["encounter"] = ref("Encounter", enc)
    if recorder:
        res["recorder"] = recorder
    if abatement:
        res["abatementDateTime"] = abatement
    return res


def category(code: str) -> list[Json]:
    """Observation.category for ``laboratory``, ``vital-signs``, ``survey``, ``social-history``."""
    display = {
        "laboratory": "Laboratory",
        "vital-signs": "Vital Signs",
        "survey": "Survey",
        "social-history": "Social History",
    }[code]
    return [{"coding": [coding(OBS_CATEGORY, code, display)], "text": display}]


def observation(
    rid: str, patient: str, enc: str, cat: str, code: Json, when: str, issued: str | None = None
) -> Json:
    """An Observation shell (value added by the caller)."""
    res: Json = {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "category": category(cat),
        "code": code,
        "subject": ref("Patient", patient),
        "encounter": ref("Encounter", enc),
        "effectiveDateTime": when,
    }
    if issued:
        res["issued"] = issued
    return res


def interpretation(flag: str) -> list[Json]:
    """Observation.interpretation with one v3 code (H, L, N, HH, LL)."""
    return [
        {
            "coding": [coding(INTERPRETATION, flag, INTERPRETATION_DISPLAY[flag])],
            "text": INTERPRETATION_DISPLAY[flag],
        }
    ]


def reference_range(low: float | None, high: float | None, unit: str, display: str) -> list[Json]:
    """Observation.referenceRange with UCUM bounds and a text form."""
    rr: Json = {}
    if low is not None:
        rr["low"] = quantity(low, unit, display)
    if high is not None:
        rr["high"] = quantity(high, unit, display)
    if low is not None and high is not None:
        rr["text"] = f"{low:g}-{high:g} {display}"
    elif low is not None:
        rr["text"] = f">={low:g} {display}"
    else:
        rr["text"] = f"<={high:g} {display}"
    return [rr]


def diagnostic_report(
    rid: str,
    patient: str,
    enc: str,
    code: Json,
    when: str,
    issued: str,
    results: list[str],
    performer: Json,
    conclusion: str | None,
) -> Json:
    """A final laboratory DiagnosticReport grouping ``results`` (Observation ids)."""
    res: Json = {
        "resourceType": "DiagnosticReport",
        "id": rid,
        "status": "final",
        "category": [
            {
                "coding": [
                    coding("http://terminology.hl7.org/CodeSystem/v2-0074", "LAB", "Laboratory")
                ]
            }
        ],
        "code": code,
        "subject": ref("Patient", patient),
        "encounter": ref("Encounter", enc),
        "effectiveDateTime": when,
        "issued": issued,
        "performer": [performer],
        "result": [ref("Observation", r) for r in results],
    }
    if conclusion:
        res["conclusion"] = conclusion
    return res


def medication_request(
    rid: str,
    patient: str,
    enc: str,
    med: Json,
    route: list[str],
    freq: Json,
    authored: str,
    requester: Json,
    status: str,
    cat: str,
    reason: Json | None,
    extra: Json | None = None,
) -> Json:
    """An order for ``med`` (an entry of medications.yaml) with text and structured dosage."""
    dose = med["dose"]
    repeat: Json = {
        "frequency": int(freq["frequency"]),
        "period": float(freq["period"]),
        "periodUnit": freq["unit"],
    }
    if "when" in freq:
        repeat["when"] = [freq["when"]]
    timing: Json = {"repeat": repeat}
    if "code" in freq:
        timing["code"] = {
            "coding": [
                coding(
                    "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation",
                    freq["code"],
                    freq["text"],
                )
            ],
            "text": freq["text"],
        }
    dosage: Json = {
        "sequence": 1,
        "text": med["sig"],
        "timing": timing,
        "asNeededBoolean": bool(freq.get("prn", False)),
        "route": concept(SNOMED, route[0], route[1]),
        "doseAndRate": [
            {
                "type": {
                    "coding": [
                        coding(
                            "http://terminology.hl7.org/CodeSystem/dose-rate-type",
                            "ordered",
                            "Ordered",
                        )
                    ]
                },
                "doseQuantity": quantity(
                    float(dose[0]), dose[1], dose[2] if len(dose) > 2 else None
                ),
            }
        ],
    }
    res: Json = {
        "resourceType": "MedicationRequest",
        "id": rid,
        "status": status,
        "intent": "order",
        "category": [
            {
                "coding": [
                    coding(
                        "http://terminology.hl7.org/CodeSystem/medicationrequest-category",
                        cat,
                        cat.capitalize(),
                    )
                ]
            }
        ],
        "medicationCodeableConcept": concept(RXNORM, med["rxnorm"], med["display"]),
        "subject": ref("Patient", patient),
        "encounter": ref("Encounter", enc),
        "authoredOn": authored,
        "requester": requester,
        "dosageInstruction": [dosage],
    }
    if reason is not None:
        res["reasonReference"] = [reason]
    if extra:
        res.update(extra)
    return res


def procedure(
    rid: str,
    patient: str,
    enc: str,
    entry: Json,
    start: str,
    end: str,
    performer: Json,
    reason: Json | None,
) -> Json:
    """A completed Procedure (SNOMED CT)."""
    res: Json = {
        "resourceType": "Procedure",
        "id": rid,
        "status": "completed",
        "code": concept(SNOMED, entry["snomed"][0], entry["snomed"][1], entry["text"]),
        "subject": ref("Patient", patient),
        "encounter": ref("Encounter", enc),
        "performedPeriod": {"start": start, "end": end},
        "performer": [{"actor": performer}],
    }
    if reason is not None:
        res["reasonReference"] = [reason]
    return res


def immunization(
    rid: str,
    patient: str,
    enc: str,
    cvx: list[str],
    when: str,
    lot: str,
    route: list[str],
    site: list[str],
    dose_ml: float,
    performer: Json,
) -> Json:
    """A completed Immunization (CVX)."""
    return {
        "resourceType": "Immunization",
        "id": rid,
        "status": "completed",
        "vaccineCode": concept(CVX, cvx[0], cvx[1]),
        "patient": ref("Patient", patient),
        "encounter": ref("Encounter", enc),
        "occurrenceDateTime": when,
        "recorded": when,
        "primarySource": True,
        "lotNumber": lot,
        "site": concept("http://terminology.hl7.org/CodeSystem/v3-ActSite", site[0], site[1]),
        "route": concept(
            "http://terminology.hl7.org/CodeSystem/v3-RouteOfAdministration", route[0], route[1]
        ),
        "doseQuantity": quantity(dose_ml, "mL"),
        "performer": [{"actor": performer}],
    }


def document_reference(
    rid: str,
    patient: str,
    enc: str,
    doc_type: Json,
    category_code: list[str],
    when: str,
    author: Json,
    custodian: Json,
    title: str,
    text: str,
    period: tuple[str, str],
) -> Json:
    """A current clinical note with its text as a base64 text/plain attachment."""
    return {
        "resourceType": "DocumentReference",
        "id": rid,
        "status": "current",
        "docStatus": "final",
        "type": concept(LOINC, doc_type["loinc"], doc_type["display"]),
        "category": [
            {
                "coding": [
                    coding(
                        "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category",
                        category_code[0],
                        category_code[1],
                    )
                ]
            }
        ],
        "subject": ref("Patient", patient),
        "date": when,
        "author": [author],
        "custodian": custodian,
        "description": title,
        "content": [
            {
                "attachment": {
                    "contentType": "text/plain; charset=utf-8",
                    "language": "en-US",
                    "data": base64.b64encode(text.encode("utf-8")).decode("ascii"),
                    "title": title,
                    "creation": when,
                }
            }
        ],
        "context": {
            "encounter": [ref("Encounter", enc)],
            "period": {"start": period[0], "end": period[1]},
        },
    }
