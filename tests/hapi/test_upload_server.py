"""medsim.fhir.upload against the real server: urn:uuid bundles load, and reloading is a no-op."""

from __future__ import annotations

import uuid

import httpx
import pytest

from medsim.fhir.upload import upload

pytestmark = pytest.mark.hapi


def _synthea_like_bundle(family: str, n_obs: int) -> dict[str, object]:
    """A Synthea-style transaction: POST entries, no ids, urn:uuid references only."""
    pat, enc = f"urn:uuid:{uuid.uuid4()}", f"urn:uuid:{uuid.uuid4()}"
    entries: list[dict[str, object]] = [
        {
            "fullUrl": pat,
            "resource": {"resourceType": "Patient", "name": [{"family": family}]},
            "request": {"method": "POST", "url": "Patient"},
        },
        {
            "fullUrl": enc,
            "resource": {
                "resourceType": "Encounter",
                "status": "finished",
                "class": {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                    "code": "AMB",
                },
                "subject": {"reference": pat},
            },
            "request": {"method": "POST", "url": "Encounter"},
        },
    ]
    for i in range(n_obs):
        entries.append(
            {
                "fullUrl": f"urn:uuid:{uuid.uuid4()}",
                "resource": {
                    "resourceType": "Observation",
                    "status": "final",
                    "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
                    "subject": {"reference": pat},
                    "encounter": {"reference": enc},
                    "valueQuantity": {
                        "value": 60 + i,
                        "unit": "/min",
                        "system": "http://unitsofmeasure.org",
                        "code": "/min",
                    },
                },
                "request": {"method": "POST", "url": "Observation"},
            }
        )
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def test_upload_is_idempotent(hapi_url: str, fhir: httpx.Client, tag: str) -> None:
    bundle = _synthea_like_bundle(tag, n_obs=12)
    first = upload(hapi_url, bundle, batch_size=5, progress=False)
    assert first.resources == 14 and first.batches == 3 and first.created == 14
    second = upload(hapi_url, bundle, batch_size=5, progress=False)
    assert second.resources == 14 and second.batches == 3
    assert second.created == 0 and second.updated == 0 and second.unchanged == 14

    found = fhir.get("Patient", params={"family": tag, "_revinclude": "Observation:subject"}).json()
    resources = [e["resource"] for e in found["entry"]]
    assert found["total"] == 1
    assert sum(r["resourceType"] == "Observation" for r in resources) == 12
    assert all(r["meta"]["versionId"] == "1" for r in resources)  # no new versions on reload
    obs = next(r for r in resources if r["resourceType"] == "Observation")
    assert obs["encounter"]["reference"].startswith("Encounter/")
