"""The env's access to the EHR: choosing the backend and starting a task's episode on it.

Typed against :mod:`medsim.fhir.interface` (``FhirBackend``, ``FhirEpisode``): whatever the
backend, an episode has a clock and takes a scenario overlay. ``medsim grade`` rebuilds a saved
episode with the same :func:`start_episode`.
"""

from __future__ import annotations

from typing import Any

from medsim.core.suite import Suite
from medsim.fhir.interface import FhirBackend, FhirEpisode
from medsim.tasks.schema import Task

#: "Not given" for ClinicalEnv's ``data`` argument (``None`` means "load nothing").
DEFAULT: Any = object()


def open_ehr(fhir: str | FhirBackend | None, data: Any, suite: Suite) -> FhirBackend:
    """The backend: one shared embedded base per data path and process (16 sub-envs load the
    cohort once), or an HTTP FHIR server / a backend object given by the user."""
    from medsim.fhir import open_backend, shared_backend

    if fhir is None or fhir == "embedded":
        path = suite.default_data() if data is DEFAULT else data
        return shared_backend("embedded", path)
    return open_backend(fhir, data=None if data is DEFAULT else data)


def open_episode(backend: FhirBackend, suite: Suite) -> FhirEpisode:
    """A new episode of ``backend`` with the suite's EHR settings (``max_page_size``)."""
    episode = backend.episode()
    if suite.max_page_size is not None:
        episode.max_page_size = suite.max_page_size
    return episode


def start_episode(episode: FhirEpisode, task: Task) -> None:
    """Drop the previous episode's writes, fix the clock at the task's "now" (deterministic
    ``meta.lastUpdated``) and apply ``task``'s overlay (the base is not reloaded)."""
    episode.reset()
    now = task.now.isoformat()
    episode.clock = lambda: now
    if task.overlay:
        from medsim.data.overlay import applied_overlay

        episode.load_overlay(applied_overlay(task.overlay, task.patient, task.now))
