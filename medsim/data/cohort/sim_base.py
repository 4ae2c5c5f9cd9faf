"""Shared state and steps of the per-patient simulation (used by clinic and hospital visits).

:class:`SimulatorBase` applies the planned diseases to the latent physiology, documents what
predates the record at the first encounter (allergies, long-standing problems and their drugs),
keeps staged problems (CKD) current, and writes the small recurring pieces (event diagnoses,
PHQ-9, smoking status).
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from medsim.data.cohort import builders as b
from medsim.data.cohort import treatment as tx
from medsim.data.cohort.clock import (
    add_days,
    iso,
    iso_date,
    years_between,
)
from medsim.data.cohort.notes import NoteWriter
from medsim.data.cohort.physiology import Effect
from medsim.data.cohort.planner import ChronicPlan
from medsim.data.cohort.preventive import Preventive
from medsim.data.cohort.record import Encounter, PatientRecord

Data = dict[str, Any]
Json = dict[str, Any]


def _sentence(text: str) -> str:
    """Upper-case the first letter only (keeps "COVID-19" intact)."""
    return text[:1].upper() + text[1:]


def _pick(rng: random.Random, span: list[float]) -> float:
    return rng.uniform(float(span[0]), float(span[1]))


class SimulatorBase:
    """State shared by the visit handlers of one patient."""

    def __init__(
        self,
        rec: PatientRecord,
        plans: list[ChronicPlan],
        effect_rng: random.Random,
        record_start: datetime,
    ) -> None:
        self.rec = rec
        self.cfg = rec.cfg
        self.plans = plans
        self.record_start = record_start
        self.notes = NoteWriter(rec)
        self.prev = Preventive(rec)
        self.stage: dict[str, int] = {}
        self.clinic_values: dict[str, list[float]] = {}
        for plan in plans:
            self._apply_disease(plan, effect_rng)

    # ------------------------------------------------------------------ setup
    def _apply_disease(self, plan: ChronicPlan, rng: random.Random) -> None:
        phys, onset = self.rec.phys, plan.onset
        for var, ops in plan.module.get("effects", {}).items():
            for op, val in ops.items():
                x = _pick(rng, val) if isinstance(val, list) else float(val)
                if op == "anchor":  # decline over two years to reach x at onset
                    delta = x - phys.true_value(var, onset)
                    phys.add(Effect(var, "slope", delta / 2.0, add_days(onset, -730), onset))
                else:
                    phys.add(Effect(var, op, x, onset))
        for var, span in plan.module.get("slopes", {}).items():
            phys.add(Effect(var, "slope", _pick(rng, span), onset))

    # ------------------------------------------------------------------ shared steps
    def first_contact(self, enc: Encounter, when: datetime) -> None:
        """Allergies and problems that predate the record, documented at the first encounter."""
        rec = self.rec
        if rec.started:
            return
        rec.started = True
        self._allergies(enc, when)
        for plan in self.plans:
            if plan.historical:
                key = plan.module["key"]
                cond = self._problem_key(plan.module, tx.true_lookup(rec, when))
                rec.problems[key] = rec.diagnose(
                    enc, cond, "problem-list-item", iso_date(plan.onset)
                )
                rec.diagnosed.add(key)
                tx.catch_up(rec, enc, plan.module, when, years_between(plan.onset, when))

    def _allergies(self, enc: Encounter, when: datetime) -> None:
        rec = self.rec
        found = [
            (k, a)
            for k, a in self.cfg.allergies.items()
            if rec.rng.random() < float(a["prevalence"])
        ]
        recorder = rec.practitioner_ref(enc)
        base: Json = {
            "resourceType": "AllergyIntolerance",
            "clinicalStatus": {
                "coding": [
                    b.coding(
                        "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
                        "active",
                        "Active",
                    )
                ]
            },
            "verificationStatus": {
                "coding": [
                    b.coding(
                        "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification",
                        "confirmed",
                        "Confirmed",
                    )
                ]
            },
            "patient": b.ref("Patient", rec.p.id),
            "encounter": b.ref("Encounter", enc.id),
            "recordedDate": iso(when),
            "recorder": recorder,
        }
        if not found:
            nka = self.cfg.no_known_allergy
            rec.out.append(
                {
                    **base,
                    "id": rec.ids.next("AllergyIntolerance"),
                    "code": b.concept(nka[0], nka[1], nka[2]),
                }
            )
            return
        for _key, a in found:
            reactions = [
                {"manifestation": [b.concept(b.SNOMED, r[0], r[1])], "severity": r[2]}
                for r in a["reactions"][: 1 + (a["criticality"] == "high")]
            ]
            rec.out.append(
                {
                    **base,
                    "id": rec.ids.next("AllergyIntolerance"),
                    "type": a["type"],
                    "category": [a["category"]],
                    "criticality": a["criticality"],
                    "code": b.concept(a["code"][0], a["code"][1], a["code"][2], a["text"]),
                    "reaction": reactions,
                }
            )
            rec.avoid.update(a["avoid"])
            rec.allergy_text.append(f"{a['text']} ({a['reactions'][0][1].split(' (')[0].lower()})")

    def _problem_key(self, module: Data, lookup: tx.Lookup) -> str:
        staging = module.get("staging")
        if not staging:
            return str(module["condition"])
        value = lookup(staging["lab"])
        idx = 0
        if value is not None:
            idx = next(i for i, (lo, _) in enumerate(staging["stages"]) if value >= lo)
        self.stage[module["key"]] = idx
        return str(staging["stages"][idx][1])

    def _restage(self, enc: Encounter, module: Data, when: datetime) -> None:
        staging = module.get("staging")
        key = module["key"]
        hist = self.clinic_values.get(staging["lab"], []) if staging else []
        if not staging or key not in self.rec.problems or len(hist) < 2:
            return
        stages = staging["stages"]
        # the stage both of the last two outpatient values agree on (one bad value is not enough)
        worst = min(next(i for i, (lo, _) in enumerate(stages) if v >= lo) for v in hist[-2:])
        if worst <= self.stage.get(key, 0):
            return
        self.stage[key] = worst
        self.rec.end_problem(key, when)
        self.rec.problems[key] = self.rec.diagnose(enc, stages[worst][1], "problem-list-item", when)
        enc.changes.setdefault(key, []).append(
            f"Problem list updated to {self.cfg.conditions[stages[worst][1]]['text']}."
        )

    def start_event(self, event: Data, start: datetime, end: datetime) -> None:
        for var, ops in event.get("effects", {}).items():
            for op, val in ops.items():
                self.rec.phys.add(Effect(var, op, float(val), start, end, decay=True))

    def event_condition(self, enc: Encounter, event: Data, when: datetime, until: datetime) -> None:
        resolve = add_days(until, _pick(self.rec.rng, event.get("resolves_days", [7, 14])))
        self.rec.diagnose(enc, event["condition"], "encounter-diagnosis", when, abatement=resolve)
        self.rec.event_counts[event["key"]] = self.rec.event_counts.get(event["key"], 0) + 1

    def event_fields(self, event: Data) -> dict[str, str]:
        rng = self.rec.rng
        return {
            "onset_days": str(rng.randint(2, 6)),
            "onset_hours": str(rng.randint(2, 10)),
            "weight_gain": str(rng.randint(2, 5)),
            "tmax": f"{rng.uniform(38.2, 39.4):.1f}",
        }

    def _reason(self, key: str) -> Json:
        c = self.cfg.conditions[key]
        return b.concept(b.SNOMED, c["snomed"][0], c["snomed"][1], c["text"])

    def _phq9(self, enc: Encounter, draw: Any, when: datetime) -> None:
        spec = self.cfg.surveys["phq9"]
        value = draw.measure("phq9", spec, self.cfg.surveys)
        self.rec.quantity_obs(enc, "survey", "phq9", spec, value, when, None, False)
        self.rec.remember("phq9", value, when)
        enc.measured["phq9"] = (value, "N")

    def _smoking(self, enc: Encounter, when: datetime) -> None:
        spec = self.cfg.social["smoking_status"]
        val = spec["values"][self.rec.p.smoking]
        res = b.observation(
            self.rec.ids.next("Observation"),
            self.rec.p.id,
            enc.id,
            "social-history",
            b.concept(b.LOINC, spec["loinc"], spec["display"]),
            iso(when),
        )
        res["valueCodeableConcept"] = b.concept(b.SNOMED, val[0], val[1])
        self.rec.out.append(res)

    def diagnosed_modules(self) -> list[Data]:
        return [p.module for p in self.plans if p.module["key"] in self.rec.diagnosed]
