"""Preventive care at routine visits: immunizations (vaccines.yaml rules), screening procedures
(procedures.yaml ``screening``) and the wellness lab panels (modules/preventive.yaml).

Each patient decides once whether they accept a given vaccine or screening (a per-patient
coin), so uptake is realistic and stable across visits.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from medsim.data.cohort import builders as b
from medsim.data.cohort.clock import age_years, iso, months_between, parse_day, years_between
from medsim.data.cohort.record import Encounter, PatientRecord

Data = dict[str, Any]


class Preventive:
    """Per-patient memory of what was offered, accepted and given."""

    def __init__(self, rec: PatientRecord) -> None:
        self.rec = rec
        self.accepts: dict[str, bool] = {}
        self.given: dict[str, list[datetime]] = {}
        self.seasons: set[tuple[str, int]] = set()
        self.groups: dict[str, str] = {}

    def _accepts(self, key: str, probability: float) -> bool:
        if key not in self.accepts:
            self.accepts[key] = self.rec.rng.random() < probability
        return self.accepts[key]

    def _due(self, key: str, rule: Data, when: datetime) -> bool:
        kind = rule["kind"]
        given = self.given.get(key, [])
        age = age_years(self.rec.p.birth_date, when)
        if kind == "seasonal":
            lo, hi = rule["months"]
            season = (key, when.year)
            if not lo <= when.month <= hi or season in self.seasons:
                return False
            self.seasons.add(season)
            return self.rec.rng.random() < float(rule["probability"])
        if kind == "interval":
            if given and years_between(given[-1], when) < float(rule["years"]):
                return False
            return self._accepts(key, float(rule["probability"]))
        if "before" in rule and when >= parse_day(rule["before"]):
            return False
        if kind == "window":
            if not parse_day(rule["start"]) <= when <= parse_day(rule["end"]):
                return False
            group = rule.get("exclusive_group")
            if group and self.groups.setdefault(group, key) != key:
                return False
        elif age < int(rule.get("age_min", 0)):
            return False
        if "after_vaccine" in rule:
            prior = self.given.get(rule["after_vaccine"], [])
            if not prior or (when - prior[-1]).days < int(rule.get("min_days_after", 0)):
                return False
        gaps = rule["gaps_days"]
        if len(given) >= len(gaps):
            return False
        if given and (when - given[-1]).days < int(gaps[len(given)]):
            return False
        return self._accepts(key, float(rule["probability"]))

    def immunize(self, enc: Encounter, when: datetime) -> list[str]:
        """Give every vaccine that is due and accepted; returns the names given."""
        cfg = self.rec.cfg
        names: list[str] = []
        for key, vac in cfg.vaccines.items():
            if not self._due(key, vac["rule"], when):
                continue
            self.given.setdefault(key, []).append(when)
            lot = f"{key[:3].upper()}{self.rec.rng.randrange(10000, 99999)}"
            t = when + timedelta(minutes=25)
            self.rec.out.append(
                b.immunization(
                    self.rec.ids.next("Immunization"),
                    self.rec.p.id,
                    enc.id,
                    vac["cvx"],
                    iso(t),
                    lot,
                    cfg.vaccine_route,
                    cfg.vaccine_site,
                    float(vac["dose_ml"]),
                    self.rec.practitioner_ref(enc),
                )
            )
            names.append(vac["cvx"][1])
        return names

    def screen(self, enc: Encounter, when: datetime) -> list[str]:
        """Screening procedures that are due and accepted (wellness visits)."""
        rec = self.rec
        age = age_years(rec.p.birth_date, when)
        done: list[str] = []
        for key, rule in rec.cfg.screening.items():
            lo, hi = rule["age"]
            if not lo <= age <= hi or ("sex" in rule and rule["sex"] != rec.p.sex):
                continue
            last = rec.last_proc.get(key)
            if last is not None and years_between(last, when) < 0.9 * float(rule["every_years"]):
                continue
            if rule.get("each_time"):
                if rec.rng.random() >= float(rule["probability"]):
                    continue
            elif not self._accepts(f"screen:{key}", float(rule["probability"])):
                continue
            done.append(procedure(rec, enc, key, when + timedelta(minutes=10), None))
        return done

    def wellness_panels(self, enc: Encounter, when: datetime) -> list[str]:
        """Routine panels due at an annual visit."""
        rec = self.rec
        age = age_years(rec.p.birth_date, when)
        due: list[str] = []
        for item in rec.cfg.preventive.get("wellness_panels", []):
            if age < int(item.get("age_min", 0)):
                continue
            last = rec.last_panel.get(item["panel"])
            if last is not None and months_between(last, when) < 0.85 * float(item["every_months"]):
                continue
            if rec.rng.random() < float(item["probability"]):
                due.append(item["panel"])
        return due


def procedure(
    rec: PatientRecord, enc: Encounter, key: str, when: datetime, module: str | None
) -> str:
    """Write a completed Procedure and remember when it was done; returns its text."""
    entry = rec.cfg.procedures[key]
    minutes = int(entry.get("minutes", 15))
    rec.out.append(
        b.procedure(
            rec.ids.next("Procedure"),
            rec.p.id,
            enc.id,
            entry,
            iso(when),
            iso(when + timedelta(minutes=minutes)),
            rec.practitioner_ref(enc),
            rec.problem_ref(module),
        )
    )
    rec.last_proc[key] = when
    return str(entry["text"])
