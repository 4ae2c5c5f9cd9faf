"""A small fixture suite (two tasks over fixtures/ehr.ndjson) on the real embedded engine."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from medsim.core.env import ClinicalEnv
from medsim.core.suite import Suite

FIXTURES = Path(__file__).parent / "fixtures"
SUITE = Suite(
    name="fixture",
    tasks_dir=FIXTURES / "tasks",
    data=lambda: FIXTURES / "ehr.ndjson",
    system_prompt="You are a test agent.",
)


@pytest.fixture(scope="session")
def suite() -> Suite:
    return SUITE


@pytest.fixture()
def make_env() -> Iterator[Callable[..., ClinicalEnv]]:
    made: list[ClinicalEnv] = []

    def factory(**kwargs: Any) -> ClinicalEnv:
        env = ClinicalEnv(SUITE, **kwargs)
        made.append(env)
        return env

    yield factory
    for env in made:
        env.close()


@pytest.fixture()
def env(make_env: Callable[..., ClinicalEnv]) -> ClinicalEnv:
    return make_env()
