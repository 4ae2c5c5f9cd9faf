"""The CapabilityStatement says exactly what the engine does: every claimed search parameter,
_include, _revinclude, interaction and operation works; things it does not claim are refused."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from medsim.fhir import EmbeddedBackend
from tests.fhir.dataset import build

VALUE = {
    "token": "x",
    "string": "x",
    "date": "ge2020-01-01",
    "reference": "x1",
    "quantity": "gt5",
    "number": "5",
    "uri": "http://example.org/x",
}


@pytest.fixture(scope="module")
def episode() -> Iterator[Any]:
    backend = EmbeddedBackend()
    backend.load(build(patients=2, obs_per_patient=5))
    ep = backend.episode()
    yield ep
    backend.close()


@pytest.fixture(scope="module")
def statement(episode: Any) -> dict[str, Any]:
    status, cs = episode.request("GET", "metadata")
    assert status == 200 and cs["resourceType"] == "CapabilityStatement"
    return cs


def _resources(cs: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["type"]: r for r in cs["rest"][0]["resource"]}


def test_every_claimed_search_parameter_and_include_works(
    episode: Any, statement: dict[str, Any]
) -> None:
    failures = []
    for rtype, entry in _resources(statement).items():
        for sp in entry.get("searchParam", []):
            value = VALUE[sp["type"]]
            if sp["type"] == "reference" and sp["name"] not in ("patient", "subject"):
                value = "x1"
            status, out = episode.request("GET", f"{rtype}?{sp['name']}={value}&_count=1")
            if status != 200:
                failures.append((rtype, sp["name"], status, out))
        for kind in ("searchInclude", "searchRevInclude"):
            for inc in entry.get(kind, []):
                name = "_include" if kind == "searchInclude" else "_revinclude"
                status, out = episode.request("GET", f"{rtype}?{name}={inc}&_count=1")
                if status != 200:
                    failures.append((rtype, inc, status, out))
    assert failures == []


def test_unclaimed_parameters_are_refused(episode: Any, statement: dict[str, Any]) -> None:
    patient = _resources(statement)["Patient"]
    claimed = {sp["name"] for sp in patient["searchParam"]}
    assert "code" not in claimed
    assert episode.request("GET", "Patient?code=x")[0] == 400
    assert "Observation:patient" in patient["searchRevInclude"]
    assert episode.request("GET", "Patient?_revinclude=Observation:nope")[0] == 400
    assert episode.request("GET", "?name=x")[0] == 400  # search-system is not claimed


@pytest.mark.parametrize("rtype", ["Patient", "Observation", "Basic"])
def test_every_claimed_interaction_works(
    episode: Any, statement: dict[str, Any], rtype: str
) -> None:
    entry = _resources(statement)[rtype]
    claimed = {i["code"] for i in entry["interaction"]}
    assert claimed == {
        "read",
        "vread",
        "update",
        "patch",
        "delete",
        "history-instance",
        "history-type",
        "create",
        "search-type",
    }
    body = {
        "Patient": {"resourceType": "Patient", "gender": "female"},
        "Observation": {"resourceType": "Observation", "status": "final", "code": {"text": "t"}},
        "Basic": {"resourceType": "Basic", "code": {"text": "t"}},
    }[rtype]
    ident = {"identifier": [{"system": "urn:cap", "value": rtype}]} if rtype != "Basic" else {}
    status, created = episode.request(
        "POST", rtype, {**body, **ident}, {"If-None-Exist": f"_id=nothing-{rtype}"}
    )
    assert status == 201  # create (conditionalCreate: no match -> created)
    rid = created["id"]
    assert episode.request("GET", f"{rtype}/{rid}")[0] == 200  # read
    status, updated = episode.request("PUT", f"{rtype}/{rid}", {**created, "id": rid})
    assert status == 200 and updated["meta"]["versionId"] == "2"  # update
    assert episode.request("PUT", f"{rtype}/new-{rtype}", {**body, "id": f"new-{rtype}"})[0] == 201
    assert episode.request("GET", f"{rtype}/{rid}/_history/1")[0] == 200  # vread
    assert episode.request("GET", f"{rtype}/{rid}/_history")[0] == 200  # history-instance
    assert episode.request("GET", f"{rtype}/_history")[0] == 200  # history-type
    patch = [{"op": "add", "path": "/meta/tag", "value": [{"code": "t"}]}]
    assert episode.request("PATCH", f"{rtype}/{rid}", patch)[0] == 200  # patch
    assert episode.request("GET", f"{rtype}?_id={rid}")[0] == 200  # search-type
    status, _ = episode.request("POST", f"{rtype}/$validate", body)
    assert status == 200 and {"name": "validate"}.items() <= entry["operation"][0].items()
    assert episode.request("DELETE", f"{rtype}/{rid}")[0] == 200  # delete
    assert entry["conditionalDelete"] == "multiple" and entry["conditionalUpdate"] is True


def test_system_interactions_and_everything(episode: Any, statement: dict[str, Any]) -> None:
    rest = statement["rest"][0]
    assert {i["code"] for i in rest["interaction"]} == {"transaction", "batch", "history-system"}
    assert episode.request("GET", "_history")[0] == 200
    batch = {"resourceType": "Bundle", "type": "batch", "entry": []}
    assert episode.request("POST", "", batch)[0] == 200
    assert any(op["name"] == "everything" for op in _resources(statement)["Patient"]["operation"])
    assert episode.request("GET", "Patient/pat-1/$everything")[0] == 200
    assert not any(
        op["name"] == "everything" for op in _resources(statement)["Observation"]["operation"]
    )
    assert episode.request("GET", "Observation/obs-1-0/$everything")[0] == 400
