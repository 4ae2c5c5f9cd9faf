"""Client compatibility: two widely used Python FHIR clients, fhirpy (beda-software) and
fhirclient (SMART on FHIR), run their whole script against ``medsim serve-fhir`` on 127.0.0.1 —
and against HAPI when ``MEDSIM_HAPI_URL`` is set (scripts/test), with the same expectations.

Each script uses only the clients' public API: read, search with paging, count, include,
create, conditional create (get_or_create / If-None-Exist), conditional update and delete, update,
patch, delete, history, ``$everything`` and transactions.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fhirclient import client as smart_client
from fhirclient.models.bundle import Bundle as SmartBundle
from fhirclient.models.observation import Observation as SmartObservation
from fhirclient.models.patient import Patient as SmartPatient
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import ResourceNotFound

from medsim.fhir import EmbeddedBackend
from medsim.fhir.server import FhirHttpServer
from medsim.fhir.upload import upload
from tests.fhir.dataset import LOINC

TARGETS = ["serve-fhir"] + (["hapi"] if os.environ.get("MEDSIM_HAPI_URL") else [])


@pytest.fixture(scope="module", params=TARGETS)
def base_url(request: pytest.FixtureRequest, dataset: list[dict[str, Any]]) -> Iterator[str]:
    data = dataset  # the behaviour suite's data set (HAPI holds it already when shared)
    if request.param == "hapi":
        url = os.environ["MEDSIM_HAPI_URL"].rstrip("/")
        upload(url, data, batch_size=200, progress=False)
        yield url
        return
    backend = EmbeddedBackend()
    backend.load(data)
    server = FhirHttpServer(backend, port=0)
    server.start_background()
    yield server.url
    server.shutdown()
    server.server_close()
    backend.close()


SODIUM = f"{LOINC}|2951-2"  # no test writes sodium, so counts hold on a shared HAPI too


def _sodium(dataset: list[dict[str, Any]], patient: str) -> set[str]:
    """The oracle: ids of the data set's sodium Observations of a patient."""
    return {
        r["id"]
        for r in dataset
        if r["resourceType"] == "Observation"
        and r["subject"]["reference"] == f"Patient/{patient}"
        and any(c.get("code") == "2951-2" for c in r["code"]["coding"])
    }


def _obs(patient: str, tag: str, value: float = 4.1) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "status": "final",
        "identifier": [{"system": "urn:medsim:client-test", "value": tag}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "2823-3"}]},
        "subject": {"reference": f"Patient/{patient}"},
        "effectiveDateTime": "2024-03-01T08:00:00Z",
        "valueQuantity": {
            "value": value,
            "unit": "mmol/L",
            "system": "http://unitsofmeasure.org",
            "code": "mmol/L",
        },
    }


def _cleanup(base_url: str, tag: str) -> None:
    """Leave a shared server as it was: delete this script's Observations, whatever happened."""
    for value in (tag, f"{tag}-tx"):
        httpx.delete(
            f"{base_url}/Observation",
            params={"identifier": f"urn:medsim:client-test|{value}"},
            headers={"Accept": "application/fhir+json"},
            timeout=60,
        )


def test_fhirpy_script(base_url: str, dataset: list[dict[str, Any]]) -> None:
    tag = f"fp-{uuid.uuid4().hex[:8]}"
    try:
        _fhirpy(base_url, dataset, tag)
    finally:
        _cleanup(base_url, tag)


def test_fhirclient_script(base_url: str, dataset: list[dict[str, Any]]) -> None:
    tag = f"sm-{uuid.uuid4().hex[:8]}"
    try:
        _fhirclient(base_url, dataset, tag)
    finally:
        _cleanup(base_url, tag)


