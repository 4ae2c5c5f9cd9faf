"""Patient profiles: what a scenario template needs to know about a cohort patient.

A template is instantiated on a cohort patient; its clinical content (a CHA2DS2-VASc score, an
eligibility rule "no anticoagulant already") depends on that patient's age, sex, active problems,
active medications and allergies. :func:`profiles` reads them once from the shipped cohort (one
streaming pass, ~0.7 s, kept in the task cache and per process) and :class:`Eligibility` says
which patients a template's train instances may use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any, cast

from pydantic import BaseModel, ConfigDict, Field

Json = dict[str, Any]


@dataclass(frozen=True)
class Profile:
    """One cohort patient as a template sees it (codes are bare SNOMED CT / RxNorm codes)."""

    id: str
    sex: str
    birth_date: str
    name: str
    conditions: frozenset[str] = field(default_factory=frozenset)  # active Condition SNOMED codes
    medications: frozenset[str] = field(
        default_factory=frozenset
    )  # active MedicationRequest RxNorm
    ingredients: frozenset[str] = field(default_factory=frozenset)  # lower-case drug names (words)
    allergies: frozenset[str] = field(default_factory=frozenset)  # allergy substance codes
    practitioners: tuple[
        str, ...
    ] = ()  # Practitioner ids of the patient's encounters, most seen first
    latest: tuple[tuple[str, float], ...] = ()  # LOINC code -> latest numeric value in the cohort
    pcp_name: str = ""  # display name of practitioners[0]
    orders: tuple[tuple[str, str], ...] = ()  # (RxNorm code, MedicationRequest id) of active orders

    def value(self, loinc: str) -> float | None:
        """The latest numeric value of ``loinc`` in the patient's cohort record, if any."""
        return dict(self.latest).get(loinc)

    def age(self, at: datetime | str) -> int:
        """Whole years at ``at``."""
        when = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
        born = date.fromisoformat(self.birth_date[:10])
        today = when.date()
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))

    def context(self, at: datetime | str) -> Json:
        """The ``patient`` variable templates see."""
        return {
            "id": self.id,
            "sex": self.sex,
            "birth_date": self.birth_date,
            "name": self.name,
            "age": self.age(at),
            "conditions": sorted(self.conditions),
            "medications": sorted(self.medications),
            "ingredients": sorted(self.ingredients),
            "allergies": sorted(self.allergies),
            "pcp": self.practitioners[0] if self.practitioners else None,
            "pcp_name": self.pcp_name,
            "latest": dict(self.latest),
            "orders": dict(self.orders),
        }


def _codes(concept: Any) -> set[str]:
    if not isinstance(concept, dict):
        return set()
    return {str(c.get("code")) for c in concept.get("coding") or [] if c.get("code")}


def _active(resource: Json) -> bool:
    status = resource.get("clinicalStatus")
    return "active" in _codes(status) if isinstance(status, dict) else True


@cache
def profiles() -> dict[str, Profile]:
    """Every patient of the shipped cohort, by id: read from the cohort once per installation
    and kept in the task cache (:func:`medsim.tasks.cache.cached_value`, keyed by the cohort
    file and medsim's source), since reading it takes ~0.7 s [changed in 0.3, session 6]."""
    from medsim.data.cohort.reader import cohort_path
    from medsim.tasks.cache import cached_value, task_key

    def build() -> list[Json]:
        return [_to_json(p) for p in read_profiles().values()]

    key = task_key([], "profiles", [cohort_path()])
    stored = cast(list[Json], cached_value("profiles", key, build))
    return {p.id: p for p in map(_from_json, stored)}


def _to_json(p: Profile) -> Json:
    return {
        "id": p.id,
        "sex": p.sex,
        "birth_date": p.birth_date,
        "name": p.name,
        "conditions": sorted(p.conditions),
        "medications": sorted(p.medications),
        "ingredients": sorted(p.ingredients),
        "allergies": sorted(p.allergies),
        "practitioners": list(p.practitioners),
        "latest": [list(kv) for kv in p.latest],
        "pcp_name": p.pcp_name,
        "orders": [list(kv) for kv in p.orders],
    }


def _from_json(d: Json) -> Profile:
    return Profile(
        id=str(d["id"]),
        sex=str(d["sex"]),
        birth_date=str(d["birth_date"]),
        name=str(d["name"]),
        conditions=frozenset(d["conditions"]),
        medications=frozenset(d["medications"]),
        ingredients=frozenset(d["ingredients"]),
        allergies=frozenset(d["allergies"]),
        practitioners=tuple(d["practitioners"]),
        latest=tuple((str(k), float(v)) for k, v in d["latest"]),
        pcp_name=str(d["pcp_name"]),
        orders=tuple((str(k), str(v)) for k, v in d["orders"]),
    )


