"""Simulate one patient's planned encounters in time order.

:class:`PatientSimulator` walks the calendar from :mod:`planner`: clinic visits (annual,
follow-up, problem, specialist, telehealth, acute illness), emergency visits and hospital stays.
At each it records what a real chart would hold — vitals, due lab panels with reports, new
problems, medication changes, procedures, immunizations, the note — with every value read from
the patient's latent physiology at that moment.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from medsim.data.cohort import builders as b
from medsim.data.cohort import treatment as tx
from medsim.data.cohort.clock import (
    add_days,
    at_clock,
    iso,
    iso_date,
    months_between,
    years_between,
)
from medsim.data.cohort.notes import NoteWriter, fill
from medsim.data.cohort.physiology import Effect
from medsim.data.cohort.planner import ChronicPlan, Visit
from medsim.data.cohort.preventive import Preventive, procedure
from medsim.data.cohort.record import Encounter, PatientRecord

Data = dict[str, Any]
Json = dict[str, Any]
CLINIC_KINDS = ("wellness", "followup", "problem", "specialist", "telehealth", "acute")


def _sentence(text: str) -> str:
    """Upper-case the first letter only (keeps "COVID-19" intact)."""
    return text[:1].upper() + text[1:]


def _pick(rng: random.Random, span: list[float]) -> float:
    return rng.uniform(float(span[0]), float(span[1]))


class PatientSimulator:
    """Runs one patient's visits against a :class:`PatientRecord`."""

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

    def run(self, visits: list[Visit]) -> list[Json]:
        """Simulate every visit; returns the patient's resources in chart order."""
        for v in visits:
            rec = self.rec
            if v.start >= rec.as_of or (rec.busy_until is not None and v.start < rec.busy_until):
                continue
            if v.event is not None and v.module is not None:
                factor = tx.exacerbation_factor(rec, v.module["key"])
                if v.module["key"] not in rec.diagnosed or rec.rng.random() >= factor:
                    continue
            if v.kind in ("emergency", "inpatient"):
                ed, los = self.emergency(v, admit=v.kind == "inpatient")
                if v.kind == "inpatient":
                    self.admission(v, ed, los)
            else:
                self.clinic(v)
        return self.rec.out

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

    # ------------------------------------------------------------------ clinic visits
    def _clinician_for(self, v: Visit) -> tuple[Any, tuple[str, str, str]]:
        p = self.rec.p
        if v.kind == "specialist" and v.specialty:
            if v.specialty not in p.specialists:
                p.specialists[v.specialty] = self.rec.rng.choice(
                    self.rec.dir.clinicians[v.specialty]
                )
            return p.specialists[v.specialty], self.rec.dir.locations["specialty_clinic"][0]
        return p.pcp, p.clinic

    def clinic(self, v: Visit) -> None:
        rec, cfg, t = self.rec, self.cfg, v.start
        spec = cfg.encounters["kinds"][v.kind]
        clinician, location = self._clinician_for(v)
        end = t + timedelta(minutes=rec.rng.randint(*spec["minutes"]))
        reason = None
        if v.event is not None:
            reason = self._reason(v.event["condition"])
        elif v.module is not None:
            reason = self._reason(v.module["condition"])
        enc = rec.open_encounter(v.kind, t, end, clinician, location, reason)
        self.first_contact(enc, t)
        new = [
            p.module
            for p in self.plans
            if not p.historical
            and p.onset.date() <= t.date()
            and p.module["key"] not in rec.diagnosed
        ]
        if v.event is not None:
            self.start_event(v.event, add_days(t, -2), add_days(t, 6))
        draw = rec.phys.draw(t)
        if spec["vitals"] != "none":
            rec.vitals(enc, draw, spec["vitals"], t + timedelta(minutes=3))
        labs_at = t + timedelta(minutes=12)
        modules = self.diagnosed_modules() + new
        panels: list[str] = []
        if v.kind != "telehealth":
            for mod in modules:
                for mon in mod.get("monitoring", []):
                    if "if_med" in mon and not any(m.key == mon["if_med"] for m in rec.meds):
                        continue
                    every = float(mon["every_months"]) / max(1.0, rec.intensity) ** 0.5
                    if mon["panel"] not in panels and rec.panel_due(mon["panel"], every, t):
                        panels.append(mon["panel"])
            if v.kind == "wellness":
                panels += [p for p in self.prev.wellness_panels(enc, t) if p not in panels]
            if v.event is not None:
                panels += [p for p in v.event.get("labs", []) if p not in panels]
            for panel in panels:
                rec.panel(enc, draw, panel, labs_at)
        for name, (value, _flag) in enc.measured.items():
            self.clinic_values.setdefault(name, []).append(value)
        if v.kind == "wellness":
            self._smoking(enc, t + timedelta(minutes=4))
        tx.apply_safety(rec, enc, t)
        tx.apply_findings(rec, enc, labs_at)
        measured = tx.measured_lookup(rec, t)
        for mod in new:
            key = mod["key"]
            onset = next(p.onset for p in self.plans if p.module is mod)
            rec.problems[key] = rec.diagnose(
                enc, self._problem_key(mod, measured), "problem-list-item", iso_date(min(onset, t))
            )
            rec.diagnosed.add(key)
            tx.start_module(rec, enc, mod, t, measured)
        focus = [v.module] if v.kind == "specialist" and v.module else self.diagnosed_modules()
        for mod in focus:
            self._restage(enc, mod, t)
            if mod not in new:
                tx.adjust_module(rec, enc, mod, t, measured)
        if v.kind in ("wellness", "followup", "specialist"):
            tx.renew_due(rec, enc, t)
        done: list[str] = []
        screened = False
        if v.kind == "wellness":
            done += self.prev.screen(enc, t)
            screened = any("PHQ-9" in d for d in done)
        if v.kind in ("wellness", "followup", "problem", "acute"):
            done += [f"{n} vaccine given" for n in self.prev.immunize(enc, t)]
        if v.kind != "telehealth" and (screened or any(m.get("surveys") for m in modules)):
            self._phq9(enc, draw, t + timedelta(minutes=6))
        if v.kind != "telehealth":
            done += self._module_procedures(
                enc, focus if v.kind == "specialist" else modules, new, t
            )
        course = ""
        if v.event is not None:
            course = self._clinic_event(enc, v.event, t, end)
        self._clinic_note(v, enc, t, new, focus, done, course)

    def _module_procedures(
        self, enc: Encounter, modules: list[Data], new: list[Data], t: datetime
    ) -> list[str]:
        rec, done = self.rec, []
        for mod in modules:
            for item in mod.get("procedures", []):
                key = item["key"]
                if item.get("at_diagnosis"):
                    due = mod in new
                else:
                    last = rec.last_proc.get(key)
                    due = last is None or months_between(last, t) >= float(item["every_months"])
                if due and rec.rng.random() < float(item["probability"]):
                    done.append(procedure(rec, enc, key, t + timedelta(minutes=20), mod["key"]))
        return done

    def _clinic_event(self, enc: Encounter, event: Data, t: datetime, end: datetime) -> str:
        rec = self.rec
        self.event_condition(enc, event, t, end)
        if enc.kind != "telehealth":
            for key in event.get("clinic_procedures", []):
                procedure(rec, enc, key, t + timedelta(minutes=15), None)
        for med in event.get("outpatient_meds", []):
            rec.prescribe(enc, med, t, event["key"], None, track=False)
        started = enc.changes.pop(event["key"], [])
        return " ".join(filter(None, [event.get("course", ""), *started]))

    def _clinic_note(
        self,
        v: Visit,
        enc: Encounter,
        t: datetime,
        new: list[Data],
        focus: list[Data],
        done: list[str],
        course: str,
    ) -> None:
        n, phr = self.notes, self.notes.phrase
        vals = n.values(t)
        doc_kind = "consult" if v.kind == "specialist" else "progress"
        base = n.base_fields(enc, t, doc_kind)
        kind = v.kind if v.event is None else "acute"
        fields: dict[str, Any] = dict(base)
        if v.event is not None:
            fields["event_hpi"] = fill(v.event["hpi"], {**fields, **self.event_fields(v.event)})
            cc = _sentence(v.event["chief_complaint"]) + "."
            hpi = fill(phr("acute_hpi"), fields)
        elif kind == "problem" and new:
            fields["problem_names"] = ", ".join(m["key"].replace("_", " ") for m in new)
            cc = fill(phr("problem_cc"), fields)
            hpi = fill(phr("problem_hpi"), fields)
        elif kind == "specialist":
            fields["problem_names"] = str(
                self.cfg.conditions[focus[0]["condition"]]["text"]
            ).lower()
            cc = _sentence(fields["problem_names"])
            hpi = fill(phr("specialist_hpi"), fields)
        else:
            fields["chronic_summary"] = (
                fill(phr("chronic_summary"), fields) if self.rec.problems else phr("no_chronic")
            )
            cc = fill(phr(f"{'wellness' if kind == 'wellness' else 'followup'}_cc"), fields)
            hpi = fill(
                phr(f"{kind}_hpi" if kind in ("wellness", "telehealth") else "followup_hpi"), fields
            )
        extra_hpi = [n.module_hpi(m, vals) for m in (focus if v.event is None else [])][:4]
        assessment: list[str] = []
        if v.event is not None:
            assessment.append(f"{self.cfg.conditions[v.event['condition']]['text']}: {course}")
        for mod in focus if v.event is None else []:
            assessment.append(n.module_assessment(mod, enc, t, vals))
        if enc.diagnoses and v.event is None:
            extra = [
                d
                for d in enc.diagnoses
                if d not in {self.cfg.conditions[m["condition"]]["text"] for m in focus}
            ]
            if extra:
                assessment.append("Additional findings: " + "; ".join(extra) + ".")
        if done:
            assessment.append("Health maintenance / procedures: " + "; ".join(done) + ".")
        months = min(
            [float(m.get("follow_up_months", 12)) for m in self.diagnosed_modules()] or [12.0]
        )
        fields.update(
            {
                "chief_complaint": cc,
                "hpi": " ".join([hpi, *extra_hpi]).strip(),
                "assessment": "\n".join(f"{i}. {a}" for i, a in enumerate(assessment, 1))
                or "1. Healthy adult; continue routine preventive care.",
                "followup": fill(phr("followup_default"), {"followup_months": f"{months:g}"}),
                "specialty_name": (
                    self.cfg.facilities["specialties"][v.specialty]["taxonomy"][1]
                    if v.specialty
                    else ""
                ),
                "referring": f"Dr. {self.rec.p.pcp.name}",
            }
        )
        self.notes.write(enc, doc_kind, enc.end - timedelta(minutes=2), fields)

    # ------------------------------------------------------------------ hospital care
    def emergency(self, v: Visit, admit: bool) -> tuple[Encounter, float]:
        """An emergency department visit for ``v.event`` (admitted or sent home)."""
        rec, event, t = self.rec, v.event or {}, v.start
        minutes = rec.rng.randint(*self.cfg.encounters["kinds"]["emergency"]["minutes"])
        end = t + timedelta(minutes=minutes)
        doctor = rec.rng.choice(rec.dir.clinicians["emergency_medicine"])
        enc = rec.open_encounter(
            "emergency",
            t,
            end,
            doctor,
            rec.dir.locations["ed"][0],
            self._reason(event["condition"]),
        )
        self.first_contact(enc, t)
        los = _pick(rec.rng, event.get("los_days", [2, 4])) if admit else 0.0
        self.start_event(event, add_days(t, -1), add_days(end, los + 1.5))
        draw = rec.phys.draw(t)
        rec.vitals(enc, draw, "triage", t + timedelta(minutes=5))
        for panel in event.get("labs", []):
            rec.panel(enc, draw, panel, t + timedelta(minutes=25))
        for panel in event.get("repeat_labs", []):
            rec.panel(enc, rec.phys.draw(t + timedelta(hours=3)), panel, t + timedelta(hours=3))
        tx.apply_findings(rec, enc, t + timedelta(minutes=25))
        for key in event.get("procedures", []):
            procedure(
                rec, enc, key, t + timedelta(minutes=40), v.module["key"] if v.module else None
            )
        for med in event.get("ed_meds", []):
            rec.prescribe(
                enc, med, t + timedelta(minutes=45), None, None, "inpatient", days=0.2, track=False
            )
        fields = self.event_fields(event)
        if not admit:
            self.event_condition(enc, event, t, end)
            for med in event.get("outpatient_meds", []):
                rec.prescribe(enc, med, end, event["key"], None, "discharge", track=False)
        disposition = self.notes.notes["phrases"]["dispositions"]["admit" if admit else "home"]
        course = (
            f"Admitted to the hospitalist service for {event['chief_complaint']}."
            if admit
            else event.get("course", "Symptoms improved; discharged home.")
        )
        notes_fields = {
            "chief_complaint": _sentence(event["chief_complaint"]),
            "hpi": fill(event["hpi"], {**fields}),
            "course": " ".join([course, *enc.changes.pop(event["key"], [])]),
            "diagnosis": self.cfg.conditions[event["condition"]]["text"],
            "disposition": disposition,
        }
        self.notes.write(enc, "ed", end - timedelta(minutes=5), notes_fields)
        rec.busy_until = end
        return enc, los

    def admission(self, v: Visit, ed: Encounter, los: float) -> None:
        """A hospital stay after ``ed``: flowsheet vitals, daily labs, notes, discharge."""
        rec, cfg, event = self.rec, self.cfg, v.event or {}
        admit = ed.end + timedelta(minutes=30)
        days = max(1, round(los))
        discharge = at_clock(
            add_days(admit, days), rec.rng.randint(10, 15), rec.rng.choice([0, 30])
        )
        ward = rec.dir.location_keys[event.get("ward", "ward_medicine")]
        doctor = rec.rng.choice(rec.dir.clinicians["hospitalist"])
        disp = cfg.encounters["discharge_dispositions"]["home"]
        src = cfg.encounters["admit_sources"]["emergency"]
        extra = {
            "hospitalization": {
                "admitSource": b.concept(
                    "http://terminology.hl7.org/CodeSystem/admit-source", src[0], src[1]
                ),
                "dischargeDisposition": b.concept(
                    "http://terminology.hl7.org/CodeSystem/discharge-disposition", disp[0], disp[1]
                ),
            },
            "length": {"value": days, "unit": "days", "system": b.UCUM, "code": "d"},
        }
        enc = rec.open_encounter(
            "inpatient", admit, discharge, doctor, ward, self._reason(event["condition"]), extra
        )
        self.event_condition(enc, event, admit, discharge)
        egfr = rec.value_of("egfr", admit)
        vte = "enoxaparin_40" if egfr is None or egfr >= 30 else "heparin_5000"
        for med in [*event.get("inpatient_meds", []), vte]:
            rec.prescribe(
                enc,
                med,
                admit + timedelta(hours=1),
                None,
                None,
                "inpatient",
                days=days,
                track=False,
            )
        for key in event.get("inpatient_procedures", []):
            procedure(rec, enc, key, admit + timedelta(hours=2), None)
        enc.results = list(ed.results)
        hp_fields = {
            "chief_complaint": _sentence(event["chief_complaint"]),
            "hpi": fill(event["hpi"], self.event_fields(event)),
            "vitals": self.notes.vitals(ed),
            "vte": self.notes.phrase("vte_prophylaxis"),
            "assessment": f"1. {cfg.conditions[event['condition']]['text']}. "
            f"{event.get('course', '')}".strip(),
        }
        self.notes.write(enc, "hp", admit + timedelta(hours=1), hp_fields)
        self._hospital_days(enc, event, admit, discharge, days)
        enc.results = []
        final = rec.phys.draw(discharge - timedelta(hours=3))
        rec.vitals(enc, final, "flowsheet", discharge - timedelta(hours=3))
        for panel in event.get("daily_labs", [])[:1]:
            rec.panel(enc, final, panel, discharge - timedelta(hours=4))
        self.notes.write(
            enc,
            "discharge",
            discharge,
            {
                "admit_date": admit.strftime("%A, %B %d, %Y %H:%M"),
                "los": str(days),
                "diagnosis": cfg.conditions[event["condition"]]["text"],
                "course": event.get("course", "Improved with treatment."),
                "disposition": "Home.",
                "followup": f"Primary care (Dr. {rec.p.pcp.name}) within 7 days; repeat labs at that visit.",
            },
        )
        rec.busy_until = discharge

    def _hospital_days(
        self, enc: Encounter, event: Data, admit: datetime, discharge: datetime, days: int
    ) -> None:
        rec = self.rec
        every = max(2.0, float(self.cfg.preventive["inpatient_vitals_every_hours"]) / rec.intensity)
        t = admit + timedelta(hours=2)
        while t < discharge - timedelta(hours=4):
            rec.vitals(enc, rec.phys.draw(t), "flowsheet", t)
            t += timedelta(hours=every)
        daily_weight = any(
            "daily_weight" in m.get("inpatient_vitals", []) for m in self.diagnosed_modules()
        )
        poc = [p for m in self.diagnosed_modules() for p in m.get("inpatient_panels", [])]
        for day in range(1, days + 1):
            morning = at_clock(add_days(admit, day), 5, 30)
            if morning >= discharge:
                break
            enc.results, enc.measured = [], {}
            draw = rec.phys.draw(morning)
            if daily_weight:
                rec.vitals(enc, draw, "daily_weight", morning)
            for panel in event.get("daily_labs", []):
                rec.panel(enc, draw, panel, morning)
            for hour in (7, 11, 16, 21) if poc else ():
                when = at_clock(add_days(admit, day), hour, 30)
                if when < discharge:
                    for panel in poc:
                        rec.panel(enc, rec.phys.draw(when), panel, when)
            tx.apply_findings(rec, enc, morning)
            self.notes.write(
                enc,
                "inpatient_progress",
                at_clock(morning, 10, 15),
                {
                    "hospital_day": str(day + 1),
                    "subjective": self.notes.phrase("subjective"),
                    "vitals": self.notes.vitals(enc) if enc.measured else "Stable overnight.",
                    "assessment": f"1. {self.cfg.conditions[event['condition']]['text']}: improving. "
                    f"Continue current management; anticipate discharge in "
                    f"{max(1, (discharge - morning).days)} day(s).",
                },
                period=(enc.start, enc.end),
            )
