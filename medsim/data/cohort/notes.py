"""Clinical notes written from the patient's own generated data.

Layouts and phrases come from ``terminology/notes.yaml``; per-problem assessment sentences from
each disease module's ``note`` section. Every number a note quotes (HbA1c, eGFR, blood pressure,
potassium, ...) is the value recorded as an Observation, so an agent that reads the note and one
that queries the labs see the same facts. Placeholders a template uses:

``{first_name} {patient_name} {age} {sex_word} {birth_date} {mrn} {provider} {credentials}
{facility} {location} {date_long} {date_short} {problems} {problem_names} {medications}
{allergies} {social} {vitals} {results} {assessment} {followup}`` plus any lab or vital by name
(``{hba1c}``, ``{egfr}``, ``{potassium}``, ``{bp}``, ``{weight}``, ...), ``{control}`` and
``{changes}`` of a module, and event fields (``{onset_days}``, ``{onset_hours}``, ``{tmax}``).
"""

from __future__ import annotations

import string
from datetime import datetime
from typing import Any

from medsim.data.cohort import builders as b
from medsim.data.cohort.clock import age_years, iso, iso_date
from medsim.data.cohort.record import Encounter, PatientRecord

Data = dict[str, Any]
Json = dict[str, Any]
MISSING = "not available"
SMOKING_TEXT = {
    "never": "Never smoker.",
    "former": "Former smoker; quit more than a year ago.",
    "current": "Current every-day cigarette smoker.",
}
VITAL_ORDER = [
    ("sbp", "BP"),
    ("hr", "HR"),
    ("rr", "RR"),
    ("temp", "Temp"),
    ("spo2", "SpO2"),
    ("weight", "Wt"),
    ("bmi", "BMI"),
    ("pain", "Pain"),
]


class _Fields(dict[str, Any]):
    """Format mapping that renders unknown placeholders as "not available"."""

    def __missing__(self, key: str) -> str:
        return MISSING


_FORMATTER = string.Formatter()


def fill(template: str, fields: dict[str, Any]) -> str:
    """``template`` with ``{name}`` placeholders filled (missing ones -> "not available")."""
    return _FORMATTER.vformat(template, (), _Fields(fields))


