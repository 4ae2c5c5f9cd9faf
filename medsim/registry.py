"""Environment ids: the registration table, Gymnasium registration, ``make`` and ``make_vec``.

Each suite is one row of :data:`ENVS`, pointing at its module *by name* (``"medsim.environments.
demo:make_env"``), so the core never imports a particular suite and ``import medsim`` stays fast:
a suite's module is imported only when one of its envs is made. Every id is registered in
Gymnasium as ``medsim/<id>`` once both medsim and Gymnasium are imported: at ``import medsim`` if
Gymnasium is loaded already, else the moment it is (an import hook), so that ``import medsim``
and the ``medsim`` command do not pay for Gymnasium and numpy (~0.15-0.5 s) when they don't use
them, while ``gymnasium.make("medsim/Demo-v0")`` works as before.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any

from medsim.gcpause import cycle_collection_paused

if TYPE_CHECKING:
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
        description="128 calculation questions (32 calculators) whose inputs must be found in "
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
    EnvEntry(
        id="Dialogue-v0",
        entry_point="medsim.environments.dialogue:make_env",
        suite="medsim.environments.dialogue:SUITE",
        description="AgentClinic-style diagnostic consultations: interview a simulated patient "
        "(scripted by default, LLM optional), examine, order tests, submit diagnosis + plan.",
    ),
    EnvEntry(
        id="Dialogue-Partial-v0",
        entry_point="medsim.environments.dialogue:make_partial_env",
        suite="medsim.environments.dialogue:PARTIAL_SUITE",
        description="MediQ/ProMed-style consultations from a partial case: ask, abstain or "
        "decide; optional per-question information-gain reward.",
    ),
)


class UnknownEnvError(ValueError):
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
    known = suites()
    if name_or_id in known:
        return known[name_or_id]
    close = difflib.get_close_matches(name_or_id, [*known, *entries], n=3, cutoff=0.5)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    raise UnknownEnvError(
        f"unknown suite {name_or_id!r}.{hint} Known suites: {', '.join(sorted(known))} "
        f"(or an env id: {', '.join(entries)})"
    )


def suites() -> dict[str, Any]:
    """Every available suite by its name (``Suite.name``, what ``medsim tasks`` accepts)."""
    out: dict[str, Any] = {}
    for entry in _available().values():
        suite = load_object(entry.suite)
        out.setdefault(suite.name, suite)
    return out


def register_envs() -> None:
    """Register every available id in Gymnasium as ``medsim/<id>`` (idempotent)."""
    import gymnasium

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
    """``gymnasium.make("medsim/<id>", **kwargs)`` with a helpful error for unknown ids. The
    cycle collector is paused while the env is built (:mod:`medsim.gcpause`)."""
    import gymnasium

    entry = get_entry(env_id)
    register_envs()
    with cycle_collection_paused():
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
    """``gymnasium.make_vec`` for a medsim id (the cycle collector paused while it builds the
    sub-envs, as in :func:`make`); async mode gets ``shared_memory=False`` (text
    observations cannot live in shared numpy buffers), and ``infos["checkpoints"]`` holds each
    sub-env's checkpoint dict whole (:mod:`medsim.core.vector`)."""
    import gymnasium

    entry = get_entry(env_id)
    register_envs()
    vkwargs = dict(vector_kwargs or {})
    if vectorization_mode == "async":
        vkwargs.setdefault("shared_memory", False)
    from medsim.core.vector import keep_whole

    with cycle_collection_paused():
        return keep_whole(
            gymnasium.make_vec(
                f"{NAMESPACE}/{entry.id}",
                num_envs=num_envs,
                vectorization_mode=vectorization_mode,
                vector_kwargs=vkwargs,
                wrappers=wrappers,
                **kwargs,
            )
        )


class _RegisterAfterGymnasium(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Import hook: when ``gymnasium`` is imported (after medsim), run :func:`register_envs`
    right after its module body, then step out of the way (one use, then removed)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loader: Any = None

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != "gymnasium":
            return None
        with self._lock:
            if self in sys.meta_path:
                sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return spec
        self._loader = spec.loader
        spec.loader = self
        return spec

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        created: ModuleType | None = self._loader.create_module(spec)
        return created

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        register_envs()


def register_on_import() -> None:
    """Register the ids now if Gymnasium is loaded, else as soon as it is (what ``import medsim``
    calls)."""
    if "gymnasium" in sys.modules:
        register_envs()
    elif not any(isinstance(f, _RegisterAfterGymnasium) for f in sys.meta_path):
        sys.meta_path.insert(0, _RegisterAfterGymnasium())
