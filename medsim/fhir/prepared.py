"""Resources checked and extracted once per stored text: a task's overlay is loaded at every
reset of an env, and whether a resource is valid, its stored text and its index rows depend on
the resource alone [changed in 0.3, session 6: validating the overlay was most of a reset]."""

from __future__ import annotations

from typing import Any

from medsim.fhir import storage
from medsim.fhir.interface import MAX_BODY_BYTES, FhirError
from medsim.fhir.search_params import IndexRows, extract
from medsim.fhir.validate import validate_resource

Json = dict[str, Any]


def check_size(body: str) -> None:
    """413 when a resource's stored text is over :data:`MAX_BODY_BYTES`."""
    if len(body) > MAX_BODY_BYTES:
        raise FhirError(
            413, f"Resource too large ({len(body)} bytes; limit {MAX_BODY_BYTES})", "too-costly"
        )


#: Overlay resources that passed :func:`validate_resource`, by stored text, with their index
#: rows (a verdict and the rows depend on the resource alone, and an env loads its task's overlay
#: at every reset). Bounded: cleared when it reaches :data:`_VALID_MAX` entries.
_VALID_OVERLAYS: dict[str, IndexRows] = {}
_VALID_MAX = 4096


def prepared_overlay(resource: Json) -> tuple[str, IndexRows]:
    """The stored text and index rows of an overlay resource, validated the first time this text
    is seen (a 400 :class:`FhirError` as :func:`validate_resource` gives, every time it is
    invalid)."""
    try:
        body = storage.dumps(resource)
    except (TypeError, ValueError, AttributeError):
        validate_resource(resource)  # the usual 400 when it is not a valid resource
        raise
    extracted = _VALID_OVERLAYS.get(body)
    if extracted is None:
        validate_resource(resource)
        if len(_VALID_OVERLAYS) >= _VALID_MAX:
            _VALID_OVERLAYS.clear()
        extracted = _VALID_OVERLAYS[body] = extract(resource, stored=True)
    return body, extracted
