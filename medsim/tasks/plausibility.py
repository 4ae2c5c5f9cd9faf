"""Chart plausibility (issue 21): a task's overlay must make physiological sense on top of the
patient's own chart. ``medsim tasks validate`` rejects a task that breaks a rule, with the
reason; task generators use the same functions to draw plausible values in the first place.

Three kinds of rule, all data in ``plausibility.yaml`` with the source of every limit:

* **continuity**: an overlay weight, height or creatinine is compared with the patient's nearest
  other value of the same code; the change allowed grows with the time between them (weight by
  the ASPEN/AND malnutrition thresholds, adult height by measurement error plus age-related loss,
  creatinine by the KDIGO AKI definition). A documented reason (an amputation, dialysis, CKD,
  malnutrition ... as an ICD-10-CM code on the chart) lifts the rule.
* **derived observations**: a BMI agrees with the weight and height at its time, an eGFR with
  the creatinine (CKD-EPI 2021), a calculated LDL with the lipid panel; when the overlay adds an
  input at a time and the patient's chart reports the derived value with such inputs, it must
  be reported there too (bmi-01 left the charted BMI at 26.4 against a computed 36.4).
* **added diagnoses**: a Condition the overlay adds must not contradict the chart's labs and
  medications (type 2 diabetes with HbA1c 5.1 % on no glucose-lowering drug).

The functions take plain FHIR JSON: the patient's resources as the episode sees them (cohort
plus overlay) and the ids of the overlay's resources.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

from medsim.calculators.units import convert
from medsim.grading.checkpoints.fhirdata import (
    codings,
    concepts,
    dicts,
    member,
    parse_datetime,
    resource_time,
)
from medsim.yamlload import safe_load

Json = dict[str, Any]
LOINC = "http://loinc.org"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED = "http://snomed.info/sct"
DAY_S = 86400.0


@cache
def rules() -> dict[str, Any]:
    """The parsed ``plausibility.yaml``."""
    text = resources.files("medsim.tasks").joinpath("plausibility.yaml").read_text("utf-8")
    return dict(safe_load(text))


def relevant_loincs() -> set[str]:
    """The LOINC codes the rules read (other observations cannot matter)."""
    r = rules()
    codes = {str(c["loinc"]) for c in r["continuity"]}
    for d in r["derived"]:
        codes |= {str(d["loinc"]), *map(str, d["inputs"].values())}
    codes |= {str(d["contradicted_if"]["loinc"]) for d in r["diagnoses"]}
    return codes


@dataclass(frozen=True)
class Value:
    """One numeric observation: its time, value in the rule's unit, and whether the overlay
    added it."""

    time: datetime
    value: float
    ref: str
    overlay: bool


def _codes(res: Json, system: str) -> set[str]:
    return {
        str(c.get("code"))
        for concept in concepts(res)
        for c in codings(concept)
        if c.get("system") == system
    }


def values(
    chart: Iterable[Json], loinc: str, unit: str, overlay_ids: AbstractSet[str]
) -> list[Value]:
    """The chart's numeric values of a LOINC code in ``unit`` (blood-pressure style components
    included), oldest first; values in an unconvertible unit are left out."""
    out: list[Value] = []
    for res in chart:
        if res.get("resourceType") != "Observation":
            continue
        quantities = [res] if loinc in _codes(res, LOINC) else []
        quantities += [c for c in dicts(res, "component") if loinc in _codes(c, LOINC)]
        when = resource_time(res) if quantities else None
        if when is None:
            continue
        for holder in quantities:
            q = member(holder, "valueQuantity")
            v = q.get("value")
            if not isinstance(v, int | float) or isinstance(v, bool):
                continue
            given = q.get("code") or q.get("unit")
            try:
                number = convert(float(v), str(given), unit) if given else float(v)
            except ValueError:
                continue
            ref = f"Observation/{res.get('id')}"
            out.append(Value(when, number, ref, str(res.get("id")) in overlay_ids))
    return sorted(out, key=lambda x: (x.time, x.ref))


def explained(chart: Iterable[Json], prefixes: Iterable[str]) -> bool:
    """The chart has a Condition (any status) whose ICD-10-CM code starts with a prefix."""
    wanted = tuple(prefixes)
    return bool(wanted) and any(
        code.startswith(wanted)
        for res in chart
        if res.get("resourceType") == "Condition"
        for code in _codes(res, ICD10)
    )


# ---- continuity ---------------------------------------------------------------------------------


def allowed_change(rule: dict[str, Any], previous: float, days: float) -> tuple[float, float]:
    """(largest fall, largest rise) from ``previous`` after ``days`` days under ``rule``."""
    days = abs(days)
    if rule["kind"] == "relative":
        limits = rule["limits"]
        fraction = next((f for d, f in limits if days <= d), None)
        if fraction is None:
            last_days, last = limits[-1]
            fraction = min(0.4, last * days / last_days)
        return previous * fraction, previous * fraction
    if rule["kind"] == "height":
        measure = float(rule["measurement_cm"])
        return measure + float(rule["loss_cm_per_year"]) * days / 365.25, measure
    if rule["kind"] == "kdigo":
        absolute, ratio = float(rule["absolute"]), float(rule["ratio"])
        rise = max(absolute, previous * (ratio - 1))
        fall = max(absolute, previous - previous / ratio)
        return fall, rise
    raise ValueError(f"plausibility.yaml: unknown continuity kind {rule['kind']!r}")


def band(
    chart: Iterable[Json], loinc: str, when: datetime, overlay_ids: AbstractSet[str] = frozenset()
) -> tuple[float, float] | None:
    """The plausible range (in the rule's unit) for a new value of ``loinc`` at ``when``, given
    the chart; None when there is no rule, no earlier value, or the chart documents a reason."""
    chart = list(chart)
    rule = next((r for r in rules()["continuity"] if r["loinc"] == loinc), None)
    if rule is None or explained(chart, rule.get("explained_by", [])):
        return None
    others = [v for v in values(chart, loinc, rule["unit"], overlay_ids) if not v.overlay]
    if not others:
        return None
    near = min(others, key=lambda v: abs((v.time - when).total_seconds()))
    fall, rise = allowed_change(rule, near.value, (when - near.time).total_seconds() / DAY_S)
    return near.value - fall, near.value + rise


def continuity_problems(chart: list[Json], overlay_ids: AbstractSet[str]) -> list[str]:
    """Overlay values that jump from the patient's nearest other value by more than allowed."""
    problems: list[str] = []
    for rule in rules()["continuity"]:
        if explained(chart, rule.get("explained_by", [])):
            continue
        series = values(chart, rule["loinc"], rule["unit"], overlay_ids)
        for v in (v for v in series if v.overlay):
            others = [o for o in series if o.ref != v.ref]
            if not others:
                continue
            near = min(others, key=lambda o: abs((o.time - v.time).total_seconds()))
            days = (v.time - near.time).total_seconds() / DAY_S
            older, newer = (near, v) if days >= 0 else (v, near)
            fall, rise = allowed_change(rule, older.value, days)
            change = newer.value - older.value
            if change > rise + 1e-9 or -change > fall + 1e-9:
                problems.append(
                    f"chart: {rule['name']} {older.value:g} -> {newer.value:g} {rule['unit']} in "
                    f"{abs(days):.0f} days ({older.ref} -> {newer.ref}) exceeds the "
                    f"physiological limit (-{fall:.3g}/+{rise:.3g}; {_short(rule['source'])})"
                )
    return problems


def _short(source: str) -> str:
    return " ".join(source.split())[:60].rstrip() + "..."


# ---- derived observations -----------------------------------------------------------------------


def _patient(chart: Iterable[Json]) -> Json:
    return next((r for r in chart if r.get("resourceType") == "Patient"), {})


def derived_value(
    rule: dict[str, Any], inputs: dict[str, float], patient: Json, when: datetime
) -> float | None:
    """What a derived observation should say for ``inputs``, by the medsim calculator the rule
    names (age and sex from the Patient when it needs them); None when the calculator refuses
    (e.g. Friedewald with triglycerides >= 400 mg/dL)."""
    from medsim.calculators import CalculatorError, compute, get

    given: dict[str, Any] = dict(inputs)
    fields = get(rule["calculator"]).inputs.model_fields
    if "age" in fields or "sex" in fields:
        born = parse_datetime(patient.get("birthDate"))
        if born is None or patient.get("gender") not in ("male", "female"):
            return None
        given["age"] = when.year - born.year - ((when.month, when.day) < (born.month, born.day))
        given["sex"] = patient["gender"]
    try:
        return float(compute(rule["calculator"], given).value)
    except CalculatorError:
        return None


def _at(series: list[Value], when: datetime, window_s: float) -> Value | None:
    """The latest value at or before ``when`` (+ the window)."""
    before = [v for v in series if (v.time - when).total_seconds() <= window_s]
    return before[-1] if before else None


def derived_problems(chart: list[Json], overlay_ids: AbstractSet[str]) -> list[str]:
    """Derived observations that disagree with their inputs, or that are missing at a time the
    overlay adds an input although the chart reports them with such inputs."""
    problems: list[str] = []
    window = float(rules()["window_hours"]) * 3600
    patient = _patient(chart)
    for rule in rules()["derived"]:
        units = rule["units"]
        series = {
            k: values(chart, code, units[k], overlay_ids) for k, code in rule["inputs"].items()
        }
        derived = _raw(chart, rule["loinc"], overlay_ids)
        times = {v.time for s in series.values() for v in s if v.overlay}
        times |= {d.time for d in derived if d.overlay}
        for when in sorted(times):
            near = [d for d in derived if abs((d.time - when).total_seconds()) <= window]
            if not near:
                if any(d.time < when for d in derived):
                    problems.append(
                        f"chart: the overlay adds {'/'.join(rule['inputs'])} at "
                        f"{when.isoformat()} but no {rule['name']} (LOINC {rule['loinc']}), "
                        "which the chart reports with them"
                    )
                continue
            inputs = {k: _at(s, when, window) for k, s in series.items()}
            if any(v is None for v in inputs.values()):
                continue
            want = derived_value(
                rule, {k: v.value for k, v in inputs.items() if v is not None}, patient, when
            )
            got = near[-1]
            if want is not None and abs(got.value - want) > float(rule["tolerance"]) + 1e-9:
                problems.append(
                    f"chart: {rule['name']} {got.value:g} ({got.ref}) does not match its inputs "
                    f"at {when.isoformat()}: {want:.1f} ({rule['source'].split('(')[0].strip()})"
                )
    return problems


def _raw(chart: Iterable[Json], loinc: str, overlay_ids: AbstractSet[str]) -> list[Value]:
    """Values of ``loinc`` whatever their unit (derived values are compared as written)."""
    out: list[Value] = []
    for res in chart:
        if res.get("resourceType") != "Observation" or loinc not in _codes(res, LOINC):
            continue
        when = resource_time(res)
        v = member(res, "valueQuantity").get("value")
        if when is None or not isinstance(v, int | float) or isinstance(v, bool):
            continue
        out.append(
            Value(when, float(v), f"Observation/{res.get('id')}", str(res.get("id")) in overlay_ids)
        )
    return sorted(out, key=lambda x: (x.time, x.ref))


# ---- added diagnoses ----------------------------------------------------------------------------


def diagnosis_problems(chart: list[Json], overlay_ids: AbstractSet[str]) -> list[str]:
    """Conditions the overlay adds that the chart's own labs and medications contradict."""
    problems: list[str] = []
    meds = " ".join(
        " ".join(str(c.get("display") or "") for concept in concepts(r) for c in codings(concept))
        + " "
        + " ".join(
            str(concept.get("text") or "") for concept in concepts(r) if isinstance(concept, dict)
        )
        for r in chart
        if r.get("resourceType") in ("MedicationRequest", "MedicationStatement")
    )
    for res in chart:
        if res.get("resourceType") != "Condition" or str(res.get("id")) not in overlay_ids:
            continue
        icd, snomed = _codes(res, ICD10), _codes(res, SNOMED)
        for rule in rules()["diagnoses"]:
            if not (
                any(c.startswith(tuple(rule["icd10"])) for c in icd) or snomed & set(rule["snomed"])
            ):
                continue
            if rule.get("unless_medication") and re.search(rule["unless_medication"], meds, re.I):
                continue
            test = rule["contradicted_if"]
            latest = _raw(chart, test["loinc"], overlay_ids)
            if not latest:
                continue
            v = latest[-1]
            if ("below" in test and v.value < test["below"]) or (
                "above" in test and v.value >= test["above"]
            ):
                problems.append(
                    f"chart: the overlay adds {rule['name']} (Condition/{res.get('id')}) but the "
                    f"latest LOINC {test['loinc']} is {v.value:g} ({v.ref}) "
                    f"({_short(rule['source'])})"
                )
    return problems


def chart_problems(chart: list[Json], overlay_ids: AbstractSet[str]) -> list[str]:
    """Every plausibility problem of a task's chart (see the module doc)."""
    if not overlay_ids:
        return []
    return [
        *continuity_problems(chart, overlay_ids),
        *derived_problems(chart, overlay_ids),
        *diagnosis_problems(chart, overlay_ids),
    ]


# ---- reading a task's chart from a FHIR episode -------------------------------------------------

CHART_TYPES = ("Observation", "Condition", "MedicationRequest", "MedicationStatement")


def _search_all(episode: Any, resource_type: str, params: dict[str, str]) -> list[Json]:
    bundle = episode.search(resource_type, params)
    found: list[Json] = []
    for _ in range(200):
        found += [
            e["resource"]
            for e in bundle.get("entry") or []
            if isinstance(e, dict) and isinstance(e.get("resource"), dict)
        ]
        nxt = next(
            (lk.get("url") for lk in bundle.get("link") or [] if lk.get("relation") == "next"), None
        )
        if not nxt:
            break
        status, bundle = episode.request("GET", str(nxt))
        if status >= 400:
            break
    return found


def task_chart_problems(episode: Any, task: Any) -> list[str]:
    """Plausibility problems of ``task``'s chart: its overlay applied on a fresh episode, then
    the patient's resources read back. A task without an overlay, or whose patient is not in the
    EHR (a note-based task), has none."""
    from medsim.core.ehr import start_episode
    from medsim.data.overlay import resolve_overlay
    from medsim.fhir.interface import FhirError

    if not task.overlay:
        return []
    overlay = list(resolve_overlay(task.overlay, task.patient, task.now))
    ids = {str(r.get("id")) for r in overlay}
    start_episode(episode, task)
    try:
        chart = [episode.read("Patient", task.patient)]
    except FhirError:
        return []
    codes = ",".join(f"{LOINC}|{c}" for c in sorted(relevant_loincs()))
    for rtype in CHART_TYPES:
        params = {"patient": task.patient, "_count": "1000"}
        if rtype == "Observation":
            params["code"] = codes
        try:
            chart += _search_all(episode, rtype, params)
        except FhirError:
            continue
    return chart_problems(chart, ids)
