"""Load FHIR data (Bundles, NDJSON, resource lists) into any FHIR server, idempotently.

Every resource is written with ``PUT <Type>/<id>`` inside transaction Bundles of ``batch_size``
entries, using the resource's own id, so loading the same data twice changes nothing (HAPI
answers an identical PUT without creating a version). Resources without an id get a
deterministic one: the UUID of their ``urn:uuid:`` fullUrl, else a UUID derived from their
content. References to an input Bundle's ``fullUrl`` (``urn:uuid:...`` or absolute) are rewritten
to ``Type/id``, because each batch is a separate transaction and Bundle-local names would not
resolve across batches. Within a file, resources are ordered so that likely reference targets
(Organization, Practitioner, Patient, Encounter ...) are written first.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from medsim.fhir.loader import (
    DataError,
    data_files,
    iter_file,
    order_resources,
    resolve_bundle,
    resources_of,
)

Json = dict[str, Any]
Source = str | Path | Mapping[str, Any] | Iterable[Mapping[str, Any]]

_RETRY_STATUS = {502, 503, 504}


class UploadError(RuntimeError):
    """Bad input or a rejected batch; the message names the file, resource or batch."""


@dataclass
class UploadResult:
    """What a load did. ``unchanged`` needs HAPI's no-change outcome; other servers report it
    as ``updated``."""

    resources: int = 0
    batches: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    by_type: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "resources": self.resources,
            "batches": self.batches,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "by_type": dict(sorted(self.by_type.items())),
        }


# ---- reading (medsim.fhir.loader does it; here only the order and the error type) -------------


def iter_resources(source: Source) -> Iterator[Json]:
    """Resources in upload order: each file (or the whole in-memory input) with the usual
    reference targets first. Bad input raises :class:`UploadError` naming the file or item."""
    try:
        if isinstance(source, str | Path):
            for path in data_files(Path(source)):
                yield from order_resources(list(iter_file(path)))
        elif isinstance(source, Mapping):
            yield from order_resources(resources_of(source, "input"))
        else:
            items: list[Json] = []
            for i, item in enumerate(source):
                items += resources_of(item, f"input item {i}")
            yield from order_resources(items)
    except DataError as exc:
        raise UploadError(str(exc)) from None


def prepare_bundle(bundle: Mapping[str, Any], where: str = "bundle") -> list[Json]:
    """A Bundle's resources with ids assigned and fullUrl references rewritten to Type/id."""
    try:
        return resolve_bundle(bundle, where)
    except DataError as exc:
        raise UploadError(str(exc)) from None


def batched(items: Iterable[Json], size: int) -> Iterator[list[Json]]:
    """Consecutive lists of at most ``size`` items."""
    if size < 1:
        raise ValueError(f"batch size must be >= 1, got {size}")
    batch: list[Json] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def transaction_bundle(resources: Iterable[Json]) -> Json:
    """A transaction Bundle that PUTs each resource at ``Type/id``."""
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "resource": r,
                "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"},
            }
            for r in resources
        ],
    }


# ---- sending ----------------------------------------------------------------------------------


def _entry_kind(entry: Mapping[str, Any]) -> str:
    """created / updated / unchanged, from a transaction-response entry."""
    response = entry.get("response") or {}
    codes = {
        coding.get("code")
        for issue in ((response.get("outcome") or {}).get("issue") or [])
        for coding in ((issue.get("details") or {}).get("coding") or [])
    }
    if "SUCCESSFUL_UPDATE_NO_CHANGE" in codes:
        return "unchanged"
    return "created" if str(response.get("status", "")).startswith("201") else "updated"


