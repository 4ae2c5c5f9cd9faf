"""The one FHIR interface every backend implements.

A *backend* (:class:`FhirBackend`) is the shared, loaded EHR: the embedded SQLite engine or an HTTP
FHIR server. An *episode* (:class:`FhirEpisode`) is one agent's isolated view of it: reads see the
base plus the episode's own writes, writes go only to the episode, and :meth:`FhirEpisode.reset`
discards them. Every method returns FHIR JSON (``dict``); failures raise :class:`FhirError`, which
carries an HTTP-style status and an ``OperationOutcome`` — exactly what a FHIR server would answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

Json = dict[str, Any]
MAX_BODY_BYTES = 2_000_000  # the largest resource a write may carry (every backend checks it)
# Search parameters: a mapping (a list value repeats the parameter = AND) or ordered pairs.
SearchParams = Mapping[str, str | int | Sequence[str]] | Sequence[tuple[str, str]]


def operation_outcome(diagnostics: str, code: str = "processing", severity: str = "error") -> Json:
    """A one-issue OperationOutcome, the shape HAPI returns for errors."""
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": diagnostics}],
    }


class FhirError(Exception):
    """A FHIR-level failure: ``status`` (400, 404, 409, 410, 412, 413, 422, 500…) and an outcome."""

    def __init__(self, status: int, diagnostics: str, code: str = "processing") -> None:
        super().__init__(f"HTTP {status}: {diagnostics}")
        self.status = status
        self.diagnostics = diagnostics
        self.outcome = operation_outcome(diagnostics, code)

    @classmethod
    def from_outcome(cls, status: int, outcome: Json) -> FhirError:
        issues = outcome.get("issue") or [{}]
        err = cls(
            status,
            "; ".join(str(i.get("diagnostics", "")) for i in issues) or "error",
            str(issues[0].get("code", "processing")),
        )
        err.outcome = outcome
        return err


@dataclass(frozen=True)
class Write:
    """One write an episode made: what graders read as "the episode's EHR writes"."""

    method: Literal["create", "update", "delete"]
    resource_type: str
    id: str
    resource: Json | None  # the stored resource (None for delete)
    seq: int = 0  # order within the episode


@dataclass
class PageRequest:
    """Paging of a search: ``count`` results from ``offset``."""

    count: int = 20
    offset: int = 0
    extra: dict[str, str] = field(default_factory=dict)


@runtime_checkable
class FhirClient(Protocol):
    """Read/write operations, identical on every backend."""

    def read(self, resource_type: str, id: str) -> Json: ...

    def search(self, resource_type: str, params: SearchParams | None = None) -> Json:
        """A ``searchset`` Bundle with ``total``, ``entry`` and paging ``link``s."""
        ...

    def create(self, resource: Json) -> Json: ...

    def update(self, resource_type: str, id: str, resource: Json) -> Json: ...

    def delete(self, resource_type: str, id: str) -> None: ...

    def transaction(self, bundle: Json) -> Json:
        """Process a ``transaction`` (all or nothing) or ``batch`` Bundle; returns the response Bundle."""
        ...

    def capabilities(self) -> Json: ...

    def request(
        self,
        method: str,
        url: str,
        body: Json | list[Any] | str | bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, Json]:
        """REST-style entry (``GET Observation?code=...``, relative or absolute URL; headers such
        as ``If-Match``, ``If-None-Exist``, ``Content-Type``): status + JSON.

        Never raises :class:`FhirError`; errors come back as (status, OperationOutcome).
        """
        ...


@runtime_checkable
class FhirEpisode(FhirClient, Protocol):
    """One episode's isolated view of a backend: what the env core, the graders and
    ``medsim grade`` use (the core is typed against this, never against a backend class)."""

    #: The episode's clock: the instant written as ``meta.lastUpdated`` (a task's "now", so runs
    #: are reproducible). ``None``: the wall clock. An HTTP server stamps its own time and
    #: ignores it.
    clock: Callable[[], str] | None
    #: Largest ``_count`` a search honours (a reduced ``_count`` gets a warning entry).
    max_page_size: int

    @property
    def writes(self) -> list[Write]:
        """Every write of this episode, in order."""
        ...

    def reset(self) -> None:
        """Discard this episode's writes (cost proportional to the writes, not to the base)."""
        ...

    def load_overlay(self, resources: list[Json]) -> None:
        """Add a task's scenario resources to this episode's view as if they were base data:
        validated like writes, not recorded in :attr:`writes`, dropped by :meth:`reset`."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class FhirBackend(Protocol):
    """A loaded EHR that episodes open views onto."""

    base_url: str

    def episode(self, episode_id: str | None = None) -> FhirEpisode: ...

    def load(self, resources_or_bundles: Any) -> int:
        """Load base data (Bundles, resources, NDJSON paths); returns the number of resources."""
        ...

    def close(self) -> None: ...