def read_profiles() -> dict[str, Profile]:
    """:func:`profiles` read from the cohort itself (one streaming pass)."""
    from medsim.data.cohort import iter_resources

    base: dict[str, Json] = {}
    conds: dict[str, set[str]] = {}
    meds: dict[str, set[str]] = {}
    words: dict[str, set[str]] = {}
    allergies: dict[str, set[str]] = {}
    seen: dict[str, dict[str, int]] = {}
    values: dict[str, dict[str, tuple[str, float]]] = {}
    names: dict[str, str] = {}
    orders: dict[str, dict[str, str]] = {}
    for res in iter_resources():
        rtype = res.get("resourceType")
        if rtype == "Patient":
            name = (res.get("name") or [{}])[0]
            full = " ".join([*name.get("given", []), name.get("family", "")]).strip()
            base[res["id"]] = {
                "sex": res.get("gender", "unknown"),
                "birth_date": res.get("birthDate", ""),
                "name": full,
            }
            continue
        ref = (res.get("subject") or res.get("patient") or {}).get("reference", "")
        if not ref.startswith("Patient/"):
            continue
        pid = ref.split("/", 1)[1]
        if rtype == "Condition" and _active(res):
            conds.setdefault(pid, set()).update(_codes(res.get("code")))
        elif rtype == "MedicationRequest" and res.get("status") == "active":
            concept = res.get("medicationCodeableConcept") or {}
            meds.setdefault(pid, set()).update(_codes(concept))
            for code in _codes(concept):
                orders.setdefault(pid, {})[code] = str(res.get("id", ""))
            for coding in concept.get("coding") or []:
                words.setdefault(pid, set()).update(str(coding.get("display", "")).lower().split())
        elif rtype == "AllergyIntolerance" and _active(res):
            allergies.setdefault(pid, set()).update(_codes(res.get("code")))
        elif rtype == "Observation" and isinstance(res.get("valueQuantity"), dict):
            number = res["valueQuantity"].get("value")
            stamp = str(res.get("effectiveDateTime", ""))
            if isinstance(number, int | float):
                for code in _codes(res.get("code")):
                    old = values.setdefault(pid, {}).get(code)
                    if old is None or stamp >= old[0]:
                        values[pid][code] = (stamp, float(number))
        elif rtype == "Encounter":
            for part in res.get("participant") or []:
                actor = (part.get("individual") or {}).get("reference", "")
                if actor.startswith("Practitioner/"):
                    counts = seen.setdefault(pid, {})
                    key = actor.split("/", 1)[1]
                    names.setdefault(key, str((part.get("individual") or {}).get("display", "")))
                    counts[key] = counts.get(key, 0) + 1
    out: dict[str, Profile] = {}
    for pid, info in sorted(base.items()):
        ranked = sorted(seen.get(pid, {}).items(), key=lambda kv: (-kv[1], kv[0]))
        out[pid] = Profile(
            id=pid,
            sex=info["sex"],
            birth_date=info["birth_date"],
            name=info["name"],
            conditions=frozenset(conds.get(pid, set())),
            medications=frozenset(meds.get(pid, set())),
            ingredients=frozenset(words.get(pid, set())),
            allergies=frozenset(allergies.get(pid, set())),
            practitioners=tuple(k for k, _ in ranked),
            latest=tuple(sorted((k, v[1]) for k, v in values.get(pid, {}).items())),
            pcp_name=names.get(ranked[0][0], "") if ranked else "",
            orders=tuple(sorted(orders.get(pid, {}).items())),
        )
    return out


class Eligibility(BaseModel):
    """Which cohort patients a template's train instances may be placed on.

    Codes are bare (SNOMED CT for conditions, RxNorm for medications, the allergy's substance
    code); ``exclude_ingredients`` are drug-name words ("apixaban") matched against the displays
    of active orders, so every strength of a drug is covered.
    """

    model_config = ConfigDict(extra="forbid")

    min_age: int = Field(default=18, ge=0)
    max_age: int = Field(default=120, ge=0)
    sex: list[str] = Field(default_factory=list)  # empty: any
    require_conditions: list[str] = Field(default_factory=list)  # all of them
    require_any_condition: list[str] = Field(default_factory=list)  # at least one (if given)
    exclude_conditions: list[str] = Field(default_factory=list)
    exclude_medications: list[str] = Field(default_factory=list)
    exclude_ingredients: list[str] = Field(default_factory=list)
    require_any_ingredient: list[str] = Field(default_factory=list)  # on at least one (if given)
    exclude_allergies: list[str] = Field(default_factory=list)
    exclude_any_allergy: bool = False
    #: LOINC code -> [low, high]: the patient's latest cohort value must exist and lie inside.
    require_values: dict[str, tuple[float, float]] = Field(default_factory=dict)

    def problems(self, p: Profile, at: datetime | str) -> list[str]:
        """Why ``p`` cannot host an instance at ``at`` (empty when it can)."""
        out: list[str] = []
        age = p.age(at)
        if not self.min_age <= age <= self.max_age:
            out.append(f"age {age} outside [{self.min_age}, {self.max_age}]")
        if self.sex and p.sex not in self.sex:
            out.append(f"sex {p.sex}")
        missing = [c for c in self.require_conditions if c not in p.conditions]
        if missing:
            out.append(f"lacks conditions {missing}")
        if self.require_any_condition and not p.conditions & set(self.require_any_condition):
            out.append("has none of the required conditions")
        if self.require_any_ingredient and not p.ingredients & set(self.require_any_ingredient):
            out.append("takes none of the required drugs")
        for label, have, banned in (
            ("condition", p.conditions, self.exclude_conditions),
            ("medication", p.medications, self.exclude_medications),
            ("drug", p.ingredients, self.exclude_ingredients),
            ("allergy", p.allergies, self.exclude_allergies),
        ):
            hit = sorted(set(banned) & set(have))
            if hit:
                out.append(f"has {label} {hit}")
        for loinc, (low, high) in self.require_values.items():
            value = p.value(loinc)
            if value is None or not low <= value <= high:
                out.append(f"latest {loinc} {value} outside [{low}, {high}]")
        real_allergies = p.allergies - {"716186003"}  # "No known allergy"
        if self.exclude_any_allergy and real_allergies:
            out.append("has an allergy")
        return out


__all__ = ["Eligibility", "Profile", "profiles"]
