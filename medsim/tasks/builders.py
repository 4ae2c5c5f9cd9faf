"""FHIR resource builders for scenario templates: ``lab('creatinine', 1.62, '@now-P2D')``.

A template's overlay places findings in a cohort patient's record. Writing every Observation by
hand repeats codes, units and categories the cohort's terminology already holds, so templates call
these builders (Jinja globals in :mod:`medsim.tasks.templates`); each returns a resource as
**one line of JSON** (valid YAML flow), to be written as a list item: ``- {{ lab(...) }}``.

Codes come from the terminology files (labs.yaml, vitals.yaml, conditions.yaml,
medications.yaml, encounters.yaml, notes.yaml): a builder given an unknown key fails with the
known keys listed, so a template cannot invent a code through them. Times are overlay relative
times (``@now-P90D``); ``@patient`` is the task's patient.
"""

from __future__ import annotations

import base64
import json
from functools import cache
from importlib import resources
from typing import Any

from medsim.yamlload import safe_load

Json = dict[str, Any]
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
UCUM = "http://unitsofmeasure.org"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
PATIENT = {"reference": "@patient"}


class BuilderError(ValueError):
    """A builder was given a key the terminology does not define, or a bad value."""


@cache
def _terms(name: str) -> Any:
    text = resources.files("medsim.data.terminology").joinpath(name).read_text(encoding="utf-8")
    return safe_load(text)


def _entry(table: dict[str, Any], key: str, what: str) -> Any:
    if key not in table:
        raise BuilderError(f"unknown {what} {key!r}; known: {', '.join(sorted(table))}")
    return table[key]


def _dump(resource: Json) -> str:
    return json.dumps(resource, ensure_ascii=False, separators=(", ", ": "))


def _ref(kind: str, rid: str | None) -> Json | None:
    return {"reference": f"{kind}/{rid}"} if rid else None


def _category(code: str, display: str) -> list[Json]:
    return [{"coding": [{"system": OBS_CATEGORY, "code": code, "display": display}]}]


def _with(resource: Json, **extra: Any) -> Json:
    resource.update({k: v for k, v in extra.items() if v is not None})
    return resource


def _measurement(category: tuple[str, str], spec: Json, text: str, value: float, when: str) -> Json:
    """A final Observation with a UCUM quantity for a labs.yaml / vitals.yaml entry."""
    unit = str(spec["unit"])
    return {
        "resourceType": "Observation",
        "status": "final",
        "category": _category(*category),
        "code": {
            "coding": [{"system": LOINC, "code": str(spec["loinc"]), "display": spec["display"]}],
            "text": text,
        },
        "subject": PATIENT,
        "effectiveDateTime": when,
        "valueQuantity": {
            "value": value,
            "unit": spec.get("unit_display", unit),
            "system": UCUM,
            "code": unit,
        },
    }


def lab(
    key: str,
    value: float,
    when: str,
    encounter: str | None = None,
    id: str | None = None,
    interpretation: str | None = None,
) -> str:
    """A final laboratory Observation for a labs.yaml key (``creatinine``, ``egfr`` ...) or one
    of the extra labs of lookup.yaml (``ferritin`` ...)."""
    table = {**(_terms("lookup.yaml").get("labs") or {}), **_terms("labs.yaml")["labs"]}
    spec = _entry(table, key, "lab")
    res = _measurement(("laboratory", "Laboratory"), spec, str(spec["short"]), value, when)
    res["issued"] = when
    if interpretation:
        system = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
        res["interpretation"] = [{"coding": [{"system": system, "code": interpretation}]}]
    return _dump(_with(res, id=id, encounter=_ref("Encounter", encounter)))


def vital(
    key: str, value: float, when: str, encounter: str | None = None, id: str | None = None
) -> str:
    """A vital-signs Observation for a vitals.yaml key (``body_weight``, ``heart_rate`` ...)."""
    spec = _entry(_terms("vitals.yaml")["vitals"], key, "vital sign")
    if "components" in spec:
        raise BuilderError(f"{key} has components; use blood_pressure(sbp, dbp, when)")
    res = _measurement(("vital-signs", "Vital Signs"), spec, str(spec["display"]), value, when)
    return _dump(_with(res, id=id, encounter=_ref("Encounter", encounter)))


