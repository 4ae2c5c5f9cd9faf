"""Choosing and sharing backends: ``open_backend(spec)`` and the per-process ``shared_backend``."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from medsim.fhir.embedded import EmbeddedBackend
from medsim.fhir.interface import FhirBackend

_SHARED: dict[tuple[str, str, str], FhirBackend] = {}
_LOCK = threading.Lock()


def open_backend(
    spec: str | FhirBackend | None = None, data: str | Path | None = None, **kwargs: Any
) -> FhirBackend:
    """``"embedded"`` (default) loads ``data`` into the embedded engine; an ``http(s)://`` URL
    talks to that FHIR server (whose data is assumed loaded); a backend object is returned as is."""
    if spec is None or spec == "embedded":
        return EmbeddedBackend(data, **kwargs)
    if isinstance(spec, str) and spec.startswith(("http://", "https://")):
        from medsim.fhir.http import HttpBackend

        return HttpBackend(spec, **kwargs)
    if isinstance(spec, str):
        raise ValueError(f"unknown FHIR backend {spec!r}: use 'embedded' or an http(s):// base URL")
    return spec


def shared_backend(
    spec: str | None = None, data: str | Path | None = None, max_page_size: int | None = None
) -> FhirBackend:
    """One backend per (spec, data, max_page_size) per process, so many envs share one base."""
    key = (
        spec or "embedded",
        str(Path(data).resolve()) if data is not None else "",
        str(max_page_size or ""),
    )
    with _LOCK:
        if key not in _SHARED:
            extra = {"max_page_size": max_page_size} if max_page_size else {}
            _SHARED[key] = open_backend(spec, data, **extra)
        return _SHARED[key]
