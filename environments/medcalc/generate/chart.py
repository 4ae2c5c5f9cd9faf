"""What the synthetic cohort already says about each patient (demographics, conditions,
medication orders), so MedCalc-EHR-v0 tasks compute their truth from the whole chart: the
task's overlay plus the patient's own history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any

SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


@dataclass(frozen=True)
class ChartCondition:
    """One Condition: its SNOMED codes, clinical status and onset date."""

    snomed: frozenset[str]
    status: str
    onset: str


@dataclass
class PatientChart:
    """One cohort patient, reduced to what the calculators need."""

    id: str
    birth_date: date
    gender: str
    conditions: list[ChartCondition] = field(default_factory=list)
    medications: list[tuple[str, str]] = field(default_factory=list)  # (rxnorm, status)

    def age(self, now: datetime) -> int:
        """Completed years at ``now``."""
        d = now.date()
        b = self.birth_date
        return d.year - b.year - ((d.month, d.day) < (b.month, b.day))

    def has_condition(self, codes: set[str], now: datetime, history: bool) -> bool:
        """A condition with one of ``codes`` began by ``now`` (any status when ``history``,
        else active)."""
        day = now.date().isoformat()
        return any(
            c.snomed & codes and c.onset[:10] <= day and (history or c.status == "active")
            for c in self.conditions
        )

    def condition_statuses(self, codes: set[str]) -> set[str]:
        return {c.status for c in self.conditions if c.snomed & codes}

    def has_medication(self, codes: set[str]) -> bool:
        return any(code in codes for code, _ in self.medications)


def _codes(concept: dict[str, Any], system: str) -> frozenset[str]:
    return frozenset(
        str(c.get("code")) for c in concept.get("coding", []) if c.get("system") == system
    )


def _status(resource: dict[str, Any]) -> str:
    coding = (resource.get("clinicalStatus") or {}).get("coding") or [{}]
    return str(coding[0].get("code", ""))


@cache
def cohort_charts() -> dict[str, PatientChart]:
    """Every cohort patient's chart summary, by id (read once per process)."""
    from medsim.data.cohort import iter_resources

    charts: dict[str, PatientChart] = {}
    conditions: list[dict[str, Any]] = []
    meds: list[dict[str, Any]] = []
    for res in iter_resources():
        rtype = res.get("resourceType")
        if rtype == "Patient" and res.get("birthDate") and res.get("gender"):
            charts[res["id"]] = PatientChart(
                id=res["id"],
                birth_date=date.fromisoformat(res["birthDate"]),
                gender=res["gender"],
            )
        elif rtype == "Condition":
            conditions.append(res)
        elif rtype == "MedicationRequest":
            meds.append(res)
    for res in conditions:
        pid = str(res.get("subject", {}).get("reference", "")).split("/")[-1]
        if pid in charts:
            charts[pid].conditions.append(
                ChartCondition(
                    snomed=_codes(res.get("code", {}), SNOMED),
                    status=_status(res),
                    onset=str(res.get("onsetDateTime") or res.get("recordedDate") or ""),
                )
            )
    for res in meds:
        pid = str(res.get("subject", {}).get("reference", "")).split("/")[-1]
        if pid in charts:
            for code in _codes(res.get("medicationCodeableConcept", {}), RXNORM):
                charts[pid].medications.append((code, str(res.get("status", ""))))
    return charts
