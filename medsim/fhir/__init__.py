"""medsim's EHR: one FHIR R4 interface, two backends (embedded SQLite engine, HTTP server).

    backend = open_backend("embedded", data=cohort_path())   # or "http://127.0.0.1:8080/fhir"
    ep = backend.episode()
    ep.search("Observation", {"patient": "pat-0001", "code": "http://loinc.org|2823-3"})
"""

from __future__ import annotations

from medsim.fhir.backends import open_backend, shared_backend
from medsim.fhir.embedded import EmbeddedBackend
from medsim.fhir.episode import EmbeddedEpisode
from medsim.fhir.interface import (
    FhirBackend,
    FhirClient,
    FhirEpisode,
    FhirError,
    Write,
    operation_outcome,
)

__all__ = [
    "EmbeddedBackend", "EmbeddedEpisode", "FhirBackend", "FhirClient", "FhirEpisode", "FhirError",
    "HttpBackend", "Write", "open_backend", "operation_outcome", "shared_backend",
]


def __getattr__(name: str) -> object:
    if name == "HttpBackend":  # httpx is imported only when the HTTP backend is used
        from medsim.fhir.http import HttpBackend

        return HttpBackend
    raise AttributeError(name)
