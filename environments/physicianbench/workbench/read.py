"""The workbench's nine read tools: a clinician's views of one patient's chart.

Each takes the patient id (as given in the task) and flat filters, and returns one page of FHIR
resources, newest first: ``{"entries": [...], "total": N, "page": p, "pages": P}``. Labs and
vitals can be found by LOINC code *or by words* ("creatinine", "blood pressure"), so an agent
that does not know a code still finds the data (use ``terminology_search`` for codes).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Literal

from medsim.environments.physicianbench.workbench.paging import (
    Json,
    PageNumber,
    PageSize,
    PatientId,
    check_date,
    codes_match,
    collect,
    compact,
    concept_words,
    in_window,
    page_of,
    patient_ref,
    words_match,
)
from medsim.tools.base import tool

Status = Literal["any", "active", "resolved", "inactive"]
OrderStatus = Literal["any", "active", "completed", "stopped", "cancelled", "on-hold", "draft"]


def _observations(
    fhir: Any,
    patient: str,
    category: str,
    code: str | None,
    text: str | None,
    date_from: str | None,
    date_to: str | None,
    count: int,
    page: int,
) -> Json:
    check_date(date_from, "date_from")
    check_date(date_to, "date_to")
    query = {"patient": patient_ref(patient), "category": category}
    if code:  # let the server filter (a comma is FHIR's OR); codes_match below re-checks
        query["code"] = ",".join(c.strip().rsplit("|", 1)[-1] for c in code.split(",") if c.strip())
    found = collect(fhir, "Observation", query)

    def keep(r: Json) -> bool:
        return (
            codes_match(code, r, "code")
            and words_match(text, concept_words(r, "code"))
            and in_window(r, date_from, date_to)
        )

    return page_of(found, page, count, keep)


@tool(examples={"patient": ["pat-0001"], "text": ["creatinine"], "code": ["2160-0"]})
def fhir_observation_search_labs(
    patient: PatientId,
    code: str | None = None,
    text: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    count: PageSize = 20,
    page: PageNumber = 1,
    fhir: Any = None,
) -> Json:
    """Search the patient's laboratory results (Observation, category laboratory), newest first.

    Args:
        patient: The patient id, e.g. "pat-0001".
        code: LOINC code(s), comma-separated, e.g. "2160-0" or "2160-0,98979-8".
        text: Words in the test name instead of a code, e.g. "creatinine" or "hemoglobin a1c".
        date_from: Earliest date to include, e.g. "2024-01-01".
        date_to: Latest date to include, e.g. "2024-12-31".
        count: Results per page (1-200).
        page: Page number, starting at 1.
    """
    return _observations(fhir, patient, "laboratory", code, text, date_from, date_to, count, page)


@tool(examples={"patient": ["pat-0001"], "text": ["blood pressure"]})
def fhir_observation_search_vitals(
    patient: PatientId,
    code: str | None = None,
    text: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    count: PageSize = 20,
    page: PageNumber = 1,
    fhir: Any = None,
) -> Json:
    """Search the patient's vital signs (blood pressure, heart rate, weight, BMI ...), newest first.

    Args:
        patient: The patient id, e.g. "pat-0001".
        code: LOINC code(s), comma-separated, e.g. "29463-7" (body weight).
        text: Words in the vital sign's name instead of a code, e.g. "weight".
        date_from: Earliest date to include, e.g. "2024-01-01".
        date_to: Latest date to include, e.g. "2024-12-31".
        count: Results per page (1-200).
        page: Page number, starting at 1.
    """
    return _observations(fhir, patient, "vital-signs", code, text, date_from, date_to, count, page)


@tool(examples={"patient": ["pat-0001"]})
def fhir_observation_search_social_history(
    patient: PatientId, count: PageSize = 50, page: PageNumber = 1, fhir: Any = None
) -> Json:
    """Search the patient's social history (smoking status, alcohol use ...), newest first.

    Args:
        patient: The patient id, e.g. "pat-0001".
        count: Results per page (1-200).
        page: Page number, starting at 1.
    """
    found = collect(
        fhir, "Observation", {"patient": patient_ref(patient), "category": "social-history"}
    )
    return page_of(found, page, count)


@tool(examples={"patient": ["pat-0001"]})
def fhir_patient_search_demographics(patient: PatientId, fhir: Any = None) -> Json:
    """The patient's demographics: name, sex, birth date, identifiers, address, contacts.

    Args:
        patient: The patient id, e.g. "pat-0001".
    """
    found = collect(fhir, "Patient", {"_id": patient_ref(patient)})
    return page_of(found, 1, 1)


@tool(examples={"patient": ["pat-0001"], "clinical_status": ["active"]})
def fhir_condition_search_problems(
    patient: PatientId,
    clinical_status: Status = "any",
    text: str | None = None,
    count: PageSize = 50,
    page: PageNumber = 1,
    fhir: Any = None,
) -> Json:
    """Search the patient's problem list and diagnoses (Condition), newest first.

    Args:
        patient: The patient id, e.g. "pat-0001".
        clinical_status: "active", "resolved", "inactive" or "any".
        text: Words in the diagnosis, e.g. "kidney" (optional).
        count: Results per page (1-200).
        page: Page number, starting at 1.
    """
    found = collect(fhir, "Condition", {"patient": patient_ref(patient)})

    def keep(r: Json) -> bool:
        status = concept_words(r, "clinicalStatus")
        ok = clinical_status == "any" or clinical_status in status.split()
        return ok and words_match(text, concept_words(r, "code"))

    return page_of(found, page, count, keep)


@tool(examples={"patient": ["pat-0001"], "status": ["active"]})
def fhir_medication_request_search_orders(
    patient: PatientId,
    status: OrderStatus = "any",
    text: str | None = None,
    count: PageSize = 50,
    page: PageNumber = 1,
    fhir: Any = None,
) -> Json:
    """Search the patient's medication orders (MedicationRequest), newest first.

    Args:
        patient: The patient id, e.g. "pat-0001".
        status: "active", "completed", "stopped", "cancelled", "on-hold", "draft" or "any".
        text: Words in the drug name, e.g. "metformin" (optional).
        count: Results per page (1-200).
        page: Page number, starting at 1.
    """
    found = collect(fhir, "MedicationRequest", {"patient": patient_ref(patient)})

    def keep(r: Json) -> bool:
        ok = status == "any" or r.get("status") == status
        return ok and words_match(text, concept_words(r, "medicationCodeableConcept"))

    return page_of(found, page, count, keep)


@tool(examples={"patient": ["pat-0001"]})
def fhir_procedure_search_orders(
    patient: PatientId,
    text: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    count: PageSize = 50,
    page: PageNumber = 1,
    fhir: Any = None,
) -> Json:
    """Search the procedures the patient has had (Procedure), newest first.

    Args:
        patient: The patient id, e.g. "pat-0001".
        text: Words in the procedure name, e.g. "colonoscopy" (optional).
        date_from: Earliest date to include, e.g. "2020-01-01".
        date_to: Latest date to include.
        count: Results per page (1-200).
        page: Page number, starting at 1.
    """
    check_date(date_from, "date_from")
    check_date(date_to, "date_to")
    found = collect(fhir, "Procedure", {"patient": patient_ref(patient)})

    def keep(r: Json) -> bool:
        return words_match(text, concept_words(r, "code")) and in_window(r, date_from, date_to)

    return page_of(found, page, count, keep)


@tool(examples={"patient": ["pat-0001"]})
def fhir_service_request_search(
    patient: PatientId,
    status: OrderStatus = "any",
    text: str | None = None,
    count: PageSize = 50,
    page: PageNumber = 1,
    fhir: Any = None,
) -> Json:
    """Search the patient's orders for tests, imaging and referrals (ServiceRequest), newest first.

    Args:
        patient: The patient id, e.g. "pat-0001".
        status: "active", "completed", "cancelled", "on-hold", "draft" or "any".
        text: Words in the order name (optional).
        count: Results per page (1-200).
        page: Page number, starting at 1.
    """
    found = collect(fhir, "ServiceRequest", {"patient": patient_ref(patient)})

    def keep(r: Json) -> bool:
        ok = status == "any" or r.get("status") == status
        return ok and words_match(text, concept_words(r, "code"))

    return page_of(found, page, count, keep)


def decoded_note(resource: Json) -> Json:
    """A DocumentReference with its attachments' text decoded (``note_text``), data dropped."""
    out = compact(resource)
    texts: list[str] = []
    content = []
    for item in resource.get("content") or []:
        att = dict(item.get("attachment") or {})
        data = att.pop("data", None)
        if isinstance(data, str):
            try:
                texts.append(base64.b64decode(data, validate=True).decode("utf-8", "replace"))
            except (binascii.Error, ValueError):
                texts.append(data)
        content.append({**item, "attachment": att})
    out["content"] = content
    out["note_text"] = "\n\n".join(texts)
    return out


