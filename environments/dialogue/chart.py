"""What a patient knows from their own chart: problems, medicines, allergies, in lay words.

A scenario's ``pmh``, ``medications`` and ``allergies`` facts are written for its test patient.
A train instance puts the same scenario on another cohort patient, whose history, medicines and
allergies differ; there those facts are answered from the host patient's own chart instead
(:func:`chart_answers`), so the patient never contradicts the record the agent can read. The
displays come from medsim's terminology files (the codes the cohort uses).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from medsim.tasks.profiles import Profile
from medsim.yamlload import safe_load

#: Fact categories answered from the chart on train instances.
CHART_CATEGORIES = ("pmh", "medications", "allergies")
NO_KNOWN_ALLERGY = "716186003"


@cache
def _terms(name: str) -> Any:
    text = resources.files("medsim.data.terminology").joinpath(name).read_text(encoding="utf-8")
    return safe_load(text)


@cache
def _names() -> dict[str, dict[str, str]]:
    """code -> lay name, per kind (conditions by SNOMED, medicines by RxNorm, allergies)."""
    conditions = {
        str(c["snomed"][0]): str(c.get("text") or c["snomed"][1]).lower()
        for c in (_terms("conditions.yaml") or {}).values()
        if isinstance(c, dict) and "snomed" in c
    }
    meds = {
        str(m["rxnorm"]): str(m.get("ingredient") or m["display"])
        for m in (_terms("medications.yaml").get("medications") or {}).values()
    }
    allergies = {
        str(a["code"][1]): str(a.get("text") or a["code"][2]).lower()
        for a in (_terms("allergies.yaml").get("allergies") or {}).values()
    }
    return {"conditions": conditions, "medications": meds, "allergies": allergies}


def _listing(items: list[str]) -> str:
    items = sorted(dict.fromkeys(items))
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def chart_answers(prof: Profile) -> dict[str, str]:
    """Lay first-person answers for the chart categories of ``prof``."""
    names = _names()
    conditions = [names["conditions"].get(c, "") for c in prof.conditions]
    conditions = [c for c in conditions if c]
    meds = [names["medications"].get(code, "") for code in prof.medications]
    meds = [m for m in meds if m]
    allergies = [
        names["allergies"].get(code, "") for code in prof.allergies if code != NO_KNOWN_ALLERGY
    ]
    allergies = [a for a in allergies if a]
    return {
        "pmh": f"I've been told I have {_listing(conditions)}."
        if conditions
        else "I don't have any long-term health problems that I know of.",
        "medications": f"I take {_listing(meds)}."
        if meds
        else "I don't take any regular medicines.",
        "allergies": f"I'm allergic to {_listing(allergies)}."
        if allergies
        else "No allergies that I know of.",
    }


__all__ = ["CHART_CATEGORIES", "chart_answers"]


def chart_overrides(facts: list[Any], prof: Profile) -> dict[str, str]:
    """fact id -> chart answer, for the facts that ask about the chart itself: a fact of a chart
    category whose intents name that category ("medications", "allergies", "past medical
    history"). A fact such as "no, I don't take Viagra" (category medications, other intents)
    keeps its own answer."""
    from medsim.patients.intents import tokens

    answers = chart_answers(prof)
    keys = {"pmh": "past medical history", "medications": "medications", "allergies": "allergies"}
    out = {}
    for f in facts:
        if f.category in keys:
            key = tokens(keys[f.category])
            if any(tokens(i) == key for i in f.intents):
                out[f.id] = answers[f.category]
    return out


__all__ += ["chart_overrides"]
