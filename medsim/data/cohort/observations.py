"""Writing Observations and DiagnosticReports: vitals, lab panels, flags and reference ranges."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from medsim.data.cohort import builders as b
from medsim.data.cohort.clock import iso, months_between
from medsim.data.cohort.entities import ChartState, Encounter
from medsim.data.cohort.physiology import Draw

Json = dict[str, Any]


class ObservationWriter(ChartState):
    """Vitals and laboratory results of the chart."""

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
