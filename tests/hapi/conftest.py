"""Fixtures for tests against a real HAPI FHIR server.

Tests marked ``hapi`` need ``MEDSIM_HAPI_URL`` (e.g. ``http://127.0.0.1:18080/fhir``), set by
``scripts/hapi-ci.sh start``. Without it they FAIL with a message saying how to start the server:
a silently skipped server suite would look like a passing one.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import httpx
import pytest

HOW = (
    'start the server and export its URL, e.g. eval "$(scripts/hapi-ci.sh start)" '
    "(or: medsim hapi start --port 18080 && export MEDSIM_HAPI_URL=http://127.0.0.1:18080/fhir)"
)


@pytest.fixture(scope="session")
def hapi_url() -> str:
    """The base URL of the HAPI server under test, checked to answer /metadata."""
    url = os.environ.get("MEDSIM_HAPI_URL", "").rstrip("/")
    if not url:
        pytest.fail(f"MEDSIM_HAPI_URL is not set: {HOW}", pytrace=False)
    try:
        r = httpx.get(f"{url}/metadata", timeout=60)
    except httpx.HTTPError as exc:
        pytest.fail(f"HAPI server at {url} is unreachable ({exc}): {HOW}", pytrace=False)
    if r.status_code != 200:
        pytest.fail(f"{url}/metadata answered HTTP {r.status_code}", pytrace=False)
    return url


@pytest.fixture()
def fhir(hapi_url: str) -> Iterator[httpx.Client]:
    """An HTTP client on the server base URL, speaking FHIR JSON."""
    headers = {"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"}
    with httpx.Client(base_url=hapi_url + "/", headers=headers, timeout=120) as client:
        yield client


@pytest.fixture()
def tag() -> str:
    """A fresh prefix so tests never collide with earlier runs on a reused server."""
    return "t" + uuid.uuid4().hex[:12]
