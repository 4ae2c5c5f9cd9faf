"""The reference solution's payloads: R4-valid FHIR bodies with MedAgentBench's codes and
fields (IV magnesium NDC 0338-1715-40, oral potassium NDC 40032-917-01, serum potassium LOINC
2823-3, HbA1c LOINC 4548-4, orthopedic referral SNOMED CT 306181000000106, flowsheet BP)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from medsim.environments.medagentbench.chart import suite_now

Json = dict[str, Any]


class Payloads:
    """Payload builders for one patient (``mrn``) at the suite's "now"."""

    mrn: str
    now: str

    def subject(self, mrn: str | None = None) -> Json:
        return {"reference": f"Patient/{mrn or self.mrn}"}

    # -- payloads (R4-valid; the reference solution) -------------------------------------------
    def bp_obs(self, bp: str, mrn: str | None = None) -> Json:
        return {
            "resourceType": "Observation",
            "category": [
                {
                    "coding": [
                        {
                            "system": "http://hl7.org/fhir/observation-category",
                            "code": "vital-signs",
                            "display": "Vital Signs",
                        }
                    ]
                }
            ],
            "code": {"text": "BP"},
            "effectiveDateTime": self.now,
            "status": "final",
            "valueString": bp,
            "subject": self.subject(mrn),
        }

    def med(self, ndc: str, display: str, route: str, dose: Json, rate: Json | None) -> Json:
        dose_rate: Json = {"doseQuantity": dose}
        if rate is not None:
            dose_rate["rateQuantity"] = rate
        return {
            "resourceType": "MedicationRequest",
            "medicationCodeableConcept": {
                "coding": [
                    {"system": "http://hl7.org/fhir/sid/ndc", "code": ndc, "display": display}
                ],
                "text": display,
            },
            "authoredOn": self.now,
            "dosageInstruction": [{"route": {"text": route}, "doseAndRate": [dose_rate]}],
            "status": "active",
            "intent": "order",
            "subject": self.subject(),
        }

    def mg_order(self, grams: float, hours: float) -> Json:
        return self.med(
            "0338-1715-40",
            "magnesium sulfate in water for injection",
            "IV",
            {"value": grams, "unit": "g"},
            {"value": hours, "unit": "h"},
        )

    def k_order(self, meq: float) -> Json:
        return self.med(
            "40032-917-01", "potassium chloride oral", "oral", {"value": meq, "unit": "mEq"}, None
        )

    def service(self, system: str, code: str, display: str, **extra: Any) -> Json:
        return {
            "resourceType": "ServiceRequest",
            "code": {"coding": [{"system": system, "code": code, "display": display}]},
            "authoredOn": self.now,
            "status": "active",
            "intent": "order",
            "priority": "stat",
            "subject": self.subject(),
            **extra,
        }

    def k_lab(self) -> Json:
        tomorrow = (suite_now() + timedelta(days=1)).date().isoformat()
        return self.service(
            "http://loinc.org",
            "2823-3",
            "Potassium [Moles/volume] in Serum or Plasma",
            occurrenceDateTime=f"{tomorrow}T08:00:00+00:00",
        )

    def a1c_lab(self) -> Json:
        return self.service(
            "http://loinc.org", "4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood"
        )

    # -- tasks -----------------------------------------------------------------------------------
