"""Hospital care: emergency department visits and the admissions that follow some of them.

An emergency visit records triage vitals, the event's labs (with repeats, e.g. serial troponin),
procedures and ED medications; an admission adds flowsheet vitals every few hours, daily labs,
fingerstick glucose for diabetics, inpatient orders with VTE prophylaxis, an H&P, daily progress
notes and a discharge summary.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from medsim.data.cohort import builders as b
from medsim.data.cohort import treatment as tx
from medsim.data.cohort.clock import (
    add_days,
    at_clock,
)
from medsim.data.cohort.notes import fill
from medsim.data.cohort.planner import Visit
from medsim.data.cohort.preventive import procedure
from medsim.data.cohort.record import Encounter
from medsim.data.cohort.sim_base import SimulatorBase, _pick, _sentence

Data = dict[str, Any]
Json = dict[str, Any]


class HospitalCare(SimulatorBase):
    """Emergency and inpatient handling."""

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
