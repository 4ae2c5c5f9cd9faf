"""Plausible MedCalc-EHR-v0 charts (issue 21): values drawn continuous with the patient's own
trend, derived observations added with their inputs, and a final check of the whole chart with
the rules ``medsim tasks validate`` applies (:mod:`medsim.tasks.plausibility`).

32 of 87 tasks once showed a weight changing by more than 15 % within months or an adult
height by more than 3 cm, a BMI left at 26.4 against a computed 36.4, or type 2 diabetes added
to a patient with HbA1c 5.1 % on no diabetes drug. Now a charted value is drawn inside the
plausible band around the patient's nearest earlier value, and a case whose chart still breaks
a rule is redrawn.
"""

from __future__ import annotations

import math
from datetime import datetime
from functools import cache
from typing import Any

from medsim.calculators import CalculatorError, compute
from medsim.data.overlay import resolve_overlay
from medsim.tasks.plausibility import band, chart_problems, relevant_loincs

from . import resources as fhir
from .data import load
from .sampling import Redraw

Json = dict[str, Any]


class Implausible(Redraw):
    """No plausible value of an input for this patient: draw again, or pick another patient."""


@cache
def _by_patient() -> dict[str, list[Json]]:
    from medsim.data.cohort import iter_resources

    out: dict[str, list[Json]] = {}
    keep = {"Patient", "Observation", "Condition", "MedicationRequest"}
    loincs = relevant_loincs()
    for res in iter_resources():
        if res.get("resourceType") not in keep:
            continue
        if res["resourceType"] == "Observation" and not loincs & {
            str(c.get("code")) for c in (res.get("code") or {}).get("coding", [])
        }:
            continue
        pid = (
            str(res["id"])
            if res["resourceType"] == "Patient"
            else str((res.get("subject") or {}).get("reference", "")).split("/")[-1]
        )
        out.setdefault(pid, []).append(res)
    return out


def history(patient_id: str) -> list[Json]:
    """The cohort's resources of one patient that the plausibility rules read (Patient,
    Observations of :func:`relevant_loincs`, Conditions, medication orders)."""
    return _by_patient().get(patient_id, [])


def narrowed_spec(
    spec: dict[str, Any], loinc: str, patient_id: str, now: datetime
) -> dict[str, Any]:
    """``spec`` with its int/float range cut to the plausible band around the patient's nearest
    value of ``loinc`` (unchanged when there is no rule, no history or a documented reason);
    :class:`Implausible` when the two do not overlap."""
    kind = "float" if "float" in spec else "int" if "int" in spec else None
    if kind is None:
        return spec
    allowed = band(history(patient_id), loinc, now)
    if allowed is None:
        return spec
    lo, hi = (float(x) for x in spec[kind])
    lo, hi = max(lo, allowed[0]), min(hi, allowed[1])
    if kind == "int":
        lo, hi = math.ceil(lo), math.floor(hi)
    else:
        scale = 10 ** int(spec.get("dp", 1))
        lo, hi = math.ceil(lo * scale) / scale, math.floor(hi * scale) / scale
    if lo > hi:
        raise Implausible(f"no plausible {loinc} in {spec[kind]} for {patient_id}")
    return {**spec, kind: [lo, hi]}


def _latest(patient_id: str, loinc: str) -> float | None:
    from medsim.tasks.plausibility import values

    unit = {"8302-2": "cm", "29463-7": "kg"}.get(loinc)
    if unit is None:
        return None
    series = values(history(patient_id), loinc, unit, set())
    return series[-1].value if series else None


def derived_observations(
    cfg: dict[str, Any],
    patient_id: str,
    values: dict[str, Any],
    charted: dict[str, str],
    times: dict[str, str],
    age: int,
    sex: str,
) -> list[Json]:
    """Derived observations (BMI, eGFR, calculated LDL) for the inputs this overlay charts
    (``charted``: input name -> ehr.yaml concept; ``times``: category -> overlay time), each
    only when the patient's chart reports it already."""
    out: list[Json] = []
    codes_in_chart = {
        c.get("code")
        for r in history(patient_id)
        if r.get("resourceType") == "Observation"
        for c in (r.get("code") or {}).get("coding", [])
    }
    by_concept = {concept: name for name, concept in charted.items()}
    for spec in load("derived.yaml").values():
        if spec["loinc"] not in codes_in_chart:
            continue
        wanted = spec["inputs"]
        if not any(concept in by_concept for concept in wanted.values()):
            continue
        inputs: dict[str, Any] = {}
        for field, concept in wanted.items():
            if concept in by_concept:
                inputs[field] = values[by_concept[concept]]
            else:
                latest = _latest(patient_id, cfg["observations"][concept]["loinc"])
                if latest is None:
                    raise Implausible(f"no {concept} to compute the {spec['text']} with")
                inputs[field] = latest
        if "patient" in spec:
            inputs.update({"age": age, "sex": sex})
        try:
            value = float(compute(spec["calculator"], inputs).value)
        except CalculatorError:
            continue  # e.g. Friedewald above 400 mg/dL triglycerides: the lab reports none
        dp = int(spec["dp"])
        shown: float | int = round(value, dp) if dp else int(round(value))
        when = times[spec["category"]]
        out.append(fhir.observation(spec, cfg["loinc"], shown, spec["unit"], spec["ucum"], when))
    return out


def check(overlay: list[Json], patient_id: str, now: datetime) -> None:
    """Redraw (:class:`Implausible`) when the chart (history + overlay) breaks a rule."""
    resolved = list(resolve_overlay(overlay, patient_id, now))
    problems = chart_problems(history(patient_id) + resolved, {str(r["id"]) for r in resolved})
    if problems:
        raise Implausible(problems[0])
