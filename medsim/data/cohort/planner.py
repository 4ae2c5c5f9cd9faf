"""Plan a patient's history before simulating it: which chronic conditions, when they began,
and the calendar of encounters (annual visits, chronic follow-ups, specialist visits, acute
illnesses, exacerbations and admissions) over the 5-10 years before the reference date.

``intensity`` scales how often things happen (visits, events, inpatient flowsheets); the
generator raises it to reach ``--resources-per-patient``.
"""

from __future__ import annotations

import bisect
import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from medsim.data.cohort.clock import (
    add_days,
    add_months,
    age_years,
    at_clock,
    next_weekday,
    parse_day,
    years_between,
)
from medsim.data.cohort.config import CohortConfig
from medsim.data.cohort.population import Person

Data = dict[str, Any]
MAX_RISK_MULTIPLIER = 3.5  # comorbidity multipliers compound; cap them


@dataclass
class ChronicPlan:
    """A chronic condition the patient has, with its onset and drawn effect sizes."""

    module: Data
    onset: datetime
    historical: bool  # began before the record starts


@dataclass(order=True)
class Visit:
    """One planned encounter."""

    start: datetime
    kind: str = field(compare=False)
    event: Data | None = field(default=None, compare=False)
    module: Data | None = field(default=None, compare=False)  # for diagnosis/specialist visits
    specialty: str | None = field(default=None, compare=False)


def interp(table: list[list[float]], x: float) -> float:
    """Piecewise-linear interpolation in ``[[x, y], ...]`` (flat beyond the ends)."""
    xs = [row[0] for row in table]
    if x <= xs[0]:
        return float(table[0][1])
    if x >= xs[-1]:
        return float(table[-1][1])
    i = bisect.bisect_right(xs, x)
    x0, y0 = table[i - 1]
    x1, y1 = table[i]
    return float(y0 + (y1 - y0) * (x - x0) / (x1 - x0))


def _risk_keys(person: Person, chosen: set[str]) -> set[str]:
    return chosen | {f"smoking_{person.smoking}", f"sex_{person.sex}"}


def plan_conditions(
    cfg: CohortConfig, person: Person, rng: random.Random, as_of: datetime, record_start: datetime
) -> list[ChronicPlan]:
    """Decide each module in order (earlier modules raise the risk of later ones)."""
    age = age_years(person.birth_date, as_of)
    chosen: set[str] = set()
    plans: list[ChronicPlan] = []
    for mod in cfg.modules:
        if "requires_smoking" in mod and person.smoking not in mod["requires_smoking"]:
            continue
        if any(other in chosen for other in mod.get("exclusive_with", [])):
            continue
        keys = _risk_keys(person, chosen)
        risk = 1.0
        for key, mult in mod.get("risk", {}).items():
            if key in keys:
                risk *= float(mult)
        p = interp(mod["prevalence"], age) * min(risk, MAX_RISK_MULTIPLIER)
        if rng.random() >= min(p, 0.95):
            continue
        lo, hi = mod.get("onset_years", [0, 10])
        earliest = add_days(
            datetime(person.birth_date.year, 1, 1, tzinfo=as_of.tzinfo), (18 + lo) * 365.25
        )
        onset = add_days(as_of, -rng.uniform(lo, hi) * 365.25 - 20)
        onset = max(onset, min(earliest, add_days(as_of, -60)))
        plans.append(ChronicPlan(mod, onset, onset < record_start))
        chosen.add(mod["key"])
    return plans


def _clinic_time(rng: random.Random, day: datetime) -> datetime:
    day = next_weekday(day)
    return at_clock(day, rng.randint(8, 16), rng.choice([0, 15, 30, 45]))


def _poisson_times(
    rng: random.Random, rate_per_year: float, start: datetime, end: datetime
) -> list[datetime]:
    out: list[datetime] = []
    if rate_per_year <= 0:
        return out
    t = start
    while True:
        t = add_days(t, rng.expovariate(rate_per_year) * 365.25)
        if t >= end:
            return out
        out.append(t)


def _event_rate(event: Data, person: Person, t: datetime) -> float:
    rate = float(event["rate"])
    if event.get("sex") and event["sex"] != person.sex:
        return 0.0
    if "age_mult" in event:
        age = age_years(person.birth_date, t)
        for age_min, mult in event["age_mult"]:
            if age >= age_min:
                rate = float(event["rate"]) * float(mult)
    return rate


def _event_allowed(event: Data, t: datetime) -> bool:
    if "window" in event:
        lo, hi = (parse_day(x) for x in event["window"])
        if not lo <= t <= hi:
            return False
    return not ("months" in event and t.month not in event["months"])


