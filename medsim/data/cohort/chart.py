"""A readable one-page chart of one patient, built from FHIR resources (ours or anyone's).

Tolerant of missing fields so that it also summarises a user's own data.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from typing import Any

from medsim.data.cohort.stats import patient_of, resource_date

Json = dict[str, Any]
RECENT_ENCOUNTERS = 8
NOTE_EXCERPT_CHARS = 900


def _text(concept: Any) -> str:
    if not isinstance(concept, dict):
        return "?"
    if concept.get("text"):
        return str(concept["text"])
    for coding in concept.get("coding") or []:
        if coding.get("display") or coding.get("code"):
            return str(coding.get("display") or coding.get("code"))
    return "?"


def _code(concept: Any) -> str:
    codings = (concept or {}).get("coding") or [{}]
    return str(codings[0].get("code", ""))


def _status(res: Json, field: str) -> str:
    return _code(res.get(field)) if isinstance(res.get(field), dict) else ""


def _value(obs: Json) -> str:
    if "valueQuantity" in obs:
        q = obs["valueQuantity"]
        return f"{q.get('value')} {q.get('unit', '')}".strip()
    if "valueCodeableConcept" in obs:
        return _text(obs["valueCodeableConcept"])
    if "component" in obs:
        vals = [c.get("valueQuantity", {}) for c in obs["component"]]
        unit = vals[0].get("unit", "") if vals else ""
        return "/".join(str(v.get("value")) for v in vals) + f" {unit}"
    return str(obs.get("valueString", "?"))


def _flag(obs: Json) -> str:
    interp = obs.get("interpretation") or []
    code = _code(interp[0]) if interp else ""
    return "" if code in ("", "N") else f" [{code}]"


def _name(patient: Json) -> str:
    names = patient.get("name") or [{}]
    n = names[0]
    return n.get("text") or " ".join([*n.get("given", []), n.get("family", "")]).strip() or "?"


def _latest(observations: list[Json]) -> list[Json]:
    seen: dict[str, Json] = {}
    for obs in sorted(observations, key=lambda o: resource_date(o) or ""):
        seen[_code(obs.get("code")) or _text(obs.get("code"))] = obs
    return sorted(seen.values(), key=lambda o: _text(o.get("code")))


def _note_text(doc: Json) -> str:
    for content in doc.get("content") or []:
        data = (content.get("attachment") or {}).get("data")
        if data:
            try:
                return base64.b64decode(data).decode("utf-8", errors="replace")
            except (binascii.Error, ValueError):
                return "(undecodable attachment)"
    return "(no inline text)"


def chart_summary(resources: Iterable[Json], patient_id: str) -> str:
    """Demographics, active problems and medications, allergies, latest vitals and labs (with
    flags), recent encounters and an excerpt of the last note of ``patient_id``."""
    pid = patient_id.split("/", 1)[-1]
    mine: dict[str, list[Json]] = {}
    patient: Json | None = None
    for res in resources:
        if patient_of(res) != pid:
            continue
        if res.get("resourceType") == "Patient":
            patient = res
        mine.setdefault(str(res.get("resourceType")), []).append(res)
    if patient is None:
        raise KeyError(f"no Patient/{pid} in the data")
    out: list[str] = []
    mrn = next((i.get("value") for i in patient.get("identifier", [])), "?")
    addr = (patient.get("address") or [{}])[0]
    out.append(f"{_name(patient)}  (Patient/{pid}, MRN {mrn})")
    out.append(
        f"{patient.get('gender', '?')}, born {patient.get('birthDate', '?')}; "
        f"{addr.get('city', '?')}, {addr.get('state', '')}"
    )
    conds = [c for c in mine.get("Condition", []) if _status(c, "clinicalStatus") == "active"]
    out.append("\nACTIVE PROBLEMS")
    out += [
        f"  - {_text(c.get('code'))} (onset {str(c.get('onsetDateTime', '?'))[:10]})"
        for c in sorted(conds, key=lambda c: str(c.get("onsetDateTime", "")))
    ] or ["  none"]
    meds = [m for m in mine.get("MedicationRequest", []) if m.get("status") == "active"]
    out.append("\nACTIVE MEDICATIONS")
    out += [
        f"  - {_text(m.get('medicationCodeableConcept'))}: "
        f"{((m.get('dosageInstruction') or [{}])[0]).get('text', '')}"
        for m in meds
    ] or ["  none"]
    out.append("\nALLERGIES")
    out += [
        f"  - {_text(a.get('code'))}" + (f" ({a['criticality']})" if a.get("criticality") else "")
        for a in mine.get("AllergyIntolerance", [])
    ] or ["  none recorded"]
    obs = mine.get("Observation", [])

    def in_category(o: Json, cat: str) -> bool:
        return any(_code(c) == cat for c in o.get("category") or [])

    out.append("\nLATEST VITALS")
    out += [
        f"  {_text(o.get('code')):<32} {_value(o)}{_flag(o)}  ({str(resource_date(o))[:10]})"
        for o in _latest([o for o in obs if in_category(o, "vital-signs")])
    ] or ["  none"]
    out.append("\nLATEST LABS")
    out += [
        f"  {_text(o.get('code')):<32} {_value(o)}{_flag(o)}  ({str(resource_date(o))[:10]})"
        for o in _latest([o for o in obs if in_category(o, "laboratory")])
    ] or ["  none"]
    encs = sorted(mine.get("Encounter", []), key=lambda e: resource_date(e) or "")
    out.append(f"\nRECENT ENCOUNTERS ({len(encs)} total)")
    for e in encs[-RECENT_ENCOUNTERS:]:
        cls = (e.get("class") or {}).get("code", "?")
        reason = _text((e.get("reasonCode") or [None])[0]) if e.get("reasonCode") else ""
        out.append(
            f"  {str(resource_date(e))[:10]}  {cls:<5} {_text((e.get('type') or [{}])[0])}"
            + (f" - {reason}" if reason else "")
        )
    docs = sorted(mine.get("DocumentReference", []), key=lambda d: str(d.get("date", "")))
    if docs:
        last = docs[-1]
        text = _note_text(last)
        out.append(f"\nLAST NOTE: {_text(last.get('type'))}, {str(last.get('date', ''))[:10]}")
        excerpt = text[:NOTE_EXCERPT_CHARS] + (" ..." if len(text) > NOTE_EXCERPT_CHARS else "")
        out += ["  " + line for line in excerpt.splitlines()]
    return "\n".join(out) + "\n"
