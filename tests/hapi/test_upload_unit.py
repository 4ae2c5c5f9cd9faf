"""medsim.fhir.upload without a server: id assignment, urn:uuid rewriting, batching, counting."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from medsim.fhir.upload import (
    UploadError,
    batched,
    iter_resources,
    prepare_bundle,
    transaction_bundle,
    upload,
)

PAT = "urn:uuid:0b7e6c52-3a51-4d6e-9a43-3f3b0a1f7c11"
ENC = "urn:uuid:5f0c2d1e-8b9a-4c3d-a2e1-7d6c5b4a3f20"


def _bundle() -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": ENC,
                "resource": {
                    "resourceType": "Encounter",
                    "status": "finished",
                    "subject": {"reference": PAT},
                },
                "request": {"method": "POST", "url": "Encounter"},
            },
            {
                "fullUrl": PAT,
                "resource": {"resourceType": "Patient", "gender": "female"},
                "request": {"method": "POST", "url": "Patient"},
            },
            {
                "fullUrl": "http://example.org/fhir/Practitioner/dr-1",
                "resource": {"resourceType": "Practitioner", "id": "dr-1"},
            },
            {
                "fullUrl": "urn:uuid:9c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f",
                "resource": {
                    "resourceType": "Observation",
                    "status": "final",
                    "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
                    "subject": {"reference": PAT},
                    "encounter": {"reference": ENC},
                    "performer": [{"reference": "http://example.org/fhir/Practitioner/dr-1"}],
                    "hasMember": [{"reference": "Observation/kept-as-is"}],
                },
            },
        ],
    }


def test_urn_uuid_references_become_type_id() -> None:
    resources = {r["resourceType"]: r for r in prepare_bundle(_bundle())}
    assert resources["Patient"]["id"] == PAT.removeprefix("urn:uuid:")
    obs = resources["Observation"]
    assert obs["subject"]["reference"] == f"Patient/{PAT.removeprefix('urn:uuid:')}"
    assert obs["encounter"]["reference"] == f"Encounter/{ENC.removeprefix('urn:uuid:')}"
    assert obs["performer"][0]["reference"] == "Practitioner/dr-1"  # absolute fullUrl mapped too
    assert obs["hasMember"][0]["reference"] == "Observation/kept-as-is"
    assert resources["Encounter"]["subject"]["reference"].startswith("Patient/")


def test_input_bundle_is_not_modified() -> None:
    bundle = _bundle()
    before = json.dumps(bundle, sort_keys=True)
    prepare_bundle(bundle)
    assert json.dumps(bundle, sort_keys=True) == before


def test_unresolved_urn_uuid_is_an_error() -> None:
    bundle = _bundle()
    bundle["entry"] = bundle["entry"][:1]  # the Encounter points at a Patient that is not there
    with pytest.raises(UploadError, match="does not match any fullUrl"):
        prepare_bundle(bundle)


def test_generated_ids_are_deterministic() -> None:
    res = [{"resourceType": "Observation", "status": "final", "code": {"text": "x"}}]
    first = list(iter_resources([dict(r) for r in res]))
    second = list(iter_resources([dict(r) for r in res]))
    assert first[0]["id"] == second[0]["id"]
    other = list(iter_resources([{"resourceType": "Observation", "status": "amended"}]))
    assert other[0]["id"] != first[0]["id"]


@pytest.mark.parametrize("bad_id", ["has space", "x" * 65, "slash/no", ""])
def test_invalid_ids_are_rejected(bad_id: str) -> None:
    with pytest.raises(UploadError, match="invalid id"):
        list(iter_resources([{"resourceType": "Patient", "id": bad_id}]))


def test_not_a_resource_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(UploadError, match="no resourceType"):
        list(iter_resources([{"id": "x"}]))
    bad = tmp_path / "bad.ndjson"
    bad.write_text('{"resourceType": "Patient", "id": "a"}\n{not json\n')
    with pytest.raises(UploadError, match="bad.ndjson:2"):
        list(iter_resources(bad))
    with pytest.raises(UploadError, match="no such file"):
        list(iter_resources(tmp_path / "missing.json"))


def test_reference_targets_come_first() -> None:
    types = [r["resourceType"] for r in iter_resources(_bundle())]
    assert types == ["Practitioner", "Patient", "Encounter", "Observation"]


def test_reads_folders_of_ndjson_gz_and_json(tmp_path: Path) -> None:
    with gzip.open(tmp_path / "Patient.ndjson.gz", "wt") as fh:
        for i in range(3):
            fh.write(json.dumps({"resourceType": "Patient", "id": f"p{i}"}) + "\n")
    (tmp_path / "Encounter.ndjson").write_text(
        json.dumps({"resourceType": "Encounter", "id": "e1", "status": "finished"}) + "\n\n"
    )
    (tmp_path / "bundle.json").write_text(json.dumps(_bundle()))
    (tmp_path / "notes.txt").write_text("ignored")
    resources = list(iter_resources(tmp_path))
    assert [r["id"] for r in resources[:4]] == [
        "p0",
        "p1",
        "p2",
        "e1",
    ]  # Patient file before Encounter
    assert len(resources) == 8


@given(st.lists(st.integers(), max_size=60), st.integers(min_value=1, max_value=25))
def test_batched_keeps_order_and_bounds(items: list[int], size: int) -> None:
    resources = [{"resourceType": "Basic", "id": str(i)} for i in items]
    batches = list(batched(resources, size))
    assert [r for b in batches for r in b] == resources
    assert all(1 <= len(b) <= size for b in batches)
    assert all(len(b) == size for b in batches[:-1])


def test_batched_rejects_zero() -> None:
    with pytest.raises(ValueError):
        list(batched([], 0))


def test_transaction_bundle_puts_by_id() -> None:
    tx = transaction_bundle([{"resourceType": "Patient", "id": "pat-0001"}])
    assert tx["type"] == "transaction"
    assert tx["entry"][0]["request"] == {"method": "PUT", "url": "Patient/pat-0001"}


class FakeServer:
    """Answers transactions like HAPI: 201 on first PUT, 200 + NO_CHANGE on an identical one."""

    def __init__(self) -> None:
        self.store: dict[str, str] = {}
        self.batch_sizes: list[int] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        bundle = json.loads(request.content)
        self.batch_sizes.append(len(bundle["entry"]))
        out = []
        for entry in bundle["entry"]:
            key, body = entry["request"]["url"], json.dumps(entry["resource"], sort_keys=True)
            if key not in self.store:
                response: dict[str, Any] = {"status": "201 Created"}
            elif self.store[key] == body:
                code = {"code": "SUCCESSFUL_UPDATE_NO_CHANGE"}
                response = {
                    "status": "200 OK",
                    "outcome": {"issue": [{"details": {"coding": [code]}}]},
                }
            else:
                response = {"status": "200 OK"}
            self.store[key] = body
            out.append({"response": response})
        return httpx.Response(
            200, json={"resourceType": "Bundle", "type": "transaction-response", "entry": out}
        )


def test_upload_batches_and_counts() -> None:
    server = FakeServer()
    resources = [{"resourceType": "Patient", "id": f"p{i}"} for i in range(1201)]
    with httpx.Client(transport=httpx.MockTransport(server)) as client:
        first = upload(
            "http://fhir.test/fhir", resources, batch_size=500, client=client, progress=False
        )
        assert server.batch_sizes == [500, 500, 201]
        assert (first.resources, first.batches, first.created, first.unchanged) == (
            1201,
            3,
            1201,
            0,
        )
        again = upload(
            "http://fhir.test/fhir", resources, batch_size=500, client=client, progress=False
        )
        assert (again.created, again.updated, again.unchanged) == (0, 0, 1201)
        resources[0]["gender"] = "male"
        changed = upload("http://fhir.test/fhir", resources[:1], client=client, progress=False)
        assert (changed.updated, changed.by_type["Patient"]) == (1, 1)


def test_rejected_batch_names_the_problem() -> None:
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [{"diagnostics": "HAPI-0450: bad thing"}],
    }
    transport = httpx.MockTransport(lambda request: httpx.Response(400, json=outcome))
    with (
        httpx.Client(transport=transport) as client,
        pytest.raises(UploadError, match="batch 1 .*bad thing"),
    ):
        upload(
            "http://fhir.test/fhir",
            [{"resourceType": "Patient", "id": "a"}],
            client=client,
            progress=False,
        )


def test_bad_base_url() -> None:
    with pytest.raises(UploadError, match="base URL"):
        upload("fhir.test", [], progress=False)


def test_parallel_workers_give_the_same_counts() -> None:
    server = FakeServer()
    resources = [
        {"resourceType": "Observation", "id": f"o{i}", "status": "final"} for i in range(95)
    ]
    with httpx.Client(transport=httpx.MockTransport(server)) as client:
        first = upload(
            "http://fhir.test/fhir",
            resources,
            batch_size=10,
            workers=3,
            client=client,
            progress=False,
        )
        again = upload(
            "http://fhir.test/fhir",
            resources,
            batch_size=10,
            workers=3,
            client=client,
            progress=False,
        )
    assert sorted(server.batch_sizes) == sorted([10] * 9 + [5] + [10] * 9 + [5])
    assert (first.resources, first.batches, first.created) == (95, 10, 95)
    assert (again.unchanged, again.by_type["Observation"]) == (95, 95)
    assert len(server.store) == 95
