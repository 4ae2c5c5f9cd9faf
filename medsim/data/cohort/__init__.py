"""medsim's synthetic patient cohort: a seeded FHIR R4 population with years of history.

    from medsim.data.cohort import cohort_path, iter_resources, stats, chart_summary
    for resource in iter_resources():          # the shipped cohort (gzip NDJSON)
        ...
    print(chart_summary(iter_resources(), "pat-0001"))

Generate another one with ``python -m medsim.data.cohort.generate`` (see docs/cohort.md).
"""

from __future__ import annotations

from medsim.data.cohort.chart import chart_summary
from medsim.data.cohort.reader import (
    CohortDataError,
    cohort_path,
    iter_resources,
    metadata,
    patient_of,
    patient_subset,
)
from medsim.data.cohort.stats import format_stats, stats

__all__ = [
    "CohortDataError",
    "chart_summary",
    "cohort_path",
    "format_stats",
    "iter_resources",
    "metadata",
    "patient_of",
    "patient_subset",
    "stats",
]
