"""Shared fixtures: the shipped cohort and a small freshly generated one (loaded once)."""

from __future__ import annotations

from typing import Any

import pytest

from medsim.data.cohort import cohort_path, iter_resources
from medsim.data.cohort.generate import iter_cohort

Json = dict[str, Any]


@pytest.fixture(scope="session")
def shipped() -> list[Json]:
    """Every resource of medsim/data/cohort/cohort.ndjson.gz."""
    return list(iter_resources(cohort_path()))


@pytest.fixture(scope="session")
def small() -> list[Json]:
    """A fresh 6-patient cohort (seed 7), generated in memory."""
    return list(iter_cohort(6, seed=7))


def by_patient(resources: list[Json]) -> dict[str, list[Json]]:
    """Resources grouped by the patient they belong to."""
    from medsim.data.cohort.stats import patient_of

    out: dict[str, list[Json]] = {}
    for res in resources:
        owner = patient_of(res)
        if owner:
            out.setdefault(owner, []).append(res)
    return out


def codes(concept: Any) -> set[str]:
    """All codes of a CodeableConcept."""
    return {c.get("code") for c in (concept or {}).get("coding", [])}
