"""Deterministic, readable resource ids: ``pat-0001``, ``obs-0001-000123``.

Every patient-owned resource id is ``<prefix>-<patient number>-<per-prefix sequence>``, so ids are
stable for a given generator version and seed, sort in creation order and tell a human at a glance
which patient and resource type they belong to.
"""

from __future__ import annotations

PREFIXES = {
    "Encounter": "enc",
    "Observation": "obs",
    "Condition": "cond",
    "MedicationRequest": "med",
    "DiagnosticReport": "dr",
    "DocumentReference": "doc",
    "Procedure": "proc",
    "Immunization": "imm",
    "AllergyIntolerance": "alg",
}


def patient_id(number: int) -> str:
    """The id of patient ``number`` (1-based)."""
    return f"pat-{number:04d}"


def shared_id(prefix: str, number: int) -> str:
    """Ids of shared resources (organizations, locations, practitioners)."""
    return f"{prefix}-{number:04d}"


class IdAllocator:
    """Hands out the next id per resource type for one patient."""

    def __init__(self, patient_number: int) -> None:
        self._patient = f"{patient_number:04d}"
        self._counters: dict[str, int] = {}

    def next(self, resource_type: str) -> str:
        """A fresh id for a resource of ``resource_type`` owned by this patient."""
        prefix = PREFIXES[resource_type]
        count = self._counters.get(prefix, 0) + 1
        self._counters[prefix] = count
        return f"{prefix}-{self._patient}-{count:06d}"
