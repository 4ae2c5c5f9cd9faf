"""Structural validation of incoming resources with ``fhir.resources`` R4B models.

The package's default models are R5 and reject R4 JSON (``medicationCodeableConcept`` is gone in
R5), so we validate against ``fhir.resources.R4B``, whose shapes match R4 for every resource type
medsim uses. Validation catches missing required elements, bad primitives, unknown elements and
``value[x]`` exclusivity. Before the model, :mod:`medsim.fhir.strict` checks JSON types strictly
(the models coerce ``"yes"`` to ``true``; medsim stores what it is given) and codes bound to a
required value set. Resource types are those of the R4 specification.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import ValidationError

from medsim.fhir import strict
from medsim.fhir.interface import FhirError
from medsim.fhir.urls import is_id, is_type


@cache
def _model(resource_type: str) -> Any:
    from fhir.resources.R4B import get_fhir_model_class

    try:
        return get_fhir_model_class(resource_type)
    except (KeyError, ValueError, AttributeError):
        return None


def check_type(resource_type: str) -> None:
    """400 unless ``resource_type`` is a known FHIR resource type."""
    if not is_type(resource_type) or resource_type not in strict.resource_types():
        raise FhirError(400, f'Unknown resource type "{resource_type}"', "not-supported")


def check_id(resource_id: str) -> None:
    """400 unless ``resource_id`` is a valid FHIR id (1-64 of ``[A-Za-z0-9-.]``)."""
    if not is_id(resource_id):
        raise FhirError(
            400, f"Invalid resource id {resource_id!r}: ids are 1-64 characters of [A-Za-z0-9-.]"
        )


def validate_resource(resource: Any, resource_type: str | None = None) -> None:
    """Raise a 400 :class:`FhirError` describing every structural problem of ``resource``."""
    if not isinstance(resource, dict):
        raise FhirError(400, "The request body must be a JSON object (a FHIR resource)")
    rtype = resource.get("resourceType")
    if not isinstance(rtype, str):
        raise FhirError(400, 'The resource has no "resourceType"')
    check_type(rtype)
    if resource_type is not None and rtype != resource_type:
        raise FhirError(
            400, f'Resource type in the body ("{rtype}") does not match the URL ("{resource_type}")'
        )
    if "id" in resource:
        check_id(resource["id"])
    problems = strict.check(resource)
    if problems:
        raise FhirError(400, f"Invalid {rtype}: " + "; ".join(problems), "structure")
    model = _model(rtype)
    if model is None:
        return
    try:
        model.model_validate(resource)
    except ValidationError as exc:
        found = "; ".join(
            f"{rtype}.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:10]
        )
        raise FhirError(400, f"Invalid {rtype}: {found}", "structure") from None
    except (TypeError, ValueError) as exc:
        raise FhirError(400, f"Invalid {rtype}: {exc}", "structure") from None
