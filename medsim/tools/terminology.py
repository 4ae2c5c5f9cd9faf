"""``terminology_search``: look up LOINC, RxNorm, SNOMED CT and ICD-10-CM codes by words.

PhysicianBench's most common failure is an agent that recalls a LOINC code from memory, filters
on it, matches nothing and concludes the data is absent. This tool answers "what is the code for
serum ferritin / apixaban 2.5 mg / CKD stage 4" from medsim's own terminology files (the codes
the synthetic cohort and the task overlays use, plus ``lookup.yaml``), so a search by code finds
what is in the chart. Matching is word-based and case-insensitive: every query word must occur
(as a prefix) in the display, synonyms or code; results are ranked by how many words match
exactly and by the length of the display (short, specific names first).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

from medsim.tools.base import ToolError, tool
from medsim.yamlload import safe_load

LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
SYSTEMS = {"loinc": LOINC, "rxnorm": RXNORM, "snomed": SNOMED, "icd10": ICD10}
System = Literal["any", "loinc", "rxnorm", "snomed", "icd10"]
MAX_RESULTS = 25
_WORD = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")


@dataclass(frozen=True)
class Concept:
    """One code with its display and the words it can be found by."""

    system: str
    code: str
    display: str
    synonyms: str = ""

    @property
    def words(self) -> set[str]:
        return set(_WORD.findall(f"{self.display} {self.synonyms} {self.code}".lower()))

    def as_json(self) -> dict[str, str]:
        out = {"system": self.system, "code": self.code, "display": self.display}
        if self.synonyms:
            out["synonyms"] = self.synonyms
        return out


def _load(name: str) -> Any:
    text = resources.files("medsim.data.terminology").joinpath(name).read_text(encoding="utf-8")
    return safe_load(text)


def _from_labs_and_vitals() -> list[Concept]:
    out: list[Concept] = []
    labs = _load("labs.yaml")
    for key, lab in (labs.get("labs") or {}).items():
        syn = f"{lab.get('short', '')}; {key.replace('_', ' ')}; {lab.get('unit', '')}"
        out.append(Concept(LOINC, str(lab["loinc"]), str(lab["display"]), syn))
    for panel in (labs.get("panels") or {}).values():
        out.append(Concept(LOINC, str(panel["loinc"]), str(panel["display"]), str(panel["short"])))
    vitals = _load("vitals.yaml")
    for key, vital in (vitals.get("vitals") or {}).items():
        out.append(
            Concept(LOINC, str(vital["loinc"]), str(vital["display"]), key.replace("_", " "))
        )
        for comp in vital.get("components") or []:
            out.append(Concept(LOINC, str(comp["loinc"]), str(comp["display"]), str(comp["key"])))
    for group in ("social", "surveys"):
        for key, item in (vitals.get(group) or {}).items():
            out.append(Concept(LOINC, str(item["loinc"]), str(item["display"]), key))
    for doc in (_load("notes.yaml").get("documents") or {}).values():
        out.append(Concept(LOINC, str(doc["loinc"]), str(doc["display"]), str(doc["title"])))
    return out


def _from_clinical() -> list[Concept]:
    out: list[Concept] = []
    for key, cond in (_load("conditions.yaml") or {}).items():
        if not isinstance(cond, dict) or "snomed" not in cond:
            continue
        text = f"{cond.get('text', '')}; {key.replace('_', ' ')}"
        out.append(Concept(SNOMED, str(cond["snomed"][0]), str(cond["snomed"][1]), text))
        if cond.get("icd10"):
            out.append(Concept(ICD10, str(cond["icd10"][0]), str(cond["icd10"][1]), text))
    meds = _load("medications.yaml")
    for med in (meds.get("medications") or {}).values():
        syn = f"{med.get('ingredient', '')}; {str(med.get('class', '')).replace('_', ' ')}"
        out.append(Concept(RXNORM, str(med["rxnorm"]), str(med["display"]), syn))
    for key, (code, display) in (meds.get("routes") or {}).items():
        out.append(Concept(SNOMED, str(code), str(display), f"{key} route"))
    for proc in (_load("procedures.yaml").get("procedures") or {}).values():
        out.append(Concept(SNOMED, str(proc["snomed"][0]), str(proc["snomed"][1]), proc["text"]))
    for allergy in (_load("allergies.yaml").get("allergies") or {}).values():
        system, code, display = allergy["code"]
        out.append(Concept(str(system), str(code), str(display), str(allergy.get("text", ""))))
    return out


def _from_lookup() -> list[Concept]:
    data = _load("lookup.yaml")
    systems = data["systems"]
    out = [
        Concept(systems[key], str(row[0]), str(row[1]), str(row[2]) if len(row) > 2 else "")
        for key, rows in data["codes"].items()
        for row in rows
    ]
    for key, lab in (data.get("labs") or {}).items():
        syn = f"{lab.get('short', '')}; {key.replace('_', ' ')}; {lab.get('unit', '')}"
        out.append(Concept(LOINC, str(lab["loinc"]), str(lab["display"]), syn))
    return out


@cache
def concepts() -> tuple[Concept, ...]:
    """Every searchable concept, one per (system, code) (the first display wins)."""
    seen: dict[tuple[str, str], Concept] = {}
    for concept in _from_labs_and_vitals() + _from_clinical() + _from_lookup():
        key = (concept.system, concept.code)
        if key in seen:
            old = seen[key]
            if concept.synonyms and concept.synonyms not in old.synonyms:
                seen[key] = Concept(
                    old.system, old.code, old.display, f"{old.synonyms}; {concept.synonyms}"
                )
            continue
        seen[key] = concept
    return tuple(seen.values())


def search_concepts(query: str, system: str = "any", limit: int = 10) -> list[Concept]:
    """Concepts whose words start with every word of ``query`` (ranked; at most ``limit``)."""
    words = _WORD.findall(query.lower())
    if not words:
        return []
    url = SYSTEMS.get(system)
    scored: list[tuple[int, int, str, Concept]] = []
    for concept in concepts():
        if url is not None and concept.system != url:
            continue
        have = concept.words
        if not all(_word_matches(w, have, concept.code) for w in words):
            continue
        exact = sum(1 for w in words if w in have)
        scored.append((-exact, len(concept.display), concept.code, concept))
    scored.sort(key=lambda s: s[:3])
    return [s[3] for s in scored[:limit]]


def _word_matches(word: str, have: set[str], code: str) -> bool:
    """Words match as prefixes ("creat" finds creatinine); numbers match whole ("4" is not
    "433144002") or as the start of the concept's code ("2160" finds 2160-0)."""
    if word[0].isdigit():
        return word in have or (len(word) >= 3 and code.startswith(word))
    return any(h.startswith(word) for h in have)


