"""What each MedAgentBench task should have produced, recomputed from the chart of the episode.

These are the reference answers of MedAgentBench's grader (``refsol.py``; Jiang et al., NEJM AI
2025), re-derived from the EHR state the episode ran against, never stored in the task: the
Observations of the patient with the category's local code (``MG``, ``K``, ``GLU``, ``A1C``),
minus anything the episode itself wrote. Thresholds and doses are MedAgentBench's:

* magnesium (task 5): > 1.9 mg/dL no replacement; 1.5-1.9 mild -> 1 g IV over 1 h; 1 to < 1.5
  moderate -> 2 g over 2 h; < 1 severe -> 4 g over 4 h;
* potassium (task 9): < 3.5 mmol/L -> 10 mEq oral per 0.1 below 3.5, plus a serum potassium the
  next day at 08:00;
* HbA1c (task 10): a new test when the last one is older than one year (or there is none).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from medsim.grading.checkpoints.chart import NeedsStore, chart
from medsim.grading.checkpoints.fhirdata import CodeMatch
from medsim.grading.checkpoints.registry import GradeContext

Json = dict[str, Any]


@dataclass(frozen=True)
class Reading:
    """One charted value of a local code: when it was taken (as written and parsed), and the value."""

    when: datetime
    when_text: str
    value: float


def readings(ctx: GradeContext, local_code: str) -> list[Reading]:
    """The patient's Observations carrying ``local_code`` (any system), oldest first."""
    out = []
    for res in chart(ctx, "Observation", CodeMatch(codes=[local_code])):
        text = res.get("effectiveDateTime")
        value = (res.get("valueQuantity") or {}).get("value")
        if isinstance(text, str) and isinstance(value, int | float):
            out.append(Reading(datetime.fromisoformat(text), text, float(value)))
    return sorted(out, key=lambda r: r.when)


def latest(items: list[Reading], since: datetime | None = None) -> Reading | None:
    """The most recent reading (taken at or after ``since`` when given)."""
    pool = [r for r in items if since is None or r.when >= since]
    return pool[-1] if pool else None


def age_on(birth: date, today: date) -> int:
    """Whole years between a birth date and ``today`` (MedAgentBench task 2)."""
    years = today.year - birth.year
    return years - 1 if (today.month, today.day) < (birth.month, birth.day) else years


def mg_tier(value: float) -> tuple[float, float] | None:
    """(grams, hours) of IV magnesium for a serum magnesium in mg/dL, or None when not low."""
    if value > 1.9:
        return None
    if value < 1:
        return 4.0, 4.0
    if value < 1.5:
        return 2.0, 2.0
    return 1.0, 1.0


def k_dose(value: float) -> float:
    """mEq of oral potassium for a serum potassium below 3.5 (10 mEq per 0.1 below)."""
    return (3.5 - value) / 0.1 * 10


def expected(ctx: GradeContext, category: str, params: Json) -> Json:
    """The reference outcome of a task: ``answer`` (the list FINISH should give), ``orders``
    (None = nothing may be posted) and the facts they came from."""
    now = ctx.now
    day = timedelta(hours=24)
    if category == "task1":
        return {"answer": [_lookup(ctx, params)], "orders": None}
    if category == "task2":
        birth = _patient(ctx).get("birthDate")
        return {"answer": [age_on(date.fromisoformat(str(birth)), now.date())], "orders": None}
    if category == "task3":
        return {"answer": None, "orders": ["bp"]}
    if category in ("task4", "task5"):
        last = latest(readings(ctx, "MG"), now - day)
        out: Json = {"answer": [last.value if last else -1], "value": last.value if last else None}
        if category == "task5":
            tier = mg_tier(last.value) if last else None
            out["orders"] = ["mg"] if tier else None
            out["tier"] = tier
        else:
            out["orders"] = None
        return out
    if category == "task6":
        pool = [r.value for r in readings(ctx, "GLU") if r.when >= now - day]
        return {"answer": [sum(pool) / len(pool) if pool else -1], "orders": None}
    if category == "task7":
        last = latest(readings(ctx, "GLU"))
        return {"answer": [last.value if last else -1], "orders": None}
    if category == "task8":
        return {"answer": None, "orders": ["referral"]}
    if category == "task9":
        last = latest(readings(ctx, "K"))
        low = last is not None and last.value < 3.5
        return {
            "answer": [last.value if last else -1],
            "value": last.value if last else None,
            "orders": ["potassium", "k_lab"] if low else None,
            "dose": k_dose(last.value) if last and low else None,
        }
    if category == "task10":
        last = latest(readings(ctx, "A1C"))
        stale = last is None or last.when < now.replace(year=now.year - 1)
        return {
            "answer": [last.value, last.when_text] if last else [-1],
            "when": last.when if last else None,
            "orders": ["a1c"] if stale else None,
        }
    raise ValueError(f"unknown MedAgentBench category {category!r}")


def _patient(ctx: GradeContext) -> Json:
    patients = chart(ctx, "Patient")
    if not patients:
        raise LookupError(f"Patient/{ctx.patient_id} is not in the chart")
    return patients[0]


def _lookup(ctx: GradeContext, params: Json) -> str:
    """Task 1: the MRN of the patient with this name and birth date, or "Patient not found"."""
    if ctx.store is None:  # regrading without the EHR: undecidable, as for every other task
        raise NeedsStore("looking up a patient by name needs the FHIR store")
    bundle = ctx.store.search(
        "Patient",
        {"given": params["given"], "family": params["family"], "birthdate": params["birthdate"]},
    )
    written = ctx.record.written_ids()
    ids = sorted(
        str(e["resource"]["id"])
        for e in bundle.get("entry", [])
        if ("Patient", str(e["resource"]["id"])) not in written
    )
    return ids[0] if len(ids) == 1 else "Patient not found"
