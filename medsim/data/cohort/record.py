"""One patient's chart as it is being written: the state the visit handlers share.

:class:`PatientRecord` owns the output list and every piece of running state — active problems,
active orders and their physiological effects, the latest measured values, what is due — and the
primitive writes (open an encounter, record vitals or a panel, diagnose, prescribe, stop). The
visit handlers (:mod:`visits`), treatment rules (:mod:`treatment`), preventive care
(:mod:`preventive`) and notes (:mod:`notes`) are written against it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from medsim.data.cohort import builders as b
from medsim.data.cohort.clock import add_days, iso, iso_date, months_between
from medsim.data.cohort.config import CohortConfig
from medsim.data.cohort.ids import IdAllocator
from medsim.data.cohort.physiology import Draw, Effect, Physiology
from medsim.data.cohort.population import Clinician, Directory, Person

Json = dict[str, Any]


@dataclass
class ActiveMed:
    """A medication the patient is currently taking."""

    key: str
    spec: Json
    resource: Json
    module: str | None
    started: datetime
    effects: list[Effect] = field(default_factory=list)
    rate_factor: float = 1.0  # multiplies the module's exacerbation rate


@dataclass
class Encounter:
    """The encounter currently being written."""

    id: str
    kind: str
    start: datetime
    end: datetime
    clinician: Clinician
    location: tuple[str, str, str]
    resource: Json
    measured: dict[str, tuple[float, str]] = field(default_factory=dict)  # name -> (value, flag)
    results: list[str] = field(default_factory=list)  # lines for the note
    changes: dict[str, list[str]] = field(default_factory=dict)  # module key -> sentences
    diagnoses: list[str] = field(default_factory=list)


class PatientRecord:
    """State and primitive writes of one patient's synthetic chart."""

    def __init__(
        self,
        cfg: CohortConfig,
        person: Person,
        directory: Directory,
        rng: random.Random,
        as_of: datetime,
        intensity: float,
        phys_rng: random.Random | None = None,
    ) -> None:
        self.cfg = cfg
        self.p = person
        self.dir = directory
        self.rng = rng
        self.as_of = as_of
        self.intensity = intensity
        self.ids = IdAllocator(person.number)
        self.phys = Physiology(
            cfg.physiology["variables"],
            cfg.physiology.get("target_spread", {}),
            phys_rng or rng,
            person.sex,
            person.birth_date,
        )
        self.out: list[Json] = []
        self.problems: dict[str, Json] = {}  # module key -> active Condition
        self.diagnosed: set[str] = set()
        self.meds: list[ActiveMed] = []
        self.latest: dict[str, tuple[float, datetime]] = {}
        self.history: dict[str, list[float]] = {}
        self.last_panel: dict[str, datetime] = {}
        self.last_proc: dict[str, datetime] = {}
        self.last_change: dict[str, datetime] = {}
        self.event_counts: dict[str, int] = {}
        self.avoid: set[str] = set()
        self.allergy_text: list[str] = []
        self.started = False
        self.busy_until: datetime | None = None

    # ---------------------------------------------------------------- encounters
    def open_encounter(
        self,
        kind: str,
        start: datetime,
        end: datetime,
        clinician: Clinician,
        location: tuple[str, str, str],
        reason: Json | None,
        extra: Json | None = None,
    ) -> Encounter:
        """Write an Encounter and make it current."""
        spec = self.cfg.encounters["kinds"][kind]
        rid = self.ids.next("Encounter")
        ptype = self.cfg.encounters["participant_types"][
            "attending" if kind == "inpatient" else "primary"
        ]
        res = b.encounter(
            rid,
            self.p.id,
            spec["class"],
            spec["type"],
            iso(start),
            iso(end),
            b.ref("Practitioner", clinician.id, clinician.name),
            ptype,
            b.ref("Location", location[0], location[1]),
            b.ref("Organization", location[2]),
            reason,
            extra,
        )
        self.out.append(res)
        return Encounter(rid, kind, start, end, clinician, location, res)

    def practitioner_ref(self, enc: Encounter) -> Json:
        return b.ref("Practitioner", enc.clinician.id, enc.clinician.name)

    # ---------------------------------------------------------------- observations
    def _flag(self, value: float, spec: Json) -> tuple[str, float | None, float | None]:
        rng_ = spec.get("range")
        if isinstance(rng_, dict):
            rng_ = rng_[self.p.sex]
        low, high = rng_ or [None, None]
        crit = spec.get("critical") or [None, None]
        if crit[0] is not None and value < crit[0]:
            flag = "LL"
        elif crit[1] is not None and value > crit[1]:
            flag = "HH"
        elif low is not None and value < low:
            flag = "L"
        elif high is not None and value > high:
            flag = "H"
        else:
            flag = "N"
        return flag, low, high

    def remember(self, name: str, value: float, when: datetime) -> None:
        self.latest[name] = (value, when)
        self.history.setdefault(name, []).append(value)

    def value_of(self, name: str, when: datetime, max_months: float = 15.0) -> float | None:
        """The latest measured value of ``name`` within ``max_months`` before ``when``."""
        got = self.latest.get(name)
        if got is None or months_between(got[1], when) > max_months:
            return None
        return got[0]

    def quantity_obs(
        self,
        enc: Encounter,
        cat: str,
        key: str,
        spec: Json,
        value: float,
        when: datetime,
        issued: datetime | None,
        ranges: bool,
    ) -> Json:
        """A valueQuantity Observation (lab, vital or survey score)."""
        code: Json = {"coding": [b.coding(b.LOINC, spec["loinc"], spec["display"])]}
        for extra in spec.get("extra_codings", []):
            code["coding"].append(b.coding(b.LOINC, extra[0], extra[1]))
        code["text"] = spec.get("short", spec.get("text", spec["display"]))
        res = b.observation(
            self.ids.next("Observation"),
            self.p.id,
            enc.id,
            cat,
            code,
            iso(when),
            iso(issued) if issued else None,
        )
        unit_display = str(spec.get("unit_display", spec["unit"]))
        res["valueQuantity"] = b.quantity(value, spec["unit"], unit_display)
        if ranges:
            flag, low, high = self._flag(value, spec)
            res["interpretation"] = b.interpretation(flag)
            if low is not None or high is not None:
                res["referenceRange"] = b.reference_range(low, high, spec["unit"], unit_display)
        self.out.append(res)
        return res

    def vitals(self, enc: Encounter, draw: Draw, set_name: str, when: datetime) -> None:
        """Record a vital-sign set from ``draw``."""
        catalog = self.cfg.vitals
        for key in self.cfg.vital_sets[set_name]:
            spec = catalog[key]
            if key == "blood_pressure":
                self._blood_pressure(enc, draw, spec, when)
                continue
            name = spec.get("name", spec.get("var", key))
            value = draw.measure(name, spec, catalog)
            cat = spec.get("category", "vital-signs")
            self.quantity_obs(enc, cat, key, spec, value, when, None, "range" in spec)
            self.remember(name, value, when)
            enc.measured[name] = (value, "N")

    def _blood_pressure(self, enc: Encounter, draw: Draw, spec: Json, when: datetime) -> None:
        code = b.concept(b.LOINC, spec["loinc"], spec["display"], spec["text"])
        res = b.observation(
            self.ids.next("Observation"), self.p.id, enc.id, "vital-signs", code, iso(when)
        )
        comps = []
        for comp in spec["components"]:
            value = draw.measure(comp["key"], comp, self.cfg.vitals)
            flag, _, _ = self._flag(value, comp)
            comps.append(
                {
                    "code": b.concept(b.LOINC, comp["loinc"], comp["display"]),
                    "valueQuantity": b.quantity(value, comp["unit"], comp["unit_display"]),
                    "interpretation": b.interpretation(flag),
                }
            )
            self.remember(comp["key"], value, when)
            enc.measured[comp["key"]] = (value, flag)
        res["component"] = comps
        self.out.append(res)

    def panel(self, enc: Encounter, draw: Draw, panel_key: str, when: datetime) -> list[Json]:
        """Result a lab panel: its Observations and (if the panel says so) a DiagnosticReport."""
        panel = self.cfg.panels[panel_key]
        issued = when + timedelta(minutes=self.rng.randint(45, 300))
        obs: list[Json] = []
        abnormal: list[str] = []
        for test in panel["tests"]:
            spec = self.cfg.labs[test]
            value = draw.measure(test, spec, self.cfg.labs)
            res = self.quantity_obs(enc, "laboratory", test, spec, value, when, issued, True)
            flag = res["interpretation"][0]["coding"][0]["code"]
            obs.append(res)
            self.remember(test, value, when)
            enc.measured[test] = (value, flag)
            unit = spec.get("unit_display", spec["unit"])
            text = f"{spec['short']} {value:.{int(spec['decimals'])}f} {unit}" + (
                "" if flag == "N" else f" ({flag})"
            )
            enc.results.append(text)
            if flag != "N":
                abnormal.append(text)
        self.last_panel[panel_key] = when
        if panel.get("report"):
            conclusion = (
                ("Abnormal: " + "; ".join(abnormal)) if abnormal else "Within reference limits."
            )
            performer = b.ref(
                "Organization",
                self.dir.organizations["hospital"],
                self.dir.org_names[self.dir.organizations["hospital"]],
            )
            self.out.append(
                b.diagnostic_report(
                    self.ids.next("DiagnosticReport"),
                    self.p.id,
                    enc.id,
                    b.concept(b.LOINC, panel["loinc"], panel["display"], panel["short"]),
                    iso(when),
                    iso(issued),
                    [o["id"] for o in obs],
                    performer,
                    conclusion,
                )
            )
        return obs

    def panel_due(self, panel_key: str, every_months: float, when: datetime) -> bool:
        last = self.last_panel.get(panel_key)
        return last is None or months_between(last, when) >= 0.85 * every_months

    # ---------------------------------------------------------------- conditions
    def diagnose(
        self,
        enc: Encounter,
        key: str,
        category: str,
        onset: datetime | str,
        abatement: datetime | None = None,
    ) -> Json:
        """Write a Condition (``abatement`` makes it resolved)."""
        onset_text = onset if isinstance(onset, str) else iso(onset)
        status = "active" if abatement is None or abatement > self.as_of else "resolved"
        res = b.condition(
            self.ids.next("Condition"),
            self.p.id,
            enc.id,
            self.cfg.conditions[key],
            category,
            onset_text,
            iso(enc.start),
            self.practitioner_ref(enc),
            status,
            iso(abatement) if abatement and status == "resolved" else None,
        )
        self.out.append(res)
        enc.diagnoses.append(self.cfg.conditions[key]["text"])
        return res

    def end_problem(self, module_key: str, when: datetime, status: str = "inactive") -> None:
        """Mark a problem-list Condition inactive/resolved from ``when``."""
        res = self.problems.pop(module_key, None)
        if res is not None:
            res["clinicalStatus"] = {
                "coding": [b.coding(b.COND_CLINICAL, status, status.capitalize())]
            }
            res["abatementDateTime"] = iso(when)

    # ---------------------------------------------------------------- medications
    def active_class(self, cls: str) -> ActiveMed | None:
        return next((m for m in self.meds if m.spec["class"] == cls), None)

    def resolve_allergy(self, key: str) -> str | None:
        """``key``, or its alternative when the patient is allergic to the ingredient."""
        seen: set[str] = set()
        while key not in seen:
            seen.add(key)
            spec = self.cfg.medications[key]
            if spec["ingredient"] not in self.avoid:
                return key
            if "alternative" not in spec:
                return None
            key = spec["alternative"]
        return None

    def prescribe(
        self,
        enc: Encounter,
        key: str,
        when: datetime,
        module: str | None,
        reason: Json | None,
        category: str = "outpatient",
        days: float | None = None,
        track: bool = True,
    ) -> ActiveMed | None:
        """Order ``key`` (or its allergy alternative). Chronic orders replace any active drug of
        the same class; ``days`` makes a finished short course instead."""
        resolved = self.resolve_allergy(key)
        if resolved is None:
            return None
        spec = self.cfg.medications[resolved]
        freq = self.cfg.frequencies[spec["frequency"]]
        route = self.cfg.routes[spec["route"]]
        name = spec["ingredient"]
        dose = spec["dose"]
        unit = dose[2] if len(dose) > 2 else dose[1]
        sentence = f"Started {name} {dose[0]:g} {unit} {freq['text']}"
        if track:
            old = self.active_class(spec["class"])
            if old is not None:
                if old.key == resolved:
                    return None
                if old.spec["ingredient"] == name:
                    sentence = f"Changed {name} dose to {dose[0]:g} {unit} {freq['text']}"
                else:
                    sentence = f"Switched {old.spec['ingredient']} to {name} {dose[0]:g} {unit}"
                self.stop(old, when, f"Changed to {spec['display']}", note=False)
        course = days if days is not None else spec.get("days")
        status = "active" if track and course is None else "completed"
        extra: Json = {
            "dispenseRequest": {
                "numberOfRepeatsAllowed": 3 if status == "active" else 0,
                "quantity": {"value": float(spec["quantity"])},
            }
        }
        res = b.medication_request(
            self.ids.next("MedicationRequest"),
            self.p.id,
            enc.id,
            spec,
            route,
            freq,
            iso(when),
            self.practitioner_ref(enc),
            status,
            category,
            reason,
            extra,
        )
        bounds: Json = {"start": iso(when)}
        if course is not None:
            bounds["end"] = iso(add_days(when, float(course)))
        res["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"] = bounds
        self.out.append(res)
        if module is not None:
            enc.changes.setdefault(module, []).append(sentence + ".")
        if status != "active":
            return None
        med = ActiveMed(resolved, spec, res, module, when)
        self._apply_effects(med, when)
        self.meds.append(med)
        return med

    def _apply_effects(self, med: ActiveMed, when: datetime) -> None:
        modes = self.cfg.physiology["variables"]
        for name, value in med.spec.get("effects", {}).items():
            if name == "exacerbation_rate":
                med.rate_factor *= 1.0 + float(value)
                continue
            var, _, op = name.partition(".")
            op = op or modes[var]["mode"]
            med.effects.append(self.phys.add(Effect(var, op, float(value), when)))

    def stop(
        self,
        med: ActiveMed,
        when: datetime,
        reason: str,
        status: str = "stopped",
        note: bool = True,
        enc: Encounter | None = None,
    ) -> None:
        """End an active order (its effects end too)."""
        med.resource["status"] = status
        med.resource["statusReason"] = {"text": reason}
        med.resource["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]["end"] = iso(when)
        for eff in med.effects:
            eff.end = when
        self.meds.remove(med)
        if note and enc is not None and med.module is not None:
            enc.changes.setdefault(med.module, []).append(
                f"Stopped {med.spec['ingredient']}: {reason}."
            )

    def renew(self, enc: Encounter, med: ActiveMed, when: datetime) -> None:
        """Complete a year-old order and write its renewal (the drug continues)."""
        old = med.resource
        old["status"] = "completed"
        old["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]["end"] = iso(when)
        new = {
            **old,
            "id": self.ids.next("MedicationRequest"),
            "status": "active",
            "encounter": b.ref("Encounter", enc.id),
            "authoredOn": iso(when),
            "requester": self.practitioner_ref(enc),
            "priorPrescription": b.ref("MedicationRequest", old["id"]),
        }
        new.pop("statusReason", None)
        dosage = {**old["dosageInstruction"][0]}
        dosage["timing"] = {
            **dosage["timing"],
            "repeat": {**dosage["timing"]["repeat"], "boundsPeriod": {"start": iso(when)}},
        }
        new["dosageInstruction"] = [dosage]
        self.out.append(new)
        med.resource = new
        med.started = when

    def problem_ref(self, module: str | None) -> Json | None:
        if module is None or module not in self.problems:
            return None
        cond = self.problems[module]
        return b.ref("Condition", cond["id"], cond["code"]["text"])

    def today(self, when: datetime) -> str:
        return iso_date(when)
