"""Clinic encounters: annual, follow-up, problem, specialist, telehealth and acute visits.

Each records vitals, the lab panels that are due (module monitoring, wellness panels, event labs),
new diagnoses and the treatment they start, escalations on measured values, renewals, preventive
care and procedures, then a progress or consult note written from those same values.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from medsim.data.cohort import treatment as tx
from medsim.data.cohort.clock import (
    add_days,
    iso_date,
    months_between,
)
from medsim.data.cohort.notes import fill
from medsim.data.cohort.planner import Visit
from medsim.data.cohort.preventive import procedure
from medsim.data.cohort.record import Encounter
from medsim.data.cohort.sim_base import SimulatorBase, _sentence

Data = dict[str, Any]
Json = dict[str, Any]


class ClinicVisits(SimulatorBase):
    """Clinic visit handling."""

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
