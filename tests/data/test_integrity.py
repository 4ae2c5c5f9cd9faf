"""Referential integrity and id conventions of the shipped cohort."""

from __future__ import annotations

import re
from typing import Any

from tests.data.conftest import by_patient

Json = dict[str, Any]
ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
PATIENT_OWNED = re.compile(r"^(enc|obs|cond|med|dr|doc|proc|imm|alg)-(\d{4,})-\d{6}$")


def _references(obj: Any) -> list[str]:
    out: list[str] = []
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key == "reference" and isinstance(value, str):
                out.append(value)
            else:
                out += _references(value)
    elif isinstance(obj, list):
        for value in obj:
            out += _references(value)
    return out


def test_every_reference_resolves(shipped: list[Json]) -> None:
    known = {f"{r['resourceType']}/{r['id']}" for r in shipped}
    dangling = [(r["id"], ref) for r in shipped for ref in _references(r) if ref not in known]
    assert dangling == []


def test_ids_unique_readable_and_typed(shipped: list[Json]) -> None:
    seen: set[tuple[str, str]] = set()
    for res in shipped:
        key = (res["resourceType"], res["id"])
        assert key not in seen
        seen.add(key)
        assert ID.match(res["id"])
    assert ("Patient", "pat-0001") in seen


def test_patient_owned_ids_name_their_patient(shipped: list[Json]) -> None:
    for pid, rows in by_patient(shipped).items():
        number = pid.split("-")[1]
        for res in rows:
            if res["resourceType"] == "Patient":
                continue
            match = PATIENT_OWNED.match(res["id"])
            assert match and match.group(2) == number, res["id"]


def test_no_urn_uuid_and_literal_references_only(shipped: list[Json]) -> None:
    for res in shipped[:20000]:
        for ref in _references(res):
            assert not ref.startswith("urn:") and ref.count("/") == 1


def test_references_stay_within_the_patient(shipped: list[Json]) -> None:
    for pid, rows in by_patient(shipped).items():
        own = {f"{r['resourceType']}/{r['id']}" for r in rows}
        for res in rows:
            for ref in _references(res):
                kind = ref.split("/")[0]
                if kind in ("Practitioner", "Organization", "Location", "PractitionerRole"):
                    continue
                assert ref in own, (pid, res["id"], ref)


def test_encounters_precede_their_resources(shipped: list[Json]) -> None:
    position = {f"{r['resourceType']}/{r['id']}": i for i, r in enumerate(shipped)}
    for i, res in enumerate(shipped):
        enc = res.get("encounter")
        if isinstance(enc, dict):
            assert position[enc["reference"]] < i
