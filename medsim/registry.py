"""Environment ids: the registration table, Gymnasium registration, ``make`` and ``make_vec``.

Each suite is one row of :data:`ENVS`, pointing at its module *by name* (``"medsim.environments.
demo:make_env"``), so the core never imports a particular suite and ``import medsim`` stays fast:
a suite's module is imported only when one of its envs is made. Every id is registered in
Gymnasium as ``medsim/<id>`` when medsim is imported.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import gymnasium

NAMESPACE = "medsim"


@dataclass(frozen=True)
class EnvEntry:
    """One environment id: where its factory and its suite live, and a one-line description."""

    id: str
    entry_point: str  # "module:callable" returning a gymnasium.Env
    suite: str  # "module:attribute" of its medsim.core.suite.Suite
    description: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    nondeterministic: bool = False

    @property
    def module(self) -> str:
        return self.entry_point.split(":", 1)[0]


#: The registration table. A new suite adds one line here (and nothing else in medsim's core).
ENVS: tuple[EnvEntry, ...] = (
    EnvEntry(
        id="Demo-v0",
        entry_point="medsim.environments.demo:make_env",
        suite="medsim.environments.demo:SUITE",
        description="Three teaching tasks (lab query, conditional potassium order, note) on the "
        "synthetic cohort; no server, no API key.",
    ),
    EnvEntry(
        id="MedCalc-v0",
        entry_point="medsim.environments.medcalc.notes_env:make_env",
        suite="medsim.environments.medcalc.notes_env:SUITE",
        description="550 MedCalc-Bench-style calculation questions (55 calculators) on "
        "generated clinical notes, graded by MedCalc-Bench's rule; calculate tool.",
    ),
    EnvEntry(
        id="MedCalc-EHR-v0",
        entry_point="medsim.environments.medcalc.ehr_env:make_env",
        suite="medsim.environments.medcalc.ehr_env:SUITE",
        description="84 calculation questions (21 calculators) whose inputs must be found in "
        "the patient's FHIR record; process checkpoints for calculator, inputs and retrieval.",
    ),
    EnvEntry(
        id="MedAgentBench-v0",
        entry_point="medsim.environments.medagentbench:make_env",
        suite="medsim.environments.medagentbench:SUITE",
        description="MedAgentBench's 10 task categories x 30 patients (+ train split) on the "
        "cohort at 2023-11-13; text protocol or function calling, POSTs executed or recorded.",
    ),
    EnvEntry(
        id="PhysicianBench-v0",
        entry_point="medsim.environments.physicianbench:make_env",
        suite="medsim.environments.physicianbench:SUITE",
        description="PhysicianBench-style e-consults from scenario templates (split='test' "
        "curated, split='train' other patients); workbench tools, workspace, no server.",
    ),
)


class UnknownEnvError(gymnasium.error.Error, ValueError):
    """An id that is not registered; the message lists the closest ids."""


def _available() -> dict[str, EnvEntry]:
    """Entries whose suite module is installed (a row may name a suite not shipped yet)."""
    out: dict[str, EnvEntry] = {}
    for entry in ENVS:
        try:
            found = importlib.util.find_spec(entry.module) is not None
        except ModuleNotFoundError:
            found = False
        if found:
            out[entry.id] = entry
    return out


def list_envs() -> dict[str, str]:
    """Every medsim env id with its one-line description."""
    return {eid: entry.description for eid, entry in _available().items()}


def get_entry(env_id: str) -> EnvEntry:
    """The table row for ``env_id`` (``"Demo-v0"`` or ``"medsim/Demo-v0"``)."""
    entries = _available()
    short = env_id.split("/", 1)[1] if env_id.startswith(f"{NAMESPACE}/") else env_id
    if short in entries:
        return entries[short]
    close = difflib.get_close_matches(short, list(entries), n=3, cutoff=0.3)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    raise UnknownEnvError(
        f"unknown medsim environment {env_id!r}.{hint} Known ids: {', '.join(entries) or 'none'}"
    )


def load_object(ref: str) -> Any:
    """Import ``"package.module:attribute"``."""
    module, _, attr = ref.partition(":")
    return getattr(importlib.import_module(module), attr)


def get_suite(name_or_id: str) -> Any:
    """A suite by env id (``Demo-v0``) or by suite name (``demo``)."""
    entries = _available()
    for entry in entries.values():
        if name_or_id in (entry.id, f"{NAMESPACE}/{entry.id}"):
            return load_object(entry.suite)
    for entry in entries.values():
        suite = load_object(entry.suite)
        if suite.name == name_or_id:
            return suite
    names = sorted({e.suite.split(":")[0].rsplit(".", 1)[-1] for e in entries.values()})
    raise UnknownEnvError(
        f"unknown suite {name_or_id!r}; known suites: {', '.join(names)} (or an env id)"
    )


def register_envs() -> None:
    """Register every available id in Gymnasium as ``medsim/<id>`` (idempotent)."""
    for entry in _available().values():
        gid = f"{NAMESPACE}/{entry.id}"
        if gid not in gymnasium.registry:
            gymnasium.register(
                id=gid,
                entry_point=entry.entry_point,
                kwargs=dict(entry.kwargs),
                nondeterministic=entry.nondeterministic,
            )


def make(env_id: str, **kwargs: Any) -> gymnasium.Env[Any, Any]:
    """``gymnasium.make("medsim/<id>", **kwargs)`` with a helpful error for unknown ids."""
    entry = get_entry(env_id)
    register_envs()
    return gymnasium.make(f"{NAMESPACE}/{entry.id}", **kwargs)


def make_vec(
    env_id: str,
    num_envs: int = 1,
    vectorization_mode: str = "sync",
    vector_kwargs: dict[str, Any] | None = None,
    wrappers: Sequence[Callable[[gymnasium.Env[Any, Any]], gymnasium.Wrapper[Any, Any, Any, Any]]]
    | None = None,
    **kwargs: Any,
) -> gymnasium.vector.VectorEnv[Any, Any, Any]:
    """``gymnasium.make_vec`` for a medsim id; async mode gets ``shared_memory=False`` (text
    observations cannot live in shared numpy buffers)."""
    entry = get_entry(env_id)
    register_envs()
    vkwargs = dict(vector_kwargs or {})
    if vectorization_mode == "async":
        vkwargs.setdefault("shared_memory", False)
    return gymnasium.make_vec(
        f"{NAMESPACE}/{entry.id}",
        num_envs=num_envs,
        vectorization_mode=vectorization_mode,
        vector_kwargs=vkwargs,
        wrappers=wrappers,
        **kwargs,
    )