def _post(client: httpx.Client, url: str, bundle: Json, batch_no: int, retries: int = 3) -> Json:
    body = json.dumps(bundle, separators=(",", ":"))
    headers = {"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"}
    for attempt in range(retries + 1):
        try:
            r = client.post(url, content=body, headers=headers)
        except httpx.TransportError as exc:
            if attempt == retries:
                raise UploadError(f"batch {batch_no}: cannot reach {url}: {exc}") from exc
        else:
            if r.status_code not in _RETRY_STATUS or attempt == retries:
                break
        time.sleep(0.5 * 2**attempt)  # PUT is idempotent, so a retry is safe
    if r.status_code >= 400:
        raise UploadError(
            f"batch {batch_no} rejected by {url}: HTTP {r.status_code}: {_diagnostics(r)}"
        )
    try:
        reply: Json = r.json()
    except ValueError:
        raise UploadError(
            f"batch {batch_no}: {url} answered HTTP {r.status_code} without JSON"
        ) from None
    return reply


def _diagnostics(r: httpx.Response) -> str:
    try:
        issues = r.json().get("issue") or []
        return "; ".join(str(i.get("diagnostics", "")) for i in issues)[:2000] or r.text[:2000]
    except ValueError:
        return r.text[:2000]


def _count(source: Source) -> int | None:
    """Number of resources of an in-memory list (Bundles count their entries), else None."""
    if not isinstance(source, list):
        return None
    return sum(
        len(r.get("entry") or []) if r.get("resourceType") == "Bundle" else 1 for r in source
    )


class _Progress:
    """A one-line progress report on stderr (resources written, rate)."""

    def __init__(self, enabled: bool, total: int | None) -> None:
        self.enabled, self.total, self.t0 = enabled, total, time.monotonic()

    def update(self, result: UploadResult) -> None:
        if not self.enabled:
            return
        done = f"{result.resources}/{self.total}" if self.total else str(result.resources)
        rate = result.resources / max(time.monotonic() - self.t0, 1e-6)
        sys.stderr.write(f"\rloading: {done} resources, {result.batches} batches, {rate:,.0f}/s ")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")


def upload(
    base_url: str,
    source: Source,
    *,
    batch_size: int = 500,
    workers: int = 1,
    client: httpx.Client | None = None,
    timeout: float = 300.0,
    progress: bool | None = None,
) -> UploadResult:
    """Write every resource of ``source`` to the FHIR server at ``base_url``; returns the counts.

    Batches are separate transactions: if one is rejected, :class:`UploadError` names it and the
    earlier batches stay written (loading again is safe). ``workers`` > 1 sends that many batches
    at once (about 1.7x faster on HAPI with 2; keep 1 for servers that enforce referential
    integrity, since a batch may then land before the one holding its targets). ``progress``
    defaults to "stderr is a terminal".
    """
    url = base_url.rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise UploadError(f"base URL must start with http:// or https://, got {base_url!r}")
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    own_client = client is None
    http = client or httpx.Client(timeout=timeout)
    bar = _Progress(sys.stderr.isatty() if progress is None else progress, _count(source))
    result = UploadResult()
    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            pending: deque[tuple[list[Json], Future[Json]]] = deque()
            for number, batch in enumerate(batched(iter_resources(source), batch_size), 1):
                pending.append(
                    (batch, pool.submit(_post, http, url, transaction_bundle(batch), number))
                )
                if len(pending) >= 2 * workers:  # bounded look-ahead: memory stays small
                    _record(result, *pending.popleft(), bar)
            while pending:
                _record(result, *pending.popleft(), bar)
    finally:
        bar.close()
        if own_client:
            http.close()
    return result


def _record(result: UploadResult, batch: list[Json], reply: Future[Json], bar: _Progress) -> None:
    """Add one answered batch to the counts (in submission order)."""
    entries = reply.result().get("entry") or []
    if len(entries) != len(batch):
        raise UploadError(
            f"batch {result.batches + 1}: {len(batch)} entries sent, {len(entries)} answered"
        )
    for entry in entries:
        kind = _entry_kind(entry)
        setattr(result, kind, getattr(result, kind) + 1)
    result.resources += len(batch)
    result.batches += 1
    result.by_type.update(r["resourceType"] for r in batch)
    bar.update(result)
