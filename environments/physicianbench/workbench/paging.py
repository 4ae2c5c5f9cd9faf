"""Shared plumbing of the workbench read tools: fetch a patient's resources, filter them by
code or words, sort newest first, and cut one page (``entries`` / ``total`` / ``page`` /
``pages``), the shape PhysicianBench's tools return.

Resources are returned as FHIR JSON without ``meta`` and the generated narrative (``text``), so
graders still see real resources and agents are not flooded with markup.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, StringConstraints

from medsim.tools.base import ToolError

Json = dict[str, Any]
PatientId = Annotated[str, StringConstraints(pattern=r"^(Patient/)?[A-Za-z0-9\-.]{1,64}$")]
PageSize = Annotated[int, Field(ge=1, le=200)]
PageNumber = Annotated[int, Field(ge=1, le=10_000)]
#: Most resources one search collects before filtering (a safety bound, far above any chart).
MAX_COLLECT = 5_000
_FETCH = 500
_DROP = ("meta", "text")
_WORDS = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")


def episode(fhir: Any) -> Any:
    """The episode's EHR view, or a clear error when a tool is called without one."""
    if fhir is None:
        raise ToolError("no EHR is attached to this tool call")
    return fhir


def patient_ref(patient: str) -> str:
    """``pat-0001`` or ``Patient/pat-0001`` -> ``pat-0001``."""
    return patient.split("/", 1)[-1]


def collect(fhir: Any, resource_type: str, params: dict[str, str]) -> list[Json]:
    """Every resource a search returns, following pages (``_offset``) up to :data:`MAX_COLLECT`."""
    out: list[Json] = []
    offset = 0
    while len(out) < MAX_COLLECT:
        query = {**params, "_count": str(_FETCH)}
        if offset:
            query["_offset"] = str(offset)
        bundle = episode(fhir).search(resource_type, query)
        batch = [e["resource"] for e in bundle.get("entry") or [] if "resource" in e]
        out.extend(batch)
        offset += len(batch)
        total = bundle.get("total")
        has_next = any(link.get("relation") == "next" for link in bundle.get("link") or [])
        if not batch or not has_next or (isinstance(total, int) and offset >= total):
            break
    return out


def concept_words(resource: Json, *elements: str) -> str:
    """Codes, displays and texts of the named CodeableConcept elements, lower-cased."""
    parts: list[str] = []
    for name in elements:
        value = resource.get(name)
        for concept in value if isinstance(value, list) else [value]:
            if not isinstance(concept, dict):
                continue
            parts.append(str(concept.get("text", "")))
            for coding in concept.get("coding") or []:
                parts.append(f"{coding.get('code', '')} {coding.get('display', '')}")
    return " ".join(parts).lower()


def words_match(query: str | None, haystack: str) -> bool:
    """Every word of ``query`` occurs in ``haystack`` (as a word prefix); no query matches all."""
    if not query:
        return True
    have = _WORDS.findall(haystack)
    return all(any(h.startswith(w) for h in have) for w in _WORDS.findall(query.lower()))


def codes_match(codes: str | None, resource: Json, *elements: str) -> bool:
    """``codes`` is one code or a comma-separated list (``2160-0`` or ``http://loinc.org|2160-0``);
    a resource matches when any coding of the elements carries one of them."""
    if not codes:
        return True
    wanted = {c.strip().rsplit("|", 1)[-1] for c in codes.split(",") if c.strip()}
    for name in elements:
        value = resource.get(name)
        for concept in value if isinstance(value, list) else [value]:
            codings = concept.get("coding") or [] if isinstance(concept, dict) else []
            if any(str(cd.get("code")) in wanted for cd in codings):
                return True
    return False


def when(resource: Json) -> str:
    """The clinical time a resource is sorted by (newest first)."""
    for key in ("effectiveDateTime", "authoredOn", "date", "recordedDate", "onsetDateTime"):
        value = resource.get(key)
        if isinstance(value, str):
            return value
    for key in ("effectivePeriod", "performedPeriod", "period"):
        value = resource.get(key)
        if isinstance(value, dict) and isinstance(value.get("start"), str):
            return str(value["start"])
    value = resource.get("performedDateTime")
    return value if isinstance(value, str) else ""


def in_window(resource: Json, date_from: str | None, date_to: str | None) -> bool:
    """The resource's time lies in [date_from, date_to] (dates compare by their prefix)."""
    stamp = when(resource)
    if date_from and (not stamp or stamp[: len(date_from)] < date_from):
        return False
    return not (date_to and (not stamp or stamp[: len(date_to)] > date_to))


def check_date(value: str | None, name: str) -> None:
    """Reject a malformed date filter before searching."""
    if value is None:
        return
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ToolError(
            f"{name} must be a date such as 2024-06-01 (got {value!r})", kind="invalid_arguments"
        ) from None


def compact(resource: Json) -> Json:
    """The resource without ``meta`` and narrative text."""
    return {k: v for k, v in resource.items() if k not in _DROP}


def page_of(
    resources: Iterable[Json],
    page: int,
    count: int,
    keep: Callable[[Json], bool] = lambda r: True,
    shape: Callable[[Json], Json] = compact,
) -> Json:
    """Filter, sort newest first, and cut page ``page`` of ``count`` entries."""
    chosen = sorted((r for r in resources if keep(r)), key=when, reverse=True)
    total = len(chosen)
    pages = max(1, math.ceil(total / count))
    start = (page - 1) * count
    out: Json = {
        "entries": [shape(r) for r in chosen[start : start + count]],
        "total": total,
        "page": page,
        "pages": pages,
    }
    if page < pages:
        out["next_page"] = page + 1
    if page > pages and total:
        out["note"] = f"page {page} is past the last page ({pages})"
    return out
