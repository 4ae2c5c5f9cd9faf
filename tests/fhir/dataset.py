"""A small deterministic FHIR dataset for the backend behaviour suite (no external data)."""

from __future__ import annotations

import random
from typing import Any

LOINC = "http://loinc.org"
CODES = {
    "2823-3": ("Potassium", "mmol/L", 3.0, 5.5),
    "2951-2": ("Sodium", "mmol/L", 128, 150),
    "4548-4": ("Hemoglobin A1c", "%", 5.0, 11.0),
    "2160-0": ("Creatinine", "mg/dL", 0.5, 3.0),
}
FAMILIES = ["Smith", "Søren", "García", "O'Brien", "Nguyen", "Smithson"]
GIVEN = ["John", "Ana", "José", "Li", "Mary", "Jo"]


def _date(rng: random.Random) -> str:
    y, m, d = rng.randint(2019, 2024), rng.randint(1, 12), rng.randint(1, 28)
    form = rng.random()
    if form < 0.1:
        return f"{y}-{m:02d}-{d:02d}"
    if form < 0.15:
        return f"{y}-{m:02d}"
    tz = rng.choice(["Z", "+00:00", "-05:00", "+09:30"])
    return f"{y}-{m:02d}-{d:02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}{tz}"


def build(seed: int = 7, patients: int = 6, obs_per_patient: int = 40) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out: list[dict[str, Any]] = [
        {
            "resourceType": "Practitioner",
            "id": "prac-1",
            "name": [{"family": "House", "given": ["Greg"]}],
        }
    ]
    for i in range(patients):
        pid = f"pat-{i + 1}"
        out.append(
            {
                "resourceType": "Patient",
                "id": pid,
                "gender": rng.choice(["male", "female"]),
                "birthDate": f"{rng.randint(1930, 2000)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                "name": [{"family": FAMILIES[i % len(FAMILIES)], "given": [GIVEN[i % len(GIVEN)]]}],
                "identifier": [{"system": "urn:mrn", "value": f"MRN{1000 + i}"}],
                "generalPractitioner": [{"reference": "Practitioner/prac-1"}],
            }
        )
        for j in range(obs_per_patient):
            code = rng.choice(sorted(CODES))
            name, unit, lo, hi = CODES[code]
            obs: dict[str, Any] = {
                "resourceType": "Observation",
                "id": f"obs-{i + 1}-{j}",
                "status": rng.choice(["final", "final", "amended", "preliminary"]),
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
                    "coding": [{"system": LOINC, "code": code, "display": name}],
                    "text": name,
                },
                "subject": {"reference": f"Patient/{pid}"},
                "valueQuantity": {
                    "value": round(rng.uniform(lo, hi), 1),
                    "unit": unit,
                    "system": "http://unitsofmeasure.org",
                    "code": unit,
                },
            }
            if rng.random() < 0.15:
                start = _date(rng)
                obs["effectivePeriod"] = (
                    {"start": start} if rng.random() < 0.5 else {"start": start, "end": start}
                )
            else:
                obs["effectiveDateTime"] = _date(rng)
            out.append(obs)
        out.append(
            {
                "resourceType": "Condition",
                "id": f"cond-{i + 1}",
                "clinicalStatus": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                            "code": "active",
                        }
                    ]
                },
                "category": [
                    {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/condition-category",
                                "code": "problem-list-item",
                            }
                        ]
                    }
                ],
                "code": {
                    "coding": [
                        {
                            "system": "http://snomed.info/sct",
                            "code": "38341003",
                            "display": "Hypertensive disorder",
                        },
                        {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "I10"},
                    ]
                },
                "subject": {"reference": f"Patient/{pid}"},
                "onsetDateTime": _date(rng),
            }
        )
    return out
