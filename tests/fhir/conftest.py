"""Backends for the behaviour suite: every test in tests/fhir runs on each of them.

- ``embedded``: the SQLite engine in-process;
- ``http``: the HTTP backend against ``medsim serve-fhir`` (the embedded engine behind a real
  HTTP server on 127.0.0.1);
- ``hapi``: the HTTP backend against a real HAPI FHIR server, when ``MEDSIM_HAPI_URL`` is set
  (scripts/test starts one and sets it; CI always runs this third backend).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from medsim.fhir import EmbeddedBackend, FhirEpisode
from medsim.fhir.http import HttpBackend, HttpEpisode
from medsim.fhir.server import FhirHttpServer
from medsim.fhir.upload import upload
from tests.fhir.dataset import build

HAPI = [pytest.param("hapi", marks=pytest.mark.hapi)] if os.environ.get("MEDSIM_HAPI_URL") else []
BACKENDS = ["embedded", "http", *HAPI]
# Isolation is also checked with the HTTP backend against a *shared* store (``http-shared``: every
# episode talks to one serve-fhir episode, as on HAPI), so the client-side isolation of
# medsim.fhir.http (scratch tags, hiding other episodes' resources) is tested without HAPI.
ISOLATION_BACKENDS = ["embedded", "http", "http-shared", *HAPI]


@pytest.fixture(scope="session")
def dataset() -> list[dict[str, Any]]:
    return build()


class SharedStoreHttpBackend(HttpBackend):
    """The HTTP backend with every episode sent to one server-side store (like a plain FHIR server):
    serve-fhir's per-header episodes cannot hide a leak in the client's own isolation."""

    def episode(self, episode_id: str | None = None) -> HttpEpisode:
        ep = super().episode(episode_id)
        ep._http.headers["X-Medsim-Episode"] = "shared"
        return ep


def _load_hapi(url: str, resources: list[dict[str, Any]]) -> None:
    upload(url, resources, batch_size=200, progress=False)


def _backend(kind: str, dataset: list[dict[str, Any]]) -> Iterator[Any]:
    if kind == "embedded":
        b = EmbeddedBackend()
        b.load(dataset)
        yield b
        b.close()
    elif kind in ("http", "http-shared"):
        inner = EmbeddedBackend(base_url="http://127.0.0.1:0/fhir")
        inner.load(dataset)
        server = FhirHttpServer(inner)
        inner.base_url = server.url
        server.start_background()
        yield (
            SharedStoreHttpBackend(server.url) if kind == "http-shared" else HttpBackend(server.url)
        )
        server.shutdown()
        server.server_close()
        inner.close()
    else:
        url = os.environ["MEDSIM_HAPI_URL"].rstrip("/")
        _load_hapi(url, dataset)
        yield HttpBackend(url)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest, dataset: list[dict[str, Any]]) -> Iterator[Any]:
    """Every backend, HAPI included: the interface's behaviour (writes, errors, isolation)."""
    yield from _backend(request.param, dataset)


@pytest.fixture(scope="session", params=ISOLATION_BACKENDS)
def isolation_backend(
    request: pytest.FixtureRequest, dataset: list[dict[str, Any]]
) -> Iterator[Any]:
    """Every backend plus ``http-shared``: for the episode-isolation tests."""
    yield from _backend(request.param, dataset)


@pytest.fixture(scope="session", params=["embedded", "http"])
def spec_backend(request: pytest.FixtureRequest, dataset: list[dict[str, Any]]) -> Iterator[Any]:
    """medsim's own engine, in-process and over HTTP: search semantics checked against brute
    force. HAPI's search semantics are compared with these by tests/fhir/test_differential.py."""
    yield from _backend(request.param, dataset)


@pytest.fixture
def ep(backend: Any) -> Iterator[FhirEpisode]:
    episode = backend.episode()
    yield episode
    episode.reset()
    episode.close()


@pytest.fixture
def spec_ep(spec_backend: Any) -> Iterator[FhirEpisode]:
    episode = spec_backend.episode()
    yield episode
    episode.reset()
    episode.close()
