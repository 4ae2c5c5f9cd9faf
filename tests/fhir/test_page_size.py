"""``max_page_size``: a larger ``_count`` is reduced with a warning entry (never silently); the
limit is set per backend, per episode, and per suite (``Suite.max_page_size``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from medsim.core.ehr import open_episode
from medsim.core.suite import Suite
from medsim.fhir import EmbeddedBackend
from medsim.fhir.query import MAX_COUNT
from tests.fhir.dataset import build


@pytest.fixture(scope="module")
def backend() -> Iterator[EmbeddedBackend]:
    b = EmbeddedBackend(max_page_size=50)
    b.load(build(patients=3, obs_per_patient=40))  # 120 Observations
    yield b
    b.close()


def _split(bundle: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    entries = bundle.get("entry", [])
    matches = [e for e in entries if e["search"]["mode"] == "match"]
    outcomes = [e["resource"] for e in entries if e["search"]["mode"] == "outcome"]
    return matches, outcomes


def test_default_is_hapi_configuration() -> None:
    assert MAX_COUNT == 1000  # fhir_server/hapi application.yaml: max_page_size 1000
    assert EmbeddedBackend().max_page_size == 1000


def test_reduced_count_warns(backend: EmbeddedBackend) -> None:
    ep = backend.episode()
    matches, outcomes = _split(ep.search("Observation", {"_count": "100"}))
    assert len(matches) == 50
    assert len(outcomes) == 1 and outcomes[0]["issue"][0]["severity"] == "warning"
    assert "100" in outcomes[0]["issue"][0]["diagnostics"]
    matches, outcomes = _split(ep.search("Observation", {"_count": "30"}))
    assert len(matches) == 30 and outcomes == []


def test_episode_and_suite_limits(backend: EmbeddedBackend) -> None:
    suite = Suite("t", Path("."), max_page_size=5000)
    ep = open_episode(backend, suite)
    assert ep.max_page_size == 5000
    matches, outcomes = _split(ep.search("Observation", {"_count": "5000"}))
    assert len(matches) == 120 and outcomes == []
    plain = open_episode(backend, Suite("t", Path(".")))
    assert plain.max_page_size == 50
