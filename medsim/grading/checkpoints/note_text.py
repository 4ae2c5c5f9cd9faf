"""Reading values out of a clinical note's free text: numbers with their units, the sentence each
sits in, the words just before it, and the ways a date is written.

Used by ``note_written`` mentions (issue 21): "A1c 8.4 on 2024-09-09" must not pass for "8.4 % on
2025-01-09", and "A1c 7.5 % (2024-09-09), previously 8.4 %" must not pass for "the latest A1c is
8.4 %". These are deliberately simple rules on plain text; prose quality belongs to rubrics.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from medsim.grading.checkpoints.fhirdata import parse_datetime

#: A sentence ends at ". " / end of text (not a decimal point), ";", "!", "?" or a line break.
_SENTENCE_END = re.compile(r"\.(?=\s|$)|[;!?\n]")
#: A number (thousands separators allowed) and the token right after it (its unit, if any).
_QUANTITY = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?![\w.]\d)\s*([^\s,;()\[\]]*)")
#: Words that mark the value right after them as superseded: "previously 8.4 %", "down from 9",
#: "prior hemoglobin A1c 7.5 %" (up to three words between; dates in between do not count).
SUPERSEDED = re.compile(
    r"\b(previous(ly)?|prior|earlier|formerly|former|from|baseline)\b"
    r"(?:\s+[A-Za-z][\w-]*){0,3}[\s:=]*$",
    re.IGNORECASE,
)
#: Words that present a value as the current one.
CURRENT = re.compile(r"\b(latest|most recent|current(ly)?|today|now|new)\b", re.IGNORECASE)
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


@dataclass(frozen=True)
class Quantity:
    """A number in a note: its value, unit (None when the next token is not a unit), the
    sentence it sits in, and the text of that sentence before it."""

    value: float
    unit: str | None
    sentence: str
    before: str


def _unit(token: str) -> str | None:
    """The token after a number, as a candidate unit ("%", "mmol/L", "kg/m2"); None when there is
    none or it is a number or date fragment ("-01-09"). Whether it really is a unit is decided by
    converting it (an English word such as "on" converts to nothing)."""
    token = token.rstrip(".:")
    if not token or token[0].isdigit() or token[0] in "-+/":
        return None
    return token


def sentences(text: str) -> list[tuple[int, str]]:
    """(start offset, sentence) for each sentence of ``text``."""
    out, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        out.append((start, text[start : m.start()]))
        start = m.end()
    out.append((start, text[start:]))
    return out


def quantities(text: str) -> list[Quantity]:
    """Every number written in ``text`` with its unit and sentence."""
    out: list[Quantity] = []
    for _, sentence in sentences(text):
        for m in _QUANTITY.finditer(sentence):
            value = float(m.group(1).replace(",", "") + (m.group(2) or ""))
            out.append(Quantity(value, _unit(m.group(3)), sentence, sentence[: m.start()]))
    return out


def date_forms(when: datetime, written: str, now: datetime) -> list[str]:
    """How the date of a result may be written: the local date (in the offset of the task's
    "now", i.e. the patient's zone) and the date as the chart writes it, each as ISO
    (2025-01-09), US numeric (1/9/2025, 01/09/2025) and with the month's name (Jan 9, 2025;
    9 January 2025). Lower case; the first is the ISO local date."""
    days = [when.astimezone(now.tzinfo).date()]
    chart = parse_datetime(written)
    if chart is not None and chart.date() not in days:
        days.append(chart.date())
    forms: list[str] = []
    for d in days:
        forms.append(d.isoformat())
        forms += [f"{d.month}/{d.day}/{d.year}", f"{d.month:02d}/{d.day:02d}/{d.year}"]
        for name in (_MONTHS[d.month - 1], _MONTHS[d.month - 1][:3]):
            for day in {str(d.day), f"{d.day:02d}"}:
                forms += [f"{name} {day}, {d.year}", f"{name} {day} {d.year}"]
                forms += [f"{day} {name} {d.year}", f"{name}. {day}, {d.year}"]
    return [f.lower() for f in forms]


def has_date(sentence: str, forms: list[str]) -> bool:
    """The sentence writes one of the date forms (case and spacing insensitive)."""
    flat = " ".join(sentence.lower().split())
    return any(re.search(rf"(?<![\d/]){re.escape(f)}(?![\d/])", flat) for f in forms)