class NoteWriter:
    """Renders and stores DocumentReferences for one patient."""

    def __init__(self, rec: PatientRecord) -> None:
        self.rec = rec
        cfg = rec.cfg
        self.notes = cfg.notes
        self.units: dict[str, str] = {}
        for key, lab in cfg.labs.items():
            self.units[key] = lab.get("unit_display", lab["unit"])
        for key, vital in cfg.vitals.items():
            name = vital.get("name", vital.get("var", key))
            self.units[name] = vital.get("unit_display", vital.get("unit", ""))
        for comp in cfg.vitals["blood_pressure"]["components"]:
            self.units[comp["key"]] = comp["unit_display"]
        for key, survey in cfg.surveys.items():
            self.units[survey["var"]] = ""
            self.units[key] = ""
        self.units.update({"hr": "bpm", "rr": "/min", "temp": "C", "pain": "/10"})

    def phrase(self, key: str) -> str:
        value = self.notes["phrases"][key]
        return str(self.rec.rng.choice(value) if isinstance(value, list) else value)

    def value_text(self, name: str, when: datetime) -> str:
        """The latest measured ``name`` with unit, dated unless measured today."""
        got = self.rec.latest.get(name)
        if got is None:
            return MISSING
        value, at = got
        unit = self.units.get(name, "")
        text = f"{value:g}{unit if unit in ('%', '/10') else (' ' + unit if unit else '')}"
        return text if iso_date(at) == iso_date(when) else f"{text} ({iso_date(at)})"

    def values(self, when: datetime) -> dict[str, str]:
        """Every measured value by name, for module templates."""
        out = {name: self.value_text(name, when) for name in self.rec.latest}
        sbp, dbp = self.rec.latest.get("sbp"), self.rec.latest.get("dbp")
        if sbp and dbp:
            out["bp"] = f"{sbp[0]:g}/{dbp[0]:g} mmHg"
        rng = self.rec.rng
        for key in ("glucose_checks", "rescue_use", "mood", "nyha"):
            out[key] = self.phrase(key)
        out["pillows"] = str(rng.randint(1, 3))
        out["packs"] = rng.choice(["half a", "1", "1.5"])
        return out

    def problem_names(self) -> str:
        names = [str(c["code"]["text"]).lower() for c in self.rec.problems.values()]
        if not names:
            return "general health"
        return ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1]

    def problems(self) -> str:
        if not self.rec.problems:
            return self.phrase("no_chronic")
        return "\n".join(
            f"- {c['code']['text']} (since {str(c['onsetDateTime'])[:4]})"
            for c in self.rec.problems.values()
        )

    def medications(self) -> str:
        if not self.rec.meds:
            return self.phrase("no_meds")
        return "\n".join(f"- {m.spec['display']}: {m.spec['sig']}" for m in self.rec.meds)

    def vitals(self, enc: Encounter) -> str:
        got = enc.measured
        parts = []
        for name, label in VITAL_ORDER:
            if name not in got:
                continue
            if name == "sbp" and "dbp" in got:
                parts.append(f"BP {got['sbp'][0]:g}/{got['dbp'][0]:g} mmHg")
            elif name != "sbp":
                unit = self.units.get(name, "")
                sep = "" if unit in ("%", "/10") else " "
                parts.append(f"{label} {got[name][0]:g}{sep}{unit}")
        return ", ".join(parts) if parts else self.phrase("telehealth_vitals")

    def module_assessment(
        self, module: Data, enc: Encounter, when: datetime, vals: dict[str, str]
    ) -> str:
        note = module.get("note", {})
        fields: dict[str, Any] = dict(vals)
        control = module.get("control")
        if control:
            value = self.rec.value_of(control["lab"], when)
            fields["control"] = (
                MISSING
                if value is None
                else (control["good"] if value < float(control["lt"]) else control["bad"])
            )
        fields["changes"] = " ".join(enc.changes.get(module["key"], [])) or self.phrase(
            "no_changes"
        )
        cls = module.get("anticoagulation_class")
        if cls:
            med = self.rec.active_class(cls)
            fields["anticoagulation"] = (
                f"on {med.spec['ingredient']}"
                if med
                else "not anticoagulated (declined after shared decision-making)"
            )
        return fill(str(note.get("assessment", module["key"])), fields)

    def module_hpi(self, module: Data, vals: dict[str, str]) -> str:
        options = module.get("note", {}).get("hpi") or [""]
        return fill(str(self.rec.rng.choice(options)), vals)

    def base_fields(self, enc: Encounter, when: datetime, doc_kind: str) -> dict[str, Any]:
        rec, p = self.rec, self.rec.p
        doc = self.notes["documents"][doc_kind]
        kind = rec.cfg.encounters["kinds"][enc.kind]
        return {
            "title": doc["title"],
            "title_upper": str(doc["title"]).upper(),
            "facility": rec.dir.org_names[enc.location[2]],
            "location": enc.location[1],
            "date_long": when.strftime("%A, %B %d, %Y %H:%M"),
            "date_short": iso_date(when),
            "patient_name": f"{p.given} {p.middle}. {p.family}",
            "first_name": p.given,
            "birth_date": p.birth_date.isoformat(),
            "mrn": p.mrn,
            "age": age_years(p.birth_date, when),
            "sex_word": "man" if p.sex == "male" else "woman",
            "provider": f"Dr. {enc.clinician.name}",
            "credentials": enc.clinician.credentials,
            "visit_label": kind["label"],
            "problems": self.problems(),
            "problem_names": self.problem_names(),
            "medications": self.medications(),
            "allergies": "; ".join(rec.allergy_text) or self.phrase("nka"),
            "social": SMOKING_TEXT[p.smoking],
            "vitals": self.vitals(enc),
            "results": "\n".join(f"- {r}" for r in enc.results) or self.phrase("no_results"),
        }

    def write(
        self,
        enc: Encounter,
        doc_kind: str,
        when: datetime,
        fields: dict[str, Any],
        period: tuple[datetime, datetime] | None = None,
    ) -> Json:
        """Render ``doc_kind`` and store it as a DocumentReference of ``enc``."""
        doc = self.notes["documents"][doc_kind]
        merged = self.base_fields(enc, when, doc_kind)
        merged.update(fields)
        merged["signature"] = fill(self.phrase("signature"), merged)
        text = fill(self.notes["layouts"][doc["layout"]], merged).rstrip() + "\n"
        start, end = period or (enc.start, enc.end)
        res = b.document_reference(
            self.rec.ids.next("DocumentReference"),
            self.rec.p.id,
            enc.id,
            doc,
            self.notes["category"],
            iso(when),
            self.rec.practitioner_ref(enc),
            b.ref("Organization", enc.location[2]),
            f"{doc['title']} - {iso_date(when)}",
            text,
            (iso(start), iso(end)),
        )
        self.rec.out.append(res)
        return res
