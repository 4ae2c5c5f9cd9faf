"""The env's access to the EHR: choosing the backend and applying a task's scenario overlay."""

from __future__ import annotations

from typing import Any

from medsim.core.suite import Suite
from medsim.tasks.schema import Task

#: "Not given" for ClinicalEnv's ``data`` argument (``None`` means "load nothing").
DEFAULT: Any = object()


def open_ehr(fhir: Any, data: Any, suite: Suite) -> Any:
    """The backend: one shared embedded base per data path and process (16 sub-envs load the
    cohort once), or an HTTP FHIR server / a backend object given by the user."""
    from medsim.fhir import open_backend, shared_backend

    if fhir is None or fhir == "embedded":
        path = suite.default_data() if data is DEFAULT else data
        return shared_backend("embedded", path, max_page_size=suite.max_page_size)
    return open_backend(fhir, data=None if data is DEFAULT else data)


def start_episode(episode: Any, task: Task) -> None:
    """Drop the previous episode's writes and apply ``task``'s overlay (the base is not reloaded)."""
    episode.reset()
    if hasattr(episode, "clock"):  # embedded engine: deterministic meta.lastUpdated
        episode.clock = lambda: task.now.isoformat()
    if task.overlay:
        from medsim.data.overlay import resolve_overlay

        episode.load_overlay(list(resolve_overlay(task.overlay, task.patient, task.now)))