def _event_visits(
    rng: random.Random,
    person: Person,
    event: Data,
    start: datetime,
    end: datetime,
    intensity: float,
    module: Data | None = None,
) -> list[Visit]:
    visits: list[Visit] = []
    rate = max(_event_rate(event, person, start), _event_rate(event, person, end))
    for t in _poisson_times(rng, rate * math.sqrt(intensity), start, end):
        if not _event_allowed(event, t):
            continue
        settings = event["setting"]
        kind = rng.choices(list(settings), weights=[float(w) for w in settings.values()])[0]
        if kind in ("acute", "telehealth"):
            when = _clinic_time(rng, t)
        else:
            when = at_clock(t, rng.randint(0, 23), rng.randint(0, 59))
        visits.append(Visit(when, kind, event=event, module=module))
    return visits


def plan_visits(
    cfg: CohortConfig,
    person: Person,
    plans: list[ChronicPlan],
    rng: random.Random,
    start: datetime,
    end: datetime,
    intensity: float,
) -> list[Visit]:
    """The encounter calendar between ``start`` and ``end`` (sorted)."""
    prev = cfg.preventive
    visits: list[Visit] = []
    # Annual wellness visits.
    t = add_days(start, rng.uniform(0, 330))
    while t < end:
        if rng.random() < float(prev["wellness_probability"]):
            visits.append(Visit(_clinic_time(rng, t), "wellness"))
        t = add_days(t, rng.gauss(365, 25))
    # Diagnosis visits for conditions beginning inside the record.
    for plan in plans:
        if not plan.historical:
            visits.append(Visit(_clinic_time(rng, plan.onset), "problem", module=plan.module))
    # Chronic follow-ups: interval set by the most demanding active condition.
    tele_after = parse_day(prev["telehealth_after"])
    t = add_days(start, rng.uniform(20, 120))
    while t < end:
        active = [p for p in plans if p.onset <= t]
        if not active and intensity <= 1.0:
            nxt = min((p.onset for p in plans if p.onset > t), default=end)
            t = add_months(nxt, rng.uniform(2, 4))
            continue
        # a denser record (intensity > 1) also gives healthy patients interval visits
        months = min([float(p.module.get("follow_up_months", 12)) for p in active] or [12.0])
        if months <= 12:
            kind = "followup"
            if t >= tele_after and rng.random() < float(prev["telehealth_share"]):
                kind = "telehealth"
            visits.append(Visit(_clinic_time(rng, t), kind))
        t = add_months(t, max(0.1, months / intensity) * rng.uniform(0.8, 1.25))
    # Specialist visits.
    for plan in plans:
        spec = plan.module.get("specialist")
        if not spec or rng.random() >= float(spec["probability"]):
            continue
        t = max(plan.onset, start) + timedelta(days=rng.uniform(20, 90))
        while t < end:
            visits.append(
                Visit(
                    _clinic_time(rng, t),
                    "specialist",
                    module=plan.module,
                    specialty=spec["specialty"],
                )
            )
            t = add_months(t, float(spec["every_months"]) / intensity * rng.uniform(0.85, 1.2))
    # Acute illnesses and disease exacerbations.
    for event in cfg.acute_events:
        visits.extend(_event_visits(rng, person, event, start, end, intensity))
    for plan in plans:
        for event in plan.module.get("events", []):
            visits.extend(
                _event_visits(
                    rng, person, event, max(plan.onset, start), end, intensity, plan.module
                )
            )
    visits = [v for v in visits if start <= v.start < end]
    visits.sort()
    return _drop_collisions(visits, max(0.5, 10.0 / intensity))


def _drop_collisions(visits: list[Visit], min_days: float) -> list[Visit]:
    """Keep at most one routine clinic visit within ``min_days`` (events always stay)."""
    routine = {"wellness", "followup", "telehealth"}
    kept: list[Visit] = []
    last_routine: datetime | None = None
    for v in visits:
        if v.kind in routine:
            if last_routine is not None and (v.start - last_routine).days < min_days:
                continue
            last_routine = v.start
        if kept and v.start <= kept[-1].start:
            v.start = kept[-1].start + timedelta(minutes=61)
        kept.append(v)
    return kept


def record_years(rng: random.Random) -> float:
    """How many years of records the patient has (5-10)."""
    return rng.uniform(5.0, 10.0)


def years_before(as_of: datetime, years: float) -> datetime:
    """``as_of`` minus ``years``."""
    return add_days(as_of, -years * 365.25)


__all__ = [
    "ChronicPlan",
    "Visit",
    "interp",
    "plan_conditions",
    "plan_visits",
    "record_years",
    "years_before",
    "years_between",
]
