"""Deterministic matching for dialogue grading: the diagnosis and the plan.

**Diagnosis.** Only the *primary* diagnosis counts: the answer is cut at the first list
separator (" or ", " vs ", ";", "/", ",", " versus ", " and/or ", newline), so a shotgun answer
("STEMI or pericarditis or dissection") is read as its first item. The primary item matches a
name when, after normalisation (letter case, punctuation, hyphens, "'s"), it equals the name or
contains it as a whole phrase that is not negated ("not STEMI", "rule out STEMI"). ICD-10-CM
equivalence: an ICD-10-CM code in the answer (or the separate ``icd10`` argument) matches when
it equals a case code or is a more specific child of one (I21.19 under I21.1), never a sibling
or a parent category (I21 does not match I21.19: it also covers NSTEMI).

**Plan.** A plan item is present when one of its phrases occurs as a whole phrase that is not
negated: a negation cue (no, not, avoid, don't, never, without, withhold, hold, stop, instead of,
rather than, contraindicated) within the four words before it, in the same clause (clauses end
at . ; : and "but"). So "do not discharge home" is not a discharge, and "start heparin" is not
satisfied by "avoid heparin".
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_SPLIT = re.compile(r"\s+(?:or|vs\.?|versus|and/or)\s+|[;/,\n]|\s+-\s+", re.IGNORECASE)
_ICD = re.compile(r"\b([A-TV-Z][0-9][0-9AB](?:\.[0-9A-Z]{1,4})?)\b")
_CLAUSE = re.compile(r"[.;:!?\n]|\bbut\b", re.IGNORECASE)
NEGATIONS = (
    "no",
    "not",
    "avoid",
    "avoiding",
    "dont",
    "never",
    "without",
    "withhold",
    "hold",
    "stop",
    "instead of",
    "rather than",
    "contraindicated",
    "rule out",
    "ruled out",
    "r o",
    "exclude",
    "excluded",
    "unlikely",
    "against",
    "nor",
)
WINDOW = 4


def norm(text: str) -> str:
    """Lowercase words separated by single spaces ("ST-elevation" -> "st elevation")."""
    text = text.lower().replace("'s", "").replace("\u2019s", "").replace("'", "")
    return " ".join(re.sub(r"[^a-z0-9.]+", " ", text).replace(". ", " ").split()).strip(". ")


def primary(answer: str) -> str:
    """The first item of a list-like answer."""
    parts = [p for p in _SPLIT.split(answer) if p and p.strip()]
    return parts[0].strip() if parts else ""


def _occurrences(text: str, phrase: str) -> list[int]:
    """Word offsets where ``phrase`` starts in ``text`` (both normalised)."""
    words, want = text.split(), phrase.split()
    return [i for i in range(len(words)) if want and words[i : i + len(want)] == want]


def _negated(words: list[str], start: int) -> bool:
    before = " " + " ".join(words[max(0, start - WINDOW) : start]) + " "
    return any(f" {cue} " in before for cue in NEGATIONS)


def mentions(text: str, phrase: str) -> bool:
    """``phrase`` occurs in ``text`` in some clause without a negation cue before it."""
    want = norm(phrase)
    for clause in _CLAUSE.split(text):
        words = norm(clause).split()
        joined = " ".join(words)
        if any(not _negated(words, i) for i in _occurrences(joined, want)):
            return True
    return False


def icd_codes(text: str) -> list[str]:
    """ICD-10-CM codes written in ``text`` (upper case)."""
    return _ICD.findall(text.upper()) if text else []


def icd_equivalent(code: str, case_codes: Iterable[str]) -> bool:
    """``code`` equals a case code or is a more specific child of one."""
    c = code.upper().replace(" ", "")
    for k in case_codes:
        k = k.upper()
        if c == k or (c.startswith(k) and (("." in k) or c[len(k) : len(k) + 1] == ".")):
            return True
    return False


def diagnosis_matches(answer: str, names: Iterable[str]) -> str | None:
    """The name the primary diagnosis matches, or None."""
    first = primary(answer)
    for name in names:
        if norm(first) == norm(name) or mentions(first, name):
            return name
    return None


def diagnosis_verdict(
    answer: str, icd10: str | None, names: list[str], codes: list[str]
) -> tuple[bool, str]:
    """(matched, evidence) for a submitted diagnosis against names and ICD-10-CM codes."""
    hit = diagnosis_matches(answer, names)
    if hit is not None:
        return True, f"diagnosis {answer!r} matches {hit!r}"
    given = icd_codes(primary(answer)) + icd_codes(icd10 or "")
    for code in given:
        if icd_equivalent(code, codes):
            return True, f"ICD-10-CM {code} is equivalent to {', '.join(codes)}"
    return False, f"diagnosis {answer!r} (ICD-10-CM {given or 'none'}) matches none of {names}"


def plan_hits(plan: str, phrases: Iterable[str]) -> list[str]:
    """The phrases present (not negated) in ``plan``."""
    return [p for p in phrases if mentions(plan, p)]


__all__ = [
    "NEGATIONS",
    "diagnosis_matches",
    "diagnosis_verdict",
    "icd_codes",
    "icd_equivalent",
    "mentions",
    "norm",
    "plan_hits",
    "primary",
]
