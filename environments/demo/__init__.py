"""Demo-v0: three small teaching tasks on the synthetic cohort, and the model suite to copy.

A suite is data plus a few lines of Python: this module builds the :class:`~medsim.core.suite.
Suite` (where the task files are, what plain text means, the system prompt) and a factory that
``medsim.registry`` points at by name (``"medsim.environments.demo:make_env"``). See
docs/writing-a-suite.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from medsim.core.suite import Suite

if TYPE_CHECKING:
    from medsim.core.env import ClinicalEnv  # imported when an env is made: listings stay fast

SYSTEM_PROMPT = (
    "You are a clinician's assistant working in an electronic health record (FHIR R4). "
    "Use the tools to read the chart and to write orders or notes, one step at a time. "
    "When the task is done, call finish with the answer the task asks for."
)

SUITE = Suite(
    name="demo",
    tasks_dir=Path(__file__).parent / "tasks",
    description="Three teaching tasks: a lab query, a conditional order, a note.",
    plain_text="error",  # plain text is not an action here: the agent is told how to act
    system_prompt=SYSTEM_PROMPT,
)


def make_env(**kwargs: Any) -> ClinicalEnv:
    """The Demo-v0 environment; keyword arguments go to :class:`ClinicalEnv`."""
    from medsim.core.env import ClinicalEnv

    return ClinicalEnv(SUITE, **kwargs)
