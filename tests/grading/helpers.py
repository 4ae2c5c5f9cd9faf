"""Test helpers: a small real chart, tasks, and an episode driver that records like the env.

Codes are real: LOINC 2823-3 potassium, 19123-9 magnesium, 4548-4 HbA1c, 2160-0 creatinine;
RxNorm 308192 amoxicillin 500 MG Oral Tablet, 314076 lisinopril 10 MG Oral Tablet, 1364445
apixaban 5 MG Oral Tablet, 7980 penicillin G; SNOMED CT 26643006 oral route, 47625008 IV route,
433144002 chronic kidney disease stage 3; ICD-10-CM N18.31.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from medsim.calculators import compute
from medsim.fhir import EmbeddedBackend, FhirEpisode
from medsim.grading.record import EpisodeRecord, ToolCall
from medsim.tasks.schema import Task

P = "pat-1"
OTHER = "pat-2"
NOW = "2024-03-14T09:00:00+00:00"
LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED = "http://snomed.info/sct"
ORAL = {"coding": [{"system": SNOMED, "code": "26643006", "display": "Oral route"}]}
IV = {"coding": [{"system": SNOMED, "code": "47625008", "display": "Intravenous route"}]}


def _obs(
    oid: str, patient: str, code: str, display: str, value: float, unit: str, when: str
) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": oid,
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
        "code": {"coding": [{"system": LOINC, "code": code, "display": display}]},
        "subject": {"reference": f"Patient/{patient}"},
        "effectiveDateTime": when,
        "valueQuantity": {
            "value": value,
            "unit": unit,
            "system": "http://unitsofmeasure.org",
            "code": unit,
        },
    }


def chart_resources() -> list[dict[str, Any]]:
    """pat-1: 60-ish woman with low potassium, CKD 3, penicillin allergy, on lisinopril."""
    k, mg, a1c, cr = "2823-3", "19123-9", "4548-4", "2160-0"
    return [
        {"resourceType": "Patient", "id": P, "gender": "female", "birthDate": "1961-09-20"},
        {"resourceType": "Patient", "id": OTHER, "gender": "male", "birthDate": "1950-01-01"},
        _obs("k-old", P, k, "Potassium", 3.9, "mmol/L", "2024-01-10T08:00:00+00:00"),
        _obs("k-new", P, k, "Potassium", 3.1, "mmol/L", "2024-03-13T07:30:00+00:00"),
        _obs("k-future", P, k, "Potassium", 4.4, "mmol/L", "2024-03-20T07:30:00+00:00"),
        _obs("mg-1", P, mg, "Magnesium", 1.6, "mg/dL", "2024-03-14T06:00:00+00:00"),
        _obs("mg-2", P, mg, "Magnesium", 1.8, "mg/dL", "2024-03-13T20:00:00+00:00"),
        _obs("a1c-1", P, a1c, "Hemoglobin A1c", 7.9, "%", "2022-06-01T08:00:00+00:00"),
        _obs("cr-1", P, cr, "Creatinine", 1.4, "mg/dL", "2024-03-13T07:30:00+00:00"),
        _obs("k-other", OTHER, k, "Potassium", 5.0, "mmol/L", "2024-03-13T07:30:00+00:00"),
        {
            "resourceType": "AllergyIntolerance",
            "id": "alg-1",
            "patient": {"reference": f"Patient/{P}"},
            "clinicalStatus": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
                        "code": "active",
                    }
                ]
            },
            "code": {
                "coding": [{"system": RXNORM, "code": "7980", "display": "penicillin G"}],
                "text": "Penicillin",
            },
        },
        {
            "resourceType": "Condition",
            "id": "cond-1",
            "subject": {"reference": f"Patient/{P}"},
            "clinicalStatus": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                        "code": "active",
                    }
                ]
            },
            "code": {
                "coding": [
                    {
                        "system": SNOMED,
                        "code": "433144002",
                        "display": "Chronic kidney disease stage 3 (disorder)",
                    },
                    {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "N18.31"},
                ]
            },
        },
        {
            "resourceType": "MedicationRequest",
            "id": "med-1",
            "status": "active",
            "intent": "order",
            "subject": {"reference": f"Patient/{P}"},
            "authoredOn": "2023-01-05",
            "medicationCodeableConcept": {
                "coding": [
                    {"system": RXNORM, "code": "314076", "display": "lisinopril 10 MG Oral Tablet"}
                ]
            },
        },
    ]


def backend() -> EmbeddedBackend:
    b = EmbeddedBackend()
    b.load(chart_resources())
    return b


def make_task(checkpoints: list[dict[str, Any]], **extra: Any) -> Task:
    data: dict[str, Any] = {
        "id": "t-1",
        "suite": "test",
        "specialty": "internal_medicine",
        "workflow": "action",
        "patient": P,
        "now": NOW,
        "instruction": "Do the thing.",
        "tools": ["fhir_search"],
        "checkpoints": checkpoints,
        "reference_solution": ["FINISH([])"],
    }
    data.update(extra)
    return Task.model_validate(data)


def cp(cid: str, grader: str, **params: Any) -> dict[str, Any]:
    """A checkpoint spec; ``gate`` and ``weight`` are taken out of the grader params."""
    gate = bool(params.pop("gate", False))
    weight = float(params.pop("weight", 1.0))
    return {"id": cid, "grader": grader, "params": params, "gate": gate, "weight": weight}


def medication_request(
    code: str = "308192",
    display: str = "amoxicillin 500 MG Oral Tablet",
    dose: float = 500,
    unit: str = "mg",
    route: Any = ORAL,
    per_day: int = 3,
    patient: str = P,
    status: str = "active",
    authored: str | None = NOW,
    text: str = "500 mg by mouth three times daily",
) -> dict[str, Any]:
    res: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "status": status,
        "intent": "order",
        "subject": {"reference": f"Patient/{patient}"},
        "medicationCodeableConcept": {
            "coding": [{"system": RXNORM, "code": code, "display": display}]
        },
        "dosageInstruction": [
            {
                "text": text,
                "route": route,
                "timing": {"repeat": {"frequency": per_day, "period": 1, "periodUnit": "d"}},
                "doseAndRate": [{"doseQuantity": {"value": dose, "unit": unit}}],
            }
        ],
    }
    if authored is not None:
        res["authoredOn"] = authored
    return res


def service_request(
    code: str = "2823-3",
    display: str = "Potassium",
    patient: str = P,
    occurrence: str | None = "2024-03-15T08:00:00+00:00",
    **extra: Any,
) -> dict[str, Any]:
    res: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "status": "active",
        "intent": "order",
        "priority": "stat",
        "subject": {"reference": f"Patient/{patient}"},
        "authoredOn": NOW,
        "code": {"coding": [{"system": LOINC, "code": code, "display": display}]},
    }
    if occurrence:
        res["occurrenceDateTime"] = occurrence
    res.update(extra)
    return res


class Driver:
    """Acts on a real FHIR episode and records each call the way the env does."""

    def __init__(self, task: Task, episode: FhirEpisode) -> None:
        self.task = task
        self.episode = episode
        self.record = EpisodeRecord(
            task_id=task.id, suite=task.suite, task=task.model_dump(mode="json")
        )

    def _call(
        self,
        name: str,
        arguments: dict[str, Any],
        result: Any,
        seqs: list[int],
        error: str | None = None,
    ) -> Any:
        self.record.steps += 1
        self.record.tool_calls.append(
            ToolCall(
                step=self.record.steps,
                name=name,
                arguments=arguments,
                result=result,
                error=error,
                write_seqs=seqs,
            )
        )
        self.record.messages.append(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": f"c{self.record.steps}",
                        "type": "function",
                        "function": {"name": name, "arguments": str(arguments)},
                    }
                ],
            }
        )
        return result

    def search(self, resource_type: str, **params: str) -> Any:
        bundle = self.episode.search(resource_type, params)
        return self._call("fhir_search", {"resource_type": resource_type, **params}, bundle, [])

    def write(self, resource: dict[str, Any], method: str = "create") -> dict[str, Any]:
        before = len(self.episode.writes)
        if method == "create":
            stored = self.episode.create(resource)
        else:
            stored = self.episode.update(resource["resourceType"], resource["id"], resource)
        new = self.episode.writes[before:]
        self.record.writes.extend(EpisodeRecord.write_entry(w, self.record.steps + 1) for w in new)
        self._call(f"fhir_{method}", {"resource": resource}, stored, [w.seq for w in new])
        return stored

    def delete(self, resource_type: str, rid: str) -> None:
        before = len(self.episode.writes)
        self.episode.delete(resource_type, rid)
        new = self.episode.writes[before:]
        self.record.writes.extend(EpisodeRecord.write_entry(w, self.record.steps + 1) for w in new)
        self._call(
            "fhir_delete", {"resource_type": resource_type, "id": rid}, None, [w.seq for w in new]
        )

    def calculate(self, calculator: str, inputs: dict[str, Any], reported: Any = None) -> Any:
        """A calculate call; its result is the real one unless ``reported`` (a hand-written tool
        result, for graders that must not take the calculator's word for it) is given."""
        result = (
            compute(calculator, inputs).model_dump(mode="json") if reported is None else reported
        )
        return self._call("calculate", {"calculator": calculator, "inputs": inputs}, result, [])

    def say(self, text: str) -> None:
        self.record.steps += 1
        self.record.messages.append({"role": "assistant", "content": text})

    def finish(self, answer: Any = None, note: str | None = None) -> EpisodeRecord:
        self._call("finish", {"answer": answer, "note": note}, {"ok": True}, [])
        self.record.answer = answer
        self.record.note = note
        self.record.terminated = True
        return self.record


def now() -> datetime:
    return datetime.fromisoformat(NOW)