@tool(examples={"patient": ["pat-0001"], "text": ["consult"]})
def fhir_document_reference_search_clinical_notes(
    patient: PatientId,
    note_type: str | None = None,
    text: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    count: PageSize = 10,
    page: PageNumber = 1,
    fhir: Any = None,
) -> Json:
    """Search the patient's clinical notes (progress, consult, discharge ...), text decoded.

    Args:
        patient: The patient id, e.g. "pat-0001".
        note_type: LOINC document type code(s), comma-separated, e.g. "11506-3" (progress note).
        text: Words in the note's type or title, e.g. "discharge" (optional).
        date_from: Earliest date to include, e.g. "2024-01-01".
        date_to: Latest date to include.
        count: Notes per page (1-50 recommended; notes are long).
        page: Page number, starting at 1.
    """
    check_date(date_from, "date_from")
    check_date(date_to, "date_to")
    found = collect(fhir, "DocumentReference", {"patient": patient_ref(patient)})

    def keep(r: Json) -> bool:
        label = f"{concept_words(r, 'type')} {str(r.get('description', '')).lower()}"
        return (
            codes_match(note_type, r, "type")
            and words_match(text, label)
            and in_window(r, date_from, date_to)
        )

    return page_of(found, page, count, keep, shape=decoded_note)


__all__ = [
    "decoded_note",
    "fhir_condition_search_problems",
    "fhir_document_reference_search_clinical_notes",
    "fhir_medication_request_search_orders",
    "fhir_observation_search_labs",
    "fhir_observation_search_social_history",
    "fhir_observation_search_vitals",
    "fhir_patient_search_demographics",
    "fhir_procedure_search_orders",
    "fhir_service_request_search",
]
