"""Summary statistics of a set of FHIR resources (a cohort file or a user's own data)."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from typing import Any

Json = dict[str, Any]
DATE_FIELDS = ("effectiveDateTime", "authoredOn", "occurrenceDateTime", "recordedDate", "date")


def patient_of(res: Json) -> str | None:
    """The ``Patient/<id>`` id a resource belongs to (None for shared resources)."""
    if res.get("resourceType") == "Patient":
        return str(res.get("id"))
    for field in ("subject", "patient"):
        ref = res.get(field)
        if isinstance(ref, dict) and str(ref.get("reference", "")).startswith("Patient/"):
            return str(ref["reference"]).split("/", 1)[1]
    return None


def resource_date(res: Json) -> str | None:
    """The clinically relevant date of a resource, as ISO text, if it has one."""
    period = res.get("period") or res.get("performedPeriod")
    if isinstance(period, dict) and period.get("start"):
        return str(period["start"])
    for field in DATE_FIELDS:
        if res.get(field):
            return str(res[field])
    return None


def stats(resources: Iterable[Json]) -> Json:
    """Counts per type, resources per patient (min/median/max) and the date span."""
    by_type: Counter[str] = Counter()
    per_patient: Counter[str] = Counter()
    first: str | None = None
    last: str | None = None
    total = 0
    for res in resources:
        total += 1
        by_type[str(res.get("resourceType"))] += 1
        owner = patient_of(res)
        if owner:
            per_patient[owner] += 1
        when = resource_date(res)
        if when:
            day = when[:10]
            first = day if first is None or day < first else first
            last = day if last is None or day > last else last
    sizes = sorted(per_patient.values())
    return {
        "resources": total,
        "patients": by_type.get("Patient", 0),
        "by_type": dict(sorted(by_type.items(), key=lambda kv: (-kv[1], kv[0]))),
        "per_patient": {
            "min": sizes[0] if sizes else 0,
            "median": statistics.median(sizes) if sizes else 0,
            "max": sizes[-1] if sizes else 0,
        },
        "date_span": {"first": first, "last": last},
    }


def format_stats(summary: Json) -> str:
    """A plain-text table of :func:`stats` output."""
    lines = [
        f"resources: {summary['resources']}   patients: {summary['patients']}",
        "per patient: min {min}, median {median}, max {max}".format(**summary["per_patient"]),
        "dates: {first} .. {last}".format(**summary["date_span"]),
        "",
        f"{'resource type':<24}{'count':>10}",
    ]
    lines += [f"{rtype:<24}{count:>10}" for rtype, count in summary["by_type"].items()]
    return "\n".join(lines)
