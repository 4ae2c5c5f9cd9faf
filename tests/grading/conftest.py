"""Fixtures: one loaded embedded EHR per session, a fresh episode (no writes) per test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from medsim.fhir import EmbeddedBackend, FhirEpisode
from tests.grading.helpers import Driver, backend, make_task


@pytest.fixture(scope="session")
def ehr() -> Iterator[EmbeddedBackend]:
    b = backend()
    yield b
    b.close()


@pytest.fixture
def episode(ehr: EmbeddedBackend) -> Iterator[FhirEpisode]:
    ep = ehr.episode()
    yield ep
    ep.close()


@pytest.fixture
def drive(episode: FhirEpisode) -> Any:
    """drive(checkpoints, **task fields) -> a Driver on a fresh episode."""

    def make(checkpoints: list[dict[str, Any]], **extra: Any) -> Driver:
        return Driver(make_task(checkpoints, **extra), episode)

    return make
