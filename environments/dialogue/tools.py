"""The dialogue tools: talk to the patient, examine, order tests, and end the consultation.

They use the episode's services (``ToolContext.services``, set by
:class:`~medsim.environments.dialogue.env.DialogueEnv`): ``case`` (the scenario), ``patient``
(the simulator), ``on_reply`` (the env's accounting of usage, redactions and revealed facts) and
an optional ``moderator``. A simulator failure is returned as a ``simulator_error`` (the env ends
the episode as an infrastructure error, never scored as the agent's failure).

* ``request_exam``: the case's findings for that body system ("heart" = cardiovascular), every
  finding for "full"/"complete", else "not available";
* ``request_test``: the case's result (matched by the test's name or intents), else the
  patient's latest value in the FHIR record (the name looked up in medsim's LOINC terminology),
  else "not available".
"""

from __future__ import annotations

from typing import Any

from medsim.fhir.interface import FhirError
from medsim.patients.base import SimulatorError
from medsim.patients.intents import plain, system_of
from medsim.tools.base import ToolContext, ToolError, tool
from medsim.tools.terminology import search_concepts

NOT_AVAILABLE = "not available"
FULL_EXAM = frozenset({"full", "complete", "all", "full exam", "complete exam", "head to toe"})


def _case(context: ToolContext) -> Any:
    case = context.services.get("case")
    if case is None:
        raise ToolError("this tool needs a dialogue case (use a Dialogue environment)")
    return case


@tool(examples={"question": ["When did the pain start?", "Do you have any allergies?"]})
def ask_patient(question: str, context: ToolContext) -> dict[str, Any]:
    """Ask the patient one question and get their answer (plain text does the same).

    Args:
        question: What you say to the patient; ask one thing at a time.
    """
    if not question.strip():
        raise ToolError("question is empty: say something to the patient", kind="invalid_arguments")
    patient = context.services.get("patient")
    if patient is None:
        raise ToolError("there is no patient in this environment")
    try:
        reply = patient.reply(question)
    except SimulatorError as exc:
        raise ToolError(str(exc), kind="simulator_error") from None
    on_reply = context.services.get("on_reply")
    if on_reply is not None:
        on_reply(question, reply)
    return {"patient": reply.text}


@tool(examples={"system": ["cardiovascular", "respiratory", "abdomen", "full"]})
def request_exam(system: str, context: ToolContext) -> dict[str, Any]:
    """Examine the patient: the findings of one body system's physical examination.

    Args:
        system: The body system, e.g. "cardiovascular", "respiratory", "abdominal",
            "neurological", "skin", "general" (vital signs), or "full" for everything.
    """
    case = _case(context)
    wanted = plain(system)
    if wanted in FULL_EXAM:
        found = list(case.exam)
    else:
        key = system_of(system) or wanted
        found = [e for e in case.exam if (system_of(e.system) or plain(e.system)) == key]
    if not found:
        return {"system": system, "findings": NOT_AVAILABLE}
    return {"system": system, "findings": [f"{e.system}: {e.finding}" for e in found]}


def _case_test(case: Any, name: str) -> Any:
    wanted = plain(name)
    for test in case.tests:
        names = [plain(test.name), *(plain(i) for i in test.intents)]
        if any(n and (n == wanted or f" {n} " in f" {wanted} ") for n in names):
            return test
    return None


def _chart_value(context: ToolContext, name: str) -> dict[str, Any] | None:
    """The patient's latest Observation for the LOINC concept ``name`` names, if any."""
    if context.fhir is None or not context.patient_id:
        return None
    for concept in search_concepts(name, system="loinc", limit=3):
        try:
            bundle = context.fhir.search(
                "Observation",
                {
                    "patient": context.patient_id,
                    "code": f"http://loinc.org|{concept.code}",
                    "_sort": "-date",
                    "_count": "1",
                },
            )
        except FhirError:
            continue
        for entry in bundle.get("entry") or []:
            obs = entry.get("resource") or {}
            q = obs.get("valueQuantity") or {}
            if "value" in q:
                value = f"{q['value']} {q.get('unit', '')}".strip()
            else:
                value = str(obs.get("valueString") or obs.get("valueCodeableConcept", ""))
            return {
                "test": concept.display,
                "result": value,
                "date": obs.get("effectiveDateTime"),
                "source": "chart",
                "loinc": concept.code,
            }
    return None


@tool(examples={"name": ["12-lead ECG", "troponin", "complete blood count", "chest x-ray"]})
def request_test(name: str, context: ToolContext) -> dict[str, Any]:
    """Order a test and get its result (laboratory, imaging, ECG, bedside tests).

    Args:
        name: The test, e.g. "troponin", "12-lead ECG", "chest x-ray", "urinalysis".
    """
    if not name.strip():
        raise ToolError("name is empty: say which test", kind="invalid_arguments")
    test = _case_test(_case(context), name)
    if test is not None:
        out = {"test": test.name, "result": test.result}
        if test.loinc:
            out["loinc"] = test.loinc
        return out
    chart = _chart_value(context, name)
    return chart if chart is not None else {"test": name, "result": NOT_AVAILABLE}


@tool(
    terminal=True,
    examples={
        "diagnosis": ["Community-acquired pneumonia"],
        "plan": ["Start amoxicillin; chest x-ray follow-up in 6 weeks"],
    },
)
def submit_diagnosis(
    diagnosis: str, plan: str, context: ToolContext, icd10: str | None = None
) -> dict[str, Any]:
    """Give your final diagnosis and management plan; this ends the consultation.

    Args:
        diagnosis: The single most likely diagnosis (one condition, not a list).
        plan: The management plan: treatment, disposition, referrals, follow-up.
        icd10: Optional ICD-10-CM code of the diagnosis, e.g. "J18.9".
    """
    if not diagnosis.strip():
        raise ToolError("diagnosis is empty", kind="invalid_arguments")
    out: dict[str, Any] = {
        "status": "finished",
        "answer": diagnosis,
        "note": plan,
        "icd10": icd10,
    }
    moderator = context.services.get("moderator")
    if moderator is not None:
        try:
            out["moderator"] = moderator(diagnosis)
        except SimulatorError as exc:
            raise ToolError(str(exc), kind="simulator_error") from None
    return out


@tool(terminal=True, examples={"reason": ["I need more information than I can obtain here."]})
def abstain(reason: str = "") -> dict[str, Any]:
    """Abstain: end the consultation without a diagnosis because you cannot decide.

    Args:
        reason: Why you cannot reach a diagnosis.
    """
    return {"status": "abstained", "answer": None, "note": reason or None}


__all__ = ["abstain", "ask_patient", "request_exam", "request_test", "submit_diagnosis"]
