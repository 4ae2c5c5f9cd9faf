"""Medication orders: prescribe (with allergy alternatives and same-class replacement), stop,
renew; each active drug's physiological effects start and end with its order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from medsim.data.cohort import builders as b
from medsim.data.cohort.clock import add_days, iso
from medsim.data.cohort.entities import ActiveMed, ChartState, Encounter
from medsim.data.cohort.physiology import Effect

Json = dict[str, Any]


class MedicationOrders(ChartState):
    """Medication orders of the chart."""

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
