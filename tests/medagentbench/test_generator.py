"""The shipped task file is what the generator writes (deterministic, ~25 s)."""

from __future__ import annotations

import pytest

from medsim.environments.medagentbench import TASKS_FILE
from medsim.environments.medagentbench.generate import generate
from medsim.environments.medcalc.generate import dumps, stored_content


@pytest.mark.slow
def test_generator_reproduces_the_shipped_file() -> None:
    assert stored_content(TASKS_FILE) == dumps(generate())
