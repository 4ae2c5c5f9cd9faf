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
from tests.fhir.dataset import build

TARGETS = ["serve-fhir"] + (["hapi"] if os.environ.get("MEDSIM_HAPI_URL") else [])


@pytest.fixture(scope="module", params=TARGETS)
def base_url(request: pytest.FixtureRequest) -> Iterator[str]:
    data = build(patients=3, obs_per_patient=30)
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


def test_fhirpy_script(base_url: str) -> None:
    client = SyncFHIRClient(base_url, extra_headers={"X-Medsim-Episode": f"fhirpy-{uuid.uuid4()}"})
    tag = f"fp-{uuid.uuid4().hex[:8]}"
    # read and search
    patient = client.reference("Patient", "pat-1").to_resource()
    assert patient["id"] == "pat-1"
    observations = client.resources("Observation").search(patient="pat-1")
    assert observations.count() == 30
    fetched = observations.limit(7).fetch_all()  # follows next links
    assert len({o["id"] for o in fetched}) == 30
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
    same, created = (
        client.resources("Observation")
        .search(identifier=f"urn:medsim:client-test|{tag}")
        .get_or_create(client.resource("Observation", **_obs("pat-1", tag)))
    )
    assert not created and same["id"] == obs["id"]
    obs["status"] = "amended"
    obs.save()
    assert obs["meta"]["versionId"] == "2"
    obs.patch(status="corrected")
    assert client.reference("Observation", obs["id"]).to_resource()["status"] == "corrected"
    history = client.execute(f"Observation/{obs['id']}/_history", method="get")
    assert [e["resource"]["meta"]["versionId"] for e in history["entry"]][:3] == ["3", "2", "1"]
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


def test_fhirclient_script(base_url: str) -> None:
    settings = {"app_id": "medsim-test", "api_base": base_url}
    smart = smart_client.FHIRClient(settings=settings)
    server = smart.server
    server.session.headers["X-Medsim-Episode"] = f"smart-{uuid.uuid4()}"
    tag = f"sm-{uuid.uuid4().hex[:8]}"
    patient = SmartPatient.read("pat-2", server)  # strict models: every element must parse
    assert patient.id == "pat-2" and patient.name[0].family
    search = SmartObservation.where(struct={"patient": "pat-2", "_count": "7"})
    found = list(search.perform_resources_iter(server))  # follows next links
    assert len(found) == 30 and all(o.status for o in found)
    counted = SmartObservation.where(struct={"patient": "pat-2", "_summary": "count"})
    bundle = next(iter(counted.perform_iter(server)))
    assert bundle.total == 30
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
