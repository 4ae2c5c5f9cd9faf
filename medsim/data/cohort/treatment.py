"""Clinical decisions at a visit, driven by the disease modules' data.

* ``when`` rules of a treatment step: ``{lab: name, gt|ge|lt|le: x}`` (latest measured value),
  ``{after: date}``, ``{no_class: cls}``, ``{events_ge: [event, n]}``.
* A module's ``at_diagnosis`` steps run when the problem is diagnosed (steps sharing a ``group``
  are one weighted choice); later steps run at follow-ups, at most one change per module per
  visit and not within 10 weeks of the previous change.
* Safety rules stop drug classes on measured values; findings add encounter diagnoses.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from medsim.data.cohort.clock import months_between, parse_day
from medsim.data.cohort.record import Encounter, PatientRecord

Data = dict[str, Any]
Lookup = Callable[[str], float | None]
COMPARATORS: dict[str, Callable[[float, float], bool]] = {
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
}
MIN_MONTHS_BETWEEN_CHANGES = 2.3
RENEW_AFTER_MONTHS = 12.0


def rule_holds(rec: PatientRecord, rule: Data, when: datetime, lookup: Lookup) -> bool:
    """Whether one ``when`` rule is true now."""
    if "lab" in rule:
        value = lookup(rule["lab"])
        if value is None:
            return False
        return all(COMPARATORS[op](value, float(rule[op])) for op in COMPARATORS if op in rule)
    if "after" in rule:
        return when >= parse_day(rule["after"])
    if "no_class" in rule:
        return rec.active_class(rule["no_class"]) is None
    if "events_ge" in rule:
        key, count = rule["events_ge"]
        return rec.event_counts.get(key, 0) >= int(count)
    raise ValueError(f"unknown treatment rule {rule!r}")


def measured_lookup(rec: PatientRecord, when: datetime) -> Lookup:
    """Rules read the latest measured values (what the clinician sees)."""
    return lambda name: rec.value_of(name, when)


def true_lookup(rec: PatientRecord, when: datetime) -> Lookup:
    """For problems that predate the record: the patient's true (noise-free) state."""
    variables = rec.cfg.physiology["variables"]
    labs = rec.cfg.labs

    def look(name: str) -> float | None:
        var = name if name in variables else labs.get(name, {}).get("var")
        if var is None:
            return None
        return rec.phys.clip(var, rec.phys.true_value(var, when))

    return look


def _applicable(rec: PatientRecord, step: Data, when: datetime, lookup: Lookup) -> bool:
    spec = rec.cfg.medications[step["med"]]
    if "from" in step:
        current = rec.active_class(spec["class"])
        if current is None or current.key not in step["from"]:
            return False
    elif not step.get("replace_class") and rec.active_class(spec["class"]) is not None:
        return False
    return all(rule_holds(rec, r, when, lookup) for r in step.get("when", []))


def start_module(
    rec: PatientRecord, enc: Encounter, module: Data, when: datetime, lookup: Lookup
) -> None:
    """Initial treatment when a problem is diagnosed (or first seen in the record)."""
    key = module["key"]
    groups: dict[str, list[Data]] = {}
    for step in module.get("treatment", []):
        if not step.get("at_diagnosis"):
            continue
        if "group" in step:
            groups.setdefault(step["group"], []).append(step)
            continue
        if _applicable(rec, step, when, lookup) and rec.rng.random() < float(step["probability"]):
            rec.prescribe(enc, step["med"], when, key, rec.problem_ref(key))
    for steps in groups.values():
        roll = rec.rng.random()
        for step in steps:
            roll -= float(step["probability"])
            if roll < 0:
                if _applicable(rec, step, when, lookup):
                    rec.prescribe(enc, step["med"], when, key, rec.problem_ref(key))
                break
    rec.last_change[key] = when


def adjust_module(
    rec: PatientRecord,
    enc: Encounter,
    module: Data,
    when: datetime,
    lookup: Lookup,
    force: bool = False,
) -> bool:
    """At most one escalation for a diagnosed problem; True if something changed."""
    key = module["key"]
    last = rec.last_change.get(key)
    if not force and last is not None and months_between(last, when) < MIN_MONTHS_BETWEEN_CHANGES:
        return False
    for step in module.get("treatment", []):
        if step.get("at_diagnosis"):
            continue
        if _applicable(rec, step, when, lookup):
            if rec.rng.random() < float(step["probability"]):
                med = rec.prescribe(enc, step["med"], when, key, rec.problem_ref(key))
                if med is not None:
                    rec.last_change[key] = when
                    return True
            return False
    return False


def catch_up(
    rec: PatientRecord, enc: Encounter, module: Data, when: datetime, years_known: float
) -> None:
    """A problem known for years arrives on more than first-line therapy."""
    lookup = true_lookup(rec, when)
    start_module(rec, enc, module, when, lookup)
    for _ in range(min(3, int(years_known // 2))):
        adjust_module(rec, enc, module, when, lookup, force=True)


def apply_safety(rec: PatientRecord, enc: Encounter, when: datetime) -> None:
    """Stop drug classes whose stop rule a value measured at this encounter triggers."""
    for rule in rec.cfg.physiology.get("safety", []):
        med = rec.active_class(rule["class"])
        if med is None or rule["lab"] not in enc.measured:
            continue
        value = enc.measured[rule["lab"]][0]
        if all(COMPARATORS[op](value, float(rule[op])) for op in COMPARATORS if op in rule):
            rec.stop(med, when, rule["reason"], enc=enc)


def apply_findings(rec: PatientRecord, enc: Encounter, when: datetime) -> None:
    """Encounter diagnoses for abnormal values measured at this encounter (once each)."""
    for rule in rec.cfg.physiology.get("findings", []):
        got = enc.measured.get(rule["lab"])
        if got is None:
            continue
        hit = all(COMPARATORS[op](got[0], float(rule[op])) for op in COMPARATORS if op in rule)
        text = rec.cfg.conditions[rule["condition"]]["text"]
        if hit and text not in enc.diagnoses:
            rec.diagnose(
                enc,
                rule["condition"],
                "encounter-diagnosis",
                when,
                abatement=when + timedelta(days=7),
            )


def renew_due(rec: PatientRecord, enc: Encounter, when: datetime) -> None:
    """Renew chronic orders written more than a year ago."""
    for med in list(rec.meds):
        if months_between(med.started, when) >= RENEW_AFTER_MONTHS:
            rec.renew(enc, med, when)


def exacerbation_factor(rec: PatientRecord, module_key: str) -> float:
    """How much the active controller drugs reduce this module's exacerbation rate."""
    factor = 1.0
    for med in rec.meds:
        if med.module == module_key:
            factor *= med.rate_factor
    return factor
