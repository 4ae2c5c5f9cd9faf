"""Render a sampled case as a short clinical note in prose, from the phrasing in
``data/notes.yaml`` (how each input is said, in which section) and the case's settings.

A note is an opening sentence (age, sex, why the patient is here), then sections in a fixed
order (history, medications, symptoms, examination, vitals, labs ...), each a sentence built
from a randomly chosen frame and the section's items in random order. Yes/no findings are
said when present and, sometimes, denied when absent (not mentioned = absent, the MedCalc-Bench
convention the instruction states). Numbers are written in the unit the case drew; the
returned ``reported`` map says exactly what the note states, which is what the reference
solution passes to ``calculate``.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from medsim.calculators.units import convert

from .sampling import Draw

SECTIONS = (
    "history",
    "meds",
    "symptoms",
    "exam",
    "neuro",
    "vitals",
    "labs",
    "ecg",
    "infusions",
    "sentences",
)


@dataclass
class Rendered:
    """A note and what it reports: input -> value as written (number, or {value, unit})."""

    text: str
    reported: dict[str, Any] = field(default_factory=dict)


class NoteWriter:
    """Writes notes for one calculator from the shared phrasing config."""

    def __init__(
        self,
        config: Mapping[str, Any],
        calc_id: str,
        units: Mapping[str, str],
        fields: set[str] | None = None,
    ) -> None:
        self.cfg = config
        self.calc_id = calc_id
        self.units = units  # input -> canonical unit (from the calculator's schema)
        self.fields = set(fields or units)  # every input name of the calculator

    # ---- phrasing lookups --------------------------------------------------------------------

    def field_cfg(self, name: str) -> dict[str, Any]:
        """A field's phrasing; ``<calculator>.<field>`` in ``overrides`` wins."""
        override = self.cfg.get("overrides", {}).get(f"{self.calc_id}.{name}")
        if override is not None:
            return dict(override)
        if name in self.cfg["fields"]:
            return dict(self.cfg["fields"][name])
        raise KeyError(f"data/notes.yaml has no phrasing for input {name!r} ({self.calc_id})")

    def number_text(self, value: float | int, unit: str | None) -> str:
        if isinstance(value, float) and value.is_integer() and unit not in (None, "INR"):
            value = int(value)
        text = f"{value:,}" if isinstance(value, int) and abs(value) >= 10000 else str(value)
        return text

    def unit_text(self, unit: str | None, rng: random.Random) -> str:
        if not unit:
            return ""
        options = self.cfg.get("unit_text", {}).get(unit, [unit])
        return str(rng.choice(options))

    # ---- rendering ---------------------------------------------------------------------------

    def quantity(
        self, name: str, value: Any, unit_override: str | None, rng: random.Random
    ) -> tuple[str, Any]:
        """(text, reported) for one numeric input, converting to the report unit if asked."""
        fc = self.field_cfg(name)
        canonical = self.units.get(name)
        unit = unit_override or fc.get("unit") or canonical
        shown: Any = value
        if unit_override and canonical:
            raw = convert(float(value), canonical, unit_override, fc.get("analyte"))
            dp = int(fc.get("alt_dp", {}).get(unit_override, 1))
            shown = int(round(raw)) if dp == 0 else round(raw, dp)
        labels = fc.get("label_by_unit", {}).get(unit) or fc.get("label") or [name]
        label = str(rng.choice(labels))
        num = self.number_text(shown, unit)
        utext = self.unit_text(fc.get("unit_text_key", unit), rng) if unit else ""
        pattern = str(rng.choice(self.cfg["number_frames"]))
        if fc.get("frame"):
            pattern = str(rng.choice(fc["frame"]))
        text = pattern.format(label=label, value=num, unit=utext).replace(" %", "%").strip()
        reported: Any = {"value": shown, "unit": unit_override} if unit_override else shown
        return text, reported

    def render(self, draw: Draw, setting: str, rng: random.Random) -> Rendered:
        """The note for ``draw`` (see the module doc)."""
        values = draw.values
        sex = values.get("sex") or values.get("_sex") or "female"
        age = values.get("age", values.get("_age"))
        pron = self.cfg["pronouns"][sex]
        items: dict[str, list[str]] = {s: [] for s in SECTIONS}
        negatives: dict[str, list[str]] = {s: [] for s in SECTIONS}
        reported: dict[str, Any] = {}
        inputs = draw.inputs()
        bp_done = False
        for name, value in inputs.items():
            if name in ("age", "sex"):
                reported[name] = value
                continue
            fc = self.field_cfg(name)
            section = fc.get("section", "labs")
            if name in ("sbp", "dbp") and not bp_done:
                bp_done = True
                sbp = values.get("sbp")
                dbp = values.get("dbp", values.get("_dbp"))
                unit = self.unit_text("mmHg", rng)
                label = rng.choice(self.cfg["bp_labels"])
                if sbp is not None and dbp is not None:
                    items["vitals"].append(f"{label} {sbp}/{dbp} {unit}")
                else:
                    items["vitals"].append(f"systolic blood pressure {sbp} {unit}")
                for k in ("sbp", "dbp"):
                    if k in inputs:
                        reported[k] = inputs[k]
                continue
            if name in ("sbp", "dbp"):
                continue
            kind = fc.get("kind", "number")
            if kind == "number":
                text, rep = self.quantity(name, value, draw.units.get(name), rng)
                reported[name] = rep
                items[section].append(text)
            elif kind == "bool":
                reported[name] = bool(value)
                if value:
                    items[section].append(str(rng.choice(fc["pos"])))
                elif fc.get("neg") and rng.random() < float(fc.get("say_no", self.cfg["say_no"])):
                    negatives[section].append(str(rng.choice(fc["neg"])))
            elif kind == "choice":
                reported[name] = value
                phrase = str(rng.choice(fc["choices"].get(value) or [""]))
                if phrase:
                    items[section].append(phrase)
            elif kind == "text":  # a sentence template using the value (dates, doses)
                reported[name] = value
                template = str(rng.choice(fc["templates"]))
                items[section].append(template.format(value=value, **values))
            elif kind == "opioids":
                reported[name] = value
                items[section].extend(self.opioid_text(v, rng) for v in value)
            elif kind == "hidden":  # said in the question, not in the note
                reported[name] = value
            else:
                raise KeyError(f"notes.yaml: unknown kind {kind!r} for {name}")
        self.add_distractors(inputs, items, rng)
        body = [self.opening(age, sex, setting, rng)]
        for section in SECTIONS:
            if items[section] or negatives[section]:
                body.extend(self.section_text(section, items[section], negatives[section], rng))
        text = " ".join(s.strip() for s in body if s.strip())
        text = self.fill_pronouns(text, pron)
        return Rendered(text=text, reported=reported)

    def opening(self, age: Any, sex: str, setting: str, rng: random.Random) -> str:
        if age is None:
            noun = rng.choice(self.cfg["nouns"]["adult"][sex])
            return f"A {noun} {setting}."
        group = "child" if age < 13 else "teen" if age < 18 else "adult"
        noun = rng.choice(self.cfg["nouns"][group][sex])
        article = "An" if str(age).startswith("8") or age in (11, 18) else "A"
        return f"{article} {age}-year-old {noun} {setting}."

    def section_text(
        self, section: str, pos: list[str], neg: list[str], rng: random.Random
    ) -> list[str]:
        out: list[str] = []
        rng.shuffle(pos)
        if section == "sentences":
            rng.shuffle(neg)
            return [*pos, *neg]
        frames = self.cfg["frames"][section]
        if pos:
            out.append(str(rng.choice(frames["pos"])).format(items=join(pos)))
        if neg:
            rng.shuffle(neg)
            out.append(str(rng.choice(frames["neg"])).format(items=join(neg, "or")))
        return out

    def opioid_text(self, item: Mapping[str, Any], rng: random.Random) -> str:
        drug = self.cfg["opioids"][item["drug"]]
        per_day = item["doses_per_day"]
        freq = self.cfg["per_day"].get(str(per_day), [f"{per_day} times a day"])
        dose = self.number_text(item["dose"], drug["unit"])
        return str(rng.choice(drug["templates"])).format(
            dose=dose, freq=rng.choice(freq), n=per_day
        )

    def add_distractors(
        self, inputs: Mapping[str, Any], items: dict[str, list[str]], rng: random.Random
    ) -> None:
        """Unrelated values a careful reader must leave out (a few, none an input)."""
        skip = set(self.cfg.get("no_distractors", []))
        if self.calc_id in skip:
            return
        pool = [
            d
            for d in self.cfg["distractors"]
            if not set(d["conflicts"]) & (set(inputs) | self.fields)
        ]
        rng.shuffle(pool)
        for d in pool[: rng.randint(0, 3)]:
            lo, hi = d["range"]
            dp = int(d.get("dp", 0))
            value = rng.uniform(lo, hi)
            num: float | int = int(round(value)) if dp == 0 else round(value, dp)
            utext = self.unit_text(d.get("unit"), rng)
            text = f"{rng.choice(d['label'])} {num} {utext}".strip()
            items[d["section"]].append(text.replace(" %", "%"))

    @staticmethod
    def fill_pronouns(text: str, pron: Mapping[str, str]) -> str:
        for key, word in pron.items():
            text = text.replace(f"<{key}>", word)
        return text


def join(parts: list[str], conj: str = "and") -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(parts) <= 1:
        return "".join(parts)
    return f"{', '.join(parts[:-1])} {conj} {parts[-1]}"