def blood_pressure(
    sbp: float, dbp: float, when: str, encounter: str | None = None, id: str | None = None
) -> str:
    """A blood-pressure panel Observation (85354-9 with systolic/diastolic components)."""
    spec = _terms("vitals.yaml")["vitals"]["blood_pressure"]
    comps = []
    for comp, value in zip(spec["components"], (sbp, dbp), strict=True):
        comps.append(
            {
                "code": {
                    "coding": [
                        {"system": LOINC, "code": str(comp["loinc"]), "display": comp["display"]}
                    ]
                },
                "valueQuantity": {"value": value, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"},
            }
        )
    res: Json = {
        "resourceType": "Observation",
        "status": "final",
        "category": _category("vital-signs", "Vital Signs"),
        "code": {
            "coding": [{"system": LOINC, "code": str(spec["loinc"]), "display": spec["display"]}],
            "text": "Blood pressure",
        },
        "subject": PATIENT,
        "effectiveDateTime": when,
        "component": comps,
    }
    return _dump(_with(res, id=id, encounter=_ref("Encounter", encounter)))


def condition(
    key: str,
    onset: str,
    status: str = "active",
    encounter: str | None = None,
    id: str | None = None,
) -> str:
    """A problem-list Condition for a conditions.yaml key (SNOMED CT + ICD-10-CM codings)."""
    spec = _entry(
        {k: v for k, v in _terms("conditions.yaml").items() if isinstance(v, dict)},
        key,
        "condition",
    )
    codings = [{"system": SNOMED, "code": str(spec["snomed"][0]), "display": spec["snomed"][1]}]
    if spec.get("icd10"):
        codings.append(
            {"system": ICD10, "code": str(spec["icd10"][0]), "display": spec["icd10"][1]}
        )
    res: Json = {
        "resourceType": "Condition",
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": status,
                }
            ]
        },
        "verificationStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                    "code": "confirmed",
                }
            ]
        },
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/condition-category",
                        "code": "problem-list-item",
                        "display": "Problem List Item",
                    }
                ]
            }
        ],
        "code": {"coding": codings, "text": spec["text"]},
        "subject": PATIENT,
        "onsetDateTime": onset,
        "recordedDate": onset,
    }
    return _dump(_with(res, id=id, encounter=_ref("Encounter", encounter)))


def medication(
    key: str,
    authored: str,
    status: str = "active",
    id: str | None = None,
    encounter: str | None = None,
) -> str:
    """A MedicationRequest for a medications.yaml key, with its usual sig."""
    terms = _terms("medications.yaml")
    spec = _entry(terms["medications"], key, "medication")
    route_code, route_display = terms["routes"][spec["route"]]
    freq = terms["frequencies"][spec["frequency"]]
    dose_value, dose_unit = spec["dose"]
    res: Json = {
        "resourceType": "MedicationRequest",
        "status": status,
        "intent": "order",
        "medicationCodeableConcept": {
            "coding": [{"system": RXNORM, "code": str(spec["rxnorm"]), "display": spec["display"]}],
            "text": spec["display"],
        },
        "subject": PATIENT,
        "authoredOn": authored,
        "dosageInstruction": [
            {
                "text": spec["sig"],
                "timing": {
                    "repeat": {
                        "frequency": freq["frequency"],
                        "period": freq["period"],
                        "periodUnit": freq["unit"],
                    }
                },
                "route": {
                    "coding": [{"system": SNOMED, "code": route_code, "display": route_display}]
                },
                "doseAndRate": [
                    {
                        "doseQuantity": {
                            "value": dose_value,
                            "unit": dose_unit,
                            "system": UCUM,
                            "code": dose_unit,
                        }
                    }
                ],
            }
        ],
    }
    return _dump(_with(res, id=id, encounter=_ref("Encounter", encounter)))


def procedure(
    key: str,
    when: str,
    encounter: str | None = None,
    id: str | None = None,
    outcome: str | None = None,
) -> str:
    """A completed Procedure for a procedures.yaml key (``ecg``, ``echo``, ``colonoscopy`` ...)."""
    spec = _entry(_terms("procedures.yaml")["procedures"], key, "procedure")
    res: Json = {
        "resourceType": "Procedure",
        "status": "completed",
        "code": {
            "coding": [
                {"system": SNOMED, "code": str(spec["snomed"][0]), "display": spec["snomed"][1]}
            ],
            "text": spec["text"],
        },
        "subject": PATIENT,
        "performedDateTime": when,
    }
    if outcome:
        res["outcome"] = {"text": outcome}
    return _dump(_with(res, id=id, encounter=_ref("Encounter", encounter)))