@tool(examples={"query": ["potassium", "apixaban 2.5", "chronic kidney disease stage 4"]})
def terminology_search(query: str, system: System = "any", limit: int = 10) -> dict[str, Any]:
    """Find LOINC (labs, vitals, notes), RxNorm (drugs), SNOMED CT or ICD-10-CM codes by words.

    Use it before searching or ordering by code: a guessed code that matches nothing does not
    mean the data is absent.

    Args:
        query: Words to look for, e.g. "serum creatinine", "apixaban 5 mg", "atrial fibrillation".
        system: Restrict to one code system: "loinc", "rxnorm", "snomed", "icd10" or "any".
        limit: Most results to return (1-25).
    """
    if not query.strip():
        raise ToolError(
            "query is empty; give words such as 'hemoglobin a1c'", kind="invalid_arguments"
        )
    if not 1 <= limit <= MAX_RESULTS:
        raise ToolError(f"limit must be between 1 and {MAX_RESULTS}", kind="invalid_arguments")
    found = search_concepts(query, system, limit)
    return {
        "query": query,
        "system": system,
        "total": len(found),
        "results": [c.as_json() for c in found],
        **({} if found else {"hint": "no match: try fewer or simpler words"}),
    }


__all__ = ["Concept", "concepts", "search_concepts", "terminology_search"]
