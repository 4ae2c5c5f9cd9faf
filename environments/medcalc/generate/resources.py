"""FHIR R4 resource templates for MedCalc-EHR-v0 overlays, in the synthetic cohort's style
(relative dates such as ``@now-PT3H``, ``@patient`` references; see medsim.data.overlay)."""

from __future__ import annotations

from typing import Any

OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
COND_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
COND_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
COND_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
UCUM = "http://unitsofmeasure.org"
_CATEGORY_DISPLAY = {
    "laboratory": "Laboratory",
    "vital-signs": "Vital Signs",
    "procedure": "Procedure",
}
_CONDITION_CATEGORY = {
    "problem-list-item": "Problem List Item",
    "encounter-diagnosis": "Encounter Diagnosis",
}


def quantity(value: float | int, unit: str, ucum: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": UCUM, "code": ucum}


def _category(code: str) -> list[dict[str, Any]]:
    return [
        {
            "coding": [{"system": OBS_CATEGORY, "code": code, "display": _CATEGORY_DISPLAY[code]}],
            "text": _CATEGORY_DISPLAY[code],
        }
    ]


def observation(
    concept: dict[str, Any], loinc_system: str, value: Any, unit: str, ucum: str, when: str
) -> dict[str, Any]:
    """One Observation with a valueQuantity."""
    return {
        "resourceType": "Observation",
        "status": "final",
        "category": _category(concept["category"]),
        "code": {
            "coding": [
                {"system": loinc_system, "code": concept["loinc"], "display": concept["display"]}
            ],
            "text": concept["text"],
        },
        "subject": {"reference": "@patient"},
        "effectiveDateTime": when,
        "valueQuantity": quantity(value, unit, ucum),
    }


def panel(
    panel_concept: dict[str, Any],
    loinc_system: str,
    components: list[tuple[dict[str, Any], Any]],
    when: str,
) -> dict[str, Any]:
    """A panel Observation (blood pressure) with one component per (concept, value)."""
    return {
        "resourceType": "Observation",
        "status": "final",
        "category": _category(panel_concept["category"]),
        "code": {
            "coding": [
                {
                    "system": loinc_system,
                    "code": panel_concept["loinc"],
                    "display": panel_concept["display"],
                }
            ],
            "text": panel_concept["text"],
        },
        "subject": {"reference": "@patient"},
        "effectiveDateTime": when,
        "component": [
            {
                "code": {
                    "coding": [
                        {"system": loinc_system, "code": c["loinc"], "display": c["display"]}
                    ],
                    "text": c["text"],
                },
                "valueQuantity": quantity(value, c["unit"], c["ucum"]),
            }
            for c, value in components
        ],
    }


def condition(
    concept: dict[str, Any],
    systems: dict[str, str],
    onset: str,
    status: str = "active",
    category: str = "problem-list-item",
) -> dict[str, Any]:
    """One confirmed Condition coded in SNOMED CT and ICD-10-CM."""
    return {
        "resourceType": "Condition",
        "clinicalStatus": {"coding": [{"system": COND_CLINICAL, "code": status}]},
        "verificationStatus": {"coding": [{"system": COND_VERIFICATION, "code": "confirmed"}]},
        "category": [
            {
                "coding": [
                    {
                        "system": COND_CATEGORY,
                        "code": category,
                        "display": _CONDITION_CATEGORY[category],
                    }
                ]
            }
        ],
        "code": {
            "coding": [
                {
                    "system": systems["snomed"],
                    "code": concept["snomed"],
                    "display": concept["display"],
                },
                {
                    "system": systems["icd10"],
                    "code": concept["icd10"],
                    "display": concept["icd10_display"],
                },
            ],
            "text": concept["text"],
        },
        "subject": {"reference": "@patient"},
        "onsetDateTime": onset,
        "recordedDate": onset,
    }


def medication_request(concept: dict[str, Any], rxnorm: str, authored: str) -> dict[str, Any]:
    """An active outpatient MedicationRequest."""
    return {
        "resourceType": "MedicationRequest",
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": {
            "coding": [
                {"system": rxnorm, "code": concept["rxnorm"], "display": concept["display"]}
            ],
            "text": concept["display"],
        },
        "subject": {"reference": "@patient"},
        "authoredOn": authored,
        "dosageInstruction": [{"text": concept["dose"]}],
    }
