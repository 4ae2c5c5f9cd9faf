"""medsim: Gymnasium environments for clinical LLM agents over a FHIR R4 EHR.

    import medsim
    env = medsim.make("Demo-v0")
    obs, info = env.reset(seed=0)
    obs, reward, terminated, truncated, info = env.step(action)

Importing medsim imports nothing heavy: every environment id is registered in Gymnasium as
``medsim/<id>`` as soon as Gymnasium is imported (at once if it already is); suites, the FHIR
engine and graders are imported when an env is made.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from medsim.lazy import lazy_attributes
from medsim.registry import list_envs, make, make_vec, register_on_import

if TYPE_CHECKING:
    from medsim.core.env import ClinicalEnv
    from medsim.core.suite import Suite
    from medsim.tasks.schema import Task

__version__ = "0.1.0"
__all__ = ["ClinicalEnv", "Suite", "Task", "__version__", "list_envs", "make", "make_vec"]

_LAZY = {
    "ClinicalEnv": "medsim.core.env",
    "Suite": "medsim.core.suite",
    "Task": "medsim.tasks.schema",
}


__getattr__ = lazy_attributes("medsim", _LAZY)


register_on_import()
