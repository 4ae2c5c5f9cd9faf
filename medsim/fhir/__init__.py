"""medsim's EHR: one FHIR R4 interface, two backends (embedded SQLite engine, HTTP server).

    backend = open_backend("embedded", data=cohort_path())   # or "http://127.0.0.1:8080/fhir"
    ep = backend.episode()
    ep.search("Observation", {"patient": "pat-0001", "code": "http://loinc.org|2823-3"})

Names are imported lazily, so ``import medsim.fhir.interface`` stays cheap (no SQLAlchemy, httpx).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from medsim.fhir.interface import (
    FhirBackend,
    FhirClient,
    FhirEpisode,
    FhirError,
    Write,
    operation_outcome,
)
from medsim.lazy import lazy_attributes

if TYPE_CHECKING:
    from medsim.fhir.backends import open_backend, shared_backend
    from medsim.fhir.embedded import EmbeddedBackend
    from medsim.fhir.episode import EmbeddedEpisode
    from medsim.fhir.http import HttpBackend

_LAZY = {
    "EmbeddedBackend": "medsim.fhir.embedded",
    "EmbeddedEpisode": "medsim.fhir.episode",
    "HttpBackend": "medsim.fhir.http",
    "open_backend": "medsim.fhir.backends",
    "shared_backend": "medsim.fhir.backends",
}

__all__ = [
    "EmbeddedBackend",
    "EmbeddedEpisode",
    "FhirBackend",
    "FhirClient",
    "FhirEpisode",
    "FhirError",
    "HttpBackend",
    "Write",
    "open_backend",
    "operation_outcome",
    "shared_backend",
]


__getattr__ = lazy_attributes("medsim.fhir", _LAZY)