def _fhirpy(base_url: str, dataset: list[dict[str, Any]], tag: str) -> None:
    client = SyncFHIRClient(base_url, extra_headers={"X-Medsim-Episode": "default"})
    # read and search
    patient = client.reference("Patient", "pat-1").to_resource()
    assert patient["id"] == "pat-1"
    expected = _sodium(dataset, "pat-1")
    observations = client.resources("Observation").search(patient="pat-1", code=SODIUM)
    assert observations.count() == len(expected) > 3
    fetched = observations.limit(3).fetch_all()  # follows next links
    assert {o["id"] for o in fetched} == expected
    raw = (
        client.resources("Observation")
        .search(patient="pat-1")
        .include("Observation", "subject")
        .limit(5)
        .fetch_raw()
    )
    assert any(e["resource"]["resourceType"] == "Patient" for e in raw["entry"])
    assert client.resources("Patient").search(gender="female").elements("gender").limit(1).fetch()
    # create, get_or_create (conditional create), update, patch, history, delete
    obs = client.resource("Observation", **_obs("pat-1", tag))
    obs.save()
    assert obs["id"] and obs["meta"]["versionId"] == "1"
    # fhirpy's get_or_create puts the criteria on the POST URL; HAPI only honours If-None-Exist
    # (and would create a duplicate), medsim honours both (docs/fhir.md)
    on_hapi = base_url == os.environ.get("MEDSIM_HAPI_URL", "").rstrip("/")
    if not on_hapi:
        same, created = (
            client.resources("Observation")
            .search(identifier=f"urn:medsim:client-test|{tag}")
            .get_or_create(client.resource("Observation", **_obs("pat-1", tag)))
        )
        assert not created and same["id"] == obs["id"]
    obs["status"] = "amended"
    obs.save()
    assert obs["meta"]["versionId"] == "2"
    if not on_hapi:  # fhirpy patches with JSON Merge Patch, which HAPI refuses (HAPI-1965)
        obs.patch(status="corrected")
        assert client.reference("Observation", obs["id"]).to_resource()["status"] == "corrected"
    history = client.execute(f"Observation/{obs['id']}/_history", method="get")
    versions = [e["resource"]["meta"]["versionId"] for e in history["entry"]]
    assert versions == (["2", "1"] if on_hapi else ["3", "2", "1"])
    updated, was_created = (
        client.resources("Observation")
        .search(identifier=f"urn:medsim:client-test|{tag}")
        .update(client.resource("Observation", **{**_obs("pat-1", tag, 5.0)}))
    )
    assert not was_created and updated["valueQuantity"]["value"] == 5.0
    everything = client.execute("Patient/pat-1/$everything", method="get", params={"_count": "500"})
    ids = {e["resource"]["id"] for e in everything["entry"]}
    assert "pat-1" in ids and obs["id"] in ids
    client.resources("Observation").search(identifier=f"urn:medsim:client-test|{tag}").delete()
    with pytest.raises(ResourceNotFound):
        client.reference("Observation", obs["id"]).to_resource()


def _fhirclient(base_url: str, dataset: list[dict[str, Any]], tag: str) -> None:
    settings = {"app_id": "medsim-test", "api_base": base_url}
    smart = smart_client.FHIRClient(settings=settings)
    server = smart.server
    server.session.headers["X-Medsim-Episode"] = "default"
    patient = SmartPatient.read("pat-2", server)  # strict models: every element must parse
    assert patient.id == "pat-2" and patient.name[0].family
    expected = _sodium(dataset, "pat-2")
    search = SmartObservation.where(struct={"patient": "pat-2", "code": SODIUM, "_count": "3"})
    found = list(search.perform_resources_iter(server))  # follows next links
    assert {o.id for o in found} == expected and all(o.status for o in found)
    counted = SmartObservation.where(
        struct={"patient": "pat-2", "code": SODIUM, "_summary": "count"}
    )
    bundle = next(iter(counted.perform_iter(server)))
    assert bundle.total == len(expected)
    obs = SmartObservation(_obs("pat-2", tag))
    created = obs.create(server)
    assert created["id"]
    obs.id = created["id"]
    obs.status = "amended"
    assert obs.update(server)["meta"]["versionId"] == "2"
    again = SmartObservation.read(obs.id, server)
    assert again.status == "amended"
    tx = SmartBundle(
        {
            "resourceType": "Bundle",
            "type": "transaction",
            "entry": [
                {
                    "fullUrl": "urn:uuid:7b4e9e52-2a06-4f0f-8d1b-2a4b0e0c1a11",
                    "resource": _obs("pat-2", tag + "-tx"),
                    "request": {"method": "POST", "url": "Observation"},
                }
            ],
        }
    )
    response = server.post_json("", tx.as_json()).json()
    assert response["type"] == "transaction-response"
    assert response["entry"][0]["response"]["status"].startswith("201")
    obs.delete(server)
    with pytest.raises(Exception) as err:
        SmartObservation.read(obs.id, server)
    assert "410" in str(err.value) or "404" in str(err.value)