def allergy(key: str, recorded: str, id: str | None = None) -> str:
    """An active, confirmed AllergyIntolerance for an allergies.yaml key (``sulfonamide`` ...)."""
    spec = _entry(_terms("allergies.yaml")["allergies"], key, "allergy")
    system, code, display = spec["code"]
    res: Json = {
        "resourceType": "AllergyIntolerance",
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
                    "code": "active",
                }
            ]
        },
        "verificationStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification",
                    "code": "confirmed",
                }
            ]
        },
        "type": spec.get("type", "allergy"),
        "category": [spec.get("category", "medication")],
        "criticality": spec.get("criticality", "low"),
        "code": {
            "coding": [{"system": system, "code": str(code), "display": display}],
            "text": spec.get("text", display),
        },
        "patient": PATIENT,
        "recordedDate": recorded,
    }
    reactions = [
        {
            "manifestation": [{"coding": [{"system": SNOMED, "code": str(r[0]), "display": r[1]}]}],
            "severity": r[2],
        }
        for r in spec.get("reactions") or []
    ]
    if reactions:
        res["reaction"] = reactions[:1]
    return _dump(_with(res, id=id))


def encounter(
    id: str,
    kind: str,
    start: str,
    end: str | None = None,
    practitioner: str | None = None,
    reason: str | None = None,
) -> str:
    """An Encounter of an encounters.yaml kind (``followup``, ``emergency``, ``specialist`` ...)."""
    spec = _entry(_terms("encounters.yaml")["kinds"], kind, "encounter kind")
    res: Json = {
        "resourceType": "Encounter",
        "id": id,
        "status": "finished",
        "class": {
            "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
            "code": spec["class"][0],
            "display": spec["class"][1],
        },
        "type": [
            {
                "coding": [{"system": SNOMED, "code": spec["type"][0], "display": spec["type"][1]}],
                "text": spec["label"],
            }
        ],
        "subject": PATIENT,
        "period": {"start": start, "end": end or start},
    }
    if practitioner:
        res["participant"] = [{"individual": {"reference": f"Practitioner/{practitioner}"}}]
    if reason:
        res["reasonCode"] = [{"text": reason}]
    return _dump(res)


def note(
    kind: str,
    when: str,
    text: str,
    author: str | None = None,
    encounter: str | None = None,
    id: str | None = None,
    title: str | None = None,
) -> str:
    """A clinical note (DocumentReference, a notes.yaml document kind) with ``text`` attached
    as base64 text/plain, the way the cohort's notes are stored."""
    spec = _entry(_terms("notes.yaml")["documents"], kind, "note kind")
    cat_code, cat_display = _terms("notes.yaml")["category"]
    res: Json = {
        "resourceType": "DocumentReference",
        "status": "current",
        "docStatus": "final",
        "type": {
            "coding": [{"system": LOINC, "code": str(spec["loinc"]), "display": spec["display"]}],
            "text": spec["display"],
        },
        "category": [
            {
                "coding": [
                    {
                        "system": "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category",
                        "code": cat_code,
                        "display": cat_display,
                    }
                ]
            }
        ],
        "subject": PATIENT,
        "date": when,
        "description": title or spec["title"],
        "content": [
            {
                "attachment": {
                    "contentType": "text/plain; charset=utf-8",
                    "data": base64.b64encode(text.strip().encode("utf-8")).decode("ascii"),
                }
            }
        ],
    }
    if author:
        res["author"] = [{"reference": f"Practitioner/{author}"}]
    if encounter:
        res["context"] = {"encounter": [{"reference": f"Encounter/{encounter}"}]}
    return _dump(_with(res, id=id))


#: The builders templates can call (Jinja globals).
BUILDERS = {
    "lab": lab,
    "vital": vital,
    "blood_pressure": blood_pressure,
    "condition": condition,
    "medication": medication,
    "procedure": procedure,
    "allergy": allergy,
    "encounter": encounter,
    "note": note,
}

__all__ = ["BUILDERS", "BuilderError"]
