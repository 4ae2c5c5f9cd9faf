"""Scenario overlays: a task's own findings, written relative to the task's clinical "now".

A task adds the resources it is about (a low magnesium this morning, a new order yesterday) on
top of the background cohort. Its templates use relative dates and a patient placeholder::

    {"resourceType": "Observation", "subject": {"reference": "@patient"},
     "effectiveDateTime": "@now-PT6H", "issued": "@now-PT5H", ...}

:func:`apply_overlay` turns templates into concrete resources:

* ``"@now"``, ``"@now-P1D"``, ``"@now+PT2H"``, ``"@now-P1Y2M"`` -> a dateTime with timezone
  (ISO 8601 durations; years and months are calendar steps, the day clamped to the month's end);
* ``"@today"``, ``"@today-P3D"`` -> a date ``YYYY-MM-DD`` (date-only durations);
* ``"@patient"`` -> ``"Patient/<id>"`` wherever it appears; a missing ``subject``/``patient`` of
  a patient-owned resource type is filled in;
* a missing ``id`` gets a deterministic one (``<prefix>-<type>-<n>``), so the same task gives the
  same ids on every run.

Any other string that starts with ``@now``/``@today`` is an error (:class:`OverlayError`) naming
the offending value and where it is; the input templates are never modified.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import datetime
from functools import lru_cache
from typing import Any

from medsim import jsontext, relative_time
from medsim.relative_time import Duration, TimeExpressionError, parse_duration

__all__ = [
    "Duration",
    "OverlayError",
    "applied_overlay",
    "apply_overlay",
    "overlay_id",
    "parse_duration",
    "resolve_overlay",
    "resolve_relative",
]

Json = dict[str, Any]

SUBJECT_TYPES = frozenset(
    {
        "Observation",
        "Condition",
        "MedicationRequest",
        "MedicationStatement",
        "MedicationAdministration",
        "Encounter",
        "DiagnosticReport",
        "DocumentReference",
        "Procedure",
        "ServiceRequest",
        "CarePlan",
        "Communication",
        "Goal",
        "ClinicalImpression",
        "DeviceRequest",
        "NutritionOrder",
        "RiskAssessment",
        "Task",
    }
)
PATIENT_TYPES = frozenset({"AllergyIntolerance", "Immunization", "Coverage", "Appointment"})
ID_PREFIX = {
    "Observation": "obs",
    "Condition": "cond",
    "MedicationRequest": "med",
    "DiagnosticReport": "dr",
    "DocumentReference": "doc",
    "Procedure": "proc",
    "ServiceRequest": "sr",
    "Encounter": "enc",
    "AllergyIntolerance": "alg",
    "Immunization": "imm",
    "Communication": "comm",
}
_ID_SAFE = re.compile(r"[^A-Za-z0-9.\-]")


class OverlayError(ValueError):
    """A template has a malformed relative date or cannot be made concrete."""


def resolve_relative(text: str, now: datetime) -> str:
    """``@now…`` -> ISO dateTime with the timezone of ``now``; ``@today…`` -> ``YYYY-MM-DD``
    (the grammar and arithmetic of :mod:`medsim.relative_time`)."""
    try:
        return relative_time.resolve_for_chart(text, now)
    except TimeExpressionError as exc:
        raise OverlayError(str(exc)) from None


def _as_now(now: datetime | str) -> datetime:
    if isinstance(now, str):
        try:
            now = datetime.fromisoformat(now.replace("Z", "+00:00"))
        except ValueError as exc:
            raise OverlayError(f"invalid 'now' {now!r}: expected an ISO 8601 dateTime") from exc
    if now.tzinfo is None or now.utcoffset() is None:
        raise OverlayError("'now' must carry a timezone (e.g. 2024-02-01T08:00:00+00:00)")
    return now


def _resolve(value: Any, now: datetime, patient_ref: str, where: str) -> Any:
    if isinstance(value, dict):
        return {k: _resolve(v, now, patient_ref, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, now, patient_ref, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, str):
        if value == "@patient":
            return patient_ref
        if relative_time.is_expression(value):
            try:
                return resolve_relative(value, now)
            except OverlayError as exc:
                raise OverlayError(f"{where}: {exc}") from None
    return value


def overlay_id(prefix: str, resource_type: str, number: int) -> str:
    """A deterministic FHIR id (at most 64 characters of ``[A-Za-z0-9.-]``)."""
    short = ID_PREFIX.get(resource_type, _ID_SAFE.sub("", resource_type.lower())[:8])
    rid = _ID_SAFE.sub("-", f"{prefix}-{short}-{number:03d}")
    return rid[-64:].lstrip("-.") or f"ovl-{number}"


def apply_overlay(
    templates: list[Json], patient_id: str, now: datetime | str, id_prefix: str | None = None
) -> list[Json]:
    """Concrete resources from ``templates`` for ``patient_id`` at the task's ``now``."""
    moment = _as_now(now)
    pid = patient_id.split("/", 1)[-1]
    if not pid or _ID_SAFE.search(pid):
        raise OverlayError(f"invalid patient id {patient_id!r}")
    patient_ref = f"Patient/{pid}"
    prefix = id_prefix or f"ovl-{pid}"
    counters: dict[str, int] = {}
    out: list[Json] = []
    for n, template in enumerate(templates):
        if not isinstance(template, dict) or not isinstance(template.get("resourceType"), str):
            raise OverlayError(f"template {n}: not a FHIR resource (no resourceType)")
        rtype = template["resourceType"]
        res = _resolve(copy.deepcopy(template), moment, patient_ref, f"template {n} ({rtype})")
        if rtype in SUBJECT_TYPES and "subject" not in res:
            res["subject"] = {"reference": patient_ref}
        if rtype in PATIENT_TYPES and "patient" not in res:
            res["patient"] = {"reference": patient_ref}
        if "id" not in res:
            if rtype == "Patient":
                res["id"] = pid
            else:
                counters[rtype] = counters.get(rtype, 0) + 1
                res["id"] = overlay_id(prefix, rtype, counters[rtype])
        out.append(res)
    return out


# The name the environment core and the grader use (medsim/core/env.py, medsim/cli/grade_cmd.py).
resolve_overlay = apply_overlay


def applied_overlay(templates: list[Json], patient_id: str, now: datetime | str) -> list[Json]:
    """:func:`apply_overlay`, worked out once per (templates, patient, now) and kept as JSON
    text: an env applies its task's overlay at every reset, and the result depends on nothing
    else. Each call returns new dicts. Templates that are not plain JSON (a YAML date object)
    are applied every time, as they are."""
    try:
        key = _plain_json(templates)  # (json's encoder: it refuses a date, orjson would not)
    except (TypeError, ValueError):
        return apply_overlay(templates, patient_id, now)
    texts = _applied_texts(key, patient_id, _as_now(now).isoformat())
    return [jsontext.loads(text) for text in texts]


_plain_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


@lru_cache(maxsize=4096)
def _applied_texts(templates: str, patient_id: str, now: str) -> tuple[str, ...]:
    return tuple(
        jsontext.dumps(r) for r in apply_overlay(jsontext.loads(templates), patient_id, now)
    )
