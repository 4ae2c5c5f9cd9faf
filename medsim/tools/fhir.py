"""The stable FHIR tools: generic search, read, create and update on the episode's EHR view.

Each returns exactly what a FHIR server answers (a ``searchset`` Bundle, a resource, or an
``OperationOutcome`` on failure), so an agent trained here sees what it would see on HAPI.
"""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from pydantic import StringConstraints

from medsim.fhir.interface import FhirEpisode, FhirError
from medsim.fhir.urls import ID_PATTERN, TYPE_PATTERN
from medsim.tools.base import ToolContext, ToolError, tool

ResourceType = Annotated[str, StringConstraints(pattern=rf"^{TYPE_PATTERN}$")]
FhirId = Annotated[str, StringConstraints(pattern=rf"^{ID_PATTERN}$")]

#: Resource types an agent commonly searches (also the sampler's and the schema's examples).
COMMON_TYPES = [
    "Patient",
    "Observation",
    "Condition",
    "MedicationRequest",
    "Procedure",
    "ServiceRequest",
    "DocumentReference",
    "AllergyIntolerance",
    "Encounter",
]


def _episode(fhir: FhirEpisode | None) -> FhirEpisode:
    if fhir is None:
        raise ToolError("no EHR is attached to this tool call (bind a ToolContext with fhir=...)")
    return fhir


class _BadRequest:
    """Input the engine could not handle (a ``_count`` of "²", an ``_offset`` beyond SQLite's
    integers ...) is the request's fault: answer 400 with an OperationOutcome naming the value,
    as a FHIR server would, instead of a crash reported as a tool bug. (A class, not a
    ``@contextmanager`` generator: entered on every FHIR tool call, it costs ~0.2 µs against ~0.7.)"""

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any
    ) -> None:
        if kind is not None and issubclass(
            kind, (ValueError, OverflowError, UnicodeError, RecursionError)
        ):
            raise FhirError(
                400, f"the EHR could not process this request ({kind.__name__}: {exc})", "invalid"
            ) from None


_bad_request = _BadRequest()


def _sample_search(rng: np.random.Generator, ctx: ToolContext) -> dict[str, Any]:
    rtype = COMMON_TYPES[int(rng.integers(1, len(COMMON_TYPES)))]
    params: dict[str, Any] = {"patient": ctx.patient_id or "pat-0001"}
    if rng.random() < 0.5:
        params["_count"] = str(int(rng.integers(1, 20)))
    return {"resource_type": rtype, "params": params}


def _sample_read(rng: np.random.Generator, ctx: ToolContext) -> dict[str, Any]:
    return {"resource_type": "Patient", "id": ctx.patient_id or "pat-0001"}


@tool(
    sampler=_sample_search,
    examples={
        "resource_type": ["Observation", "MedicationRequest", "Condition"],
        "params": [{"patient": "pat-0001", "code": "http://loinc.org|2823-3", "_sort": "-date"}],
    },
)
def fhir_search(
    resource_type: ResourceType,
    params: dict[str, str | list[str]] | None = None,
    fhir: FhirEpisode | None = None,
) -> dict[str, Any]:
    """Search the electronic health record (FHIR R4) and return a searchset Bundle.

    The search covers every patient in the record, as in a real EHR: give a "patient"
    parameter to search one patient's chart.

    Args:
        resource_type: FHIR resource type to search, e.g. "Observation", "Condition",
            "MedicationRequest", "Patient".
        params: FHIR search parameters, e.g. {"patient": "pat-0001", "code":
            "http://loinc.org|2823-3", "date": "ge2024-01-01", "_sort": "-date", "_count": "10"}.
            A list value repeats the parameter (both conditions must hold).
    """
    with _bad_request:
        return dict(_episode(fhir).search(resource_type, dict(params or {})))


@tool(sampler=_sample_read, examples={"resource_type": ["Patient"], "id": ["pat-0001"]})
def fhir_read(
    resource_type: ResourceType, id: FhirId, fhir: FhirEpisode | None = None
) -> dict[str, Any]:
    """Read one FHIR resource by type and id.

    Args:
        resource_type: FHIR resource type, e.g. "Patient".
        id: The resource's logical id, e.g. "pat-0001".
    """
    with _bad_request:
        return dict(_episode(fhir).read(resource_type, id))


@tool(writes=True, examples={"resource_type": ["MedicationRequest", "ServiceRequest"]})
def fhir_create(
    resource_type: ResourceType, resource: dict[str, Any], fhir: FhirEpisode | None = None
) -> dict[str, Any]:
    """Create a FHIR resource (an order, a note, an observation) and return it as stored.

    Args:
        resource_type: FHIR resource type to create, e.g. "MedicationRequest",
            "ServiceRequest", "DocumentReference", "Observation".
        resource: The resource as FHIR R4 JSON; its "resourceType" must match resource_type.
    """
    body = dict(resource)
    declared = body.setdefault("resourceType", resource_type)
    if declared != resource_type:
        raise ToolError(
            f"resource.resourceType is {declared!r} but resource_type is {resource_type!r}"
        )
    with _bad_request:
        return dict(_episode(fhir).create(body))


@tool(writes=True, examples={"resource_type": ["MedicationRequest"]})
def fhir_update(
    resource_type: ResourceType,
    id: FhirId,
    resource: dict[str, Any],
    fhir: FhirEpisode | None = None,
) -> dict[str, Any]:
    """Replace an existing FHIR resource (e.g. to change an order's status) and return it.

    Args:
        resource_type: FHIR resource type, e.g. "MedicationRequest".
        id: The logical id of the resource to replace.
        resource: The complete new version as FHIR R4 JSON (same resourceType and id).
    """
    body = dict(resource)
    declared = body.setdefault("resourceType", resource_type)
    body_id = body.setdefault("id", id)
    if declared != resource_type or body_id != id:
        raise ToolError(
            f"resource is {declared}/{body_id} but the update targets {resource_type}/{id}"
        )
    with _bad_request:
        return dict(_episode(fhir).update(resource_type, id, body))


@tool(writes=True, examples={"method": ["GET", "DELETE"], "url": ["Patient/pat-0001/_history"]})
def fhir_request(
    method: str,
    url: str,
    body: dict[str, Any] | list[Any] | str | None = None,
    fhir: Any = None,
) -> dict[str, Any]:
    """Send any FHIR REST request (history, $everything, conditional writes, PATCH, DELETE ...).

    Args:
        method: GET, HEAD, POST, PUT, PATCH or DELETE.
        url: The request URL, relative to the FHIR base (e.g. "Observation/12/_history") or
            absolute.
        body: The request body: a resource, a JSON Patch list, or a form-encoded string for
            POST _search.
    """
    episode = _episode(fhir)
    with _bad_request:
        status, data = episode.request(method, url, body)
    if status >= 400:
        raise FhirError.from_outcome(status, data)
    return dict(data)
