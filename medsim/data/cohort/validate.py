"""Validate generated resources with the ``fhir.resources`` R4B models (the R4-compatible ones;
the package's default models are R5 and reject R4 JSON)."""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B import get_fhir_model_class


class Validator:
    """Collects validation errors as ``"Type/id: message"`` strings."""

    def __init__(self, max_errors: int = 50) -> None:
        self.errors: list[str] = []
        self.checked = 0
        self.max_errors = max_errors

    def check(self, resource: dict[str, Any]) -> bool:
        """Validate one resource; False (and an error recorded) if it is invalid."""
        self.checked += 1
        rtype = resource.get("resourceType", "?")
        try:
            get_fhir_model_class(rtype).model_validate(resource)
        except Exception as exc:  # pydantic.ValidationError or an unknown resource type
            if len(self.errors) < self.max_errors:
                first = str(exc).splitlines()
                self.errors.append(f"{rtype}/{resource.get('id')}: {' '.join(first[:3])}")
            return False
        return True
