"""``_summary`` and ``_elements``: what parts of a resource a read or search returns.

The summary elements of each type are those the R4 specification marks ``isSummary``, read from the
``fhir.resources`` R4B models (``summary_element_property``), and the mandatory ones (``min >= 1``)
from ``element_required``. Shaping is top level, as HAPI does for ``_elements``; a shaped resource
carries the ``SUBSETTED`` tag (``http://terminology.hl7.org/CodeSystem/v3-ObservationValue``) so a
client never mistakes it for the whole resource (and does not write it back).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from medsim.fhir.interface import FhirError

Json = dict[str, Any]
SUBSETTED = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
    "code": "SUBSETTED",
    "display": "Resource encoded in summary mode",
}
SUMMARY_MODES = ("true", "false", "text", "data", "count")
ALWAYS = ("resourceType", "id", "meta")


@cache
def _element_sets(resource_type: str) -> tuple[frozenset[str], frozenset[str]]:
    """(summary element names, mandatory element names) of a type, by JSON name."""
    from fhir.resources.R4B import get_fhir_model_class

    try:
        model = get_fhir_model_class(resource_type)
    except (KeyError, ValueError, AttributeError):
        return frozenset(), frozenset()
    summary: set[str] = set()
    required: set[str] = set()
    for name, info in model.model_fields.items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        json_name = info.alias or name
        if extra.get("summary_element_property"):
            summary.add(json_name)
        if extra.get("element_required"):
            required.add(json_name)
    return frozenset(summary), frozenset(required)


def check_summary(value: str) -> str:
    if value not in SUMMARY_MODES:
        raise FhirError(
            400, f'_summary must be one of {", ".join(SUMMARY_MODES)}; got "{value}"', "invalid"
        )
    return value


def parse_elements(value: str) -> list[str]:
    names = [v.strip() for v in value.split(",") if v.strip()]
    for n in names:
        if not n.replace(".", "").replace("-", "").isalnum():
            raise FhirError(400, f'_elements: invalid element name "{n}"', "invalid")
    return names


def shape(resource: Json, summary: str | None, elements: list[str] | None) -> Json:
    """``resource`` reduced by ``_summary`` / ``_elements`` (unchanged when neither applies)."""
    if summary in (None, "false", "count") and not elements:
        return resource
    rtype = str(resource.get("resourceType", ""))
    if summary == "data":
        out = {k: v for k, v in resource.items() if k != "text"}
        return _tagged(out)
    if summary == "text":
        _, required = _element_sets(rtype)
        keep = {*ALWAYS, "text", *required}
    elif summary == "true":
        keep = {*ALWAYS, *_element_sets(rtype)[0]}
    else:
        keep = set(ALWAYS)
        for name in elements or []:
            head = name.split(".")[0]
            if head.startswith(rtype + ".") or head == rtype:
                head = name.split(".")[1] if "." in name else head
            keep.add(head)
    out = {}
    for key, value in resource.items():
        if key in keep or any(
            key.startswith(k) and key[len(k) : len(k) + 1].isupper() for k in keep
        ):
            out[key] = value  # "value" keeps valueQuantity etc. (choice elements)
    return _tagged(out)


def _tagged(resource: Json) -> Json:
    meta = dict(resource.get("meta") or {})
    tags = [t for t in meta.get("tag") or [] if t.get("code") != SUBSETTED["code"]]
    meta["tag"] = [*tags, SUBSETTED]
    return {**resource, "meta": meta}
