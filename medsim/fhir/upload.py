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

import gzip
import io
import json
import re
import sys
import time
import uuid
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import httpx

Json = dict[str, Any]
Source = str | Path | Mapping[str, Any] | Iterable[Mapping[str, Any]]

ID_RE = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
# Written first when present in one file, so references point backwards where possible.
TYPE_ORDER = (
    "Organization",
    "Location",
    "Practitioner",
    "PractitionerRole",
    "Patient",
    "Encounter",
)
# A fixed namespace: the same content always gets the same generated id.
_ID_NAMESPACE = uuid.UUID("7d3f6c1e-52a4-4e0b-9d7e-6a1c2b3f4e5d")
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


# ---- reading ----------------------------------------------------------------------------------


def _open_text(path: Path) -> TextIO:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return io.StringIO(raw.decode("utf-8-sig"))


def _read_file(path: Path) -> list[Json]:
    """The resources of one file: a JSON Bundle/resource/list, or NDJSON (gzipped or not)."""
    name = path.name.lower().removesuffix(".gz")
    with _open_text(path) as fh:
        if name.endswith((".ndjson", ".jsonl")):
            out = []
            for lineno, line in enumerate(fh, 1):
                if line.strip():
                    try:
                        out.append(json.loads(line))
                    except json.JSONDecodeError as exc:
                        raise UploadError(f"{path}:{lineno}: invalid JSON: {exc.msg}") from None
            return _resources_of(out, str(path))
        try:
            return _resources_of(json.load(fh), str(path))
        except json.JSONDecodeError as exc:
            raise UploadError(f"{path}: invalid JSON at line {exc.lineno}: {exc.msg}") from None


def _resources_of(data: Any, where: str) -> list[Json]:
    """Flatten a Bundle, a single resource or a list of either into prepared resources."""
    if isinstance(data, Mapping):
        data = [data]
    if not isinstance(data, list):
        raise UploadError(
            f"{where}: expected a FHIR resource, Bundle or list, got {type(data).__name__}"
        )
    out: list[Json] = []
    for i, item in enumerate(data):
        if not isinstance(item, Mapping) or not isinstance(item.get("resourceType"), str):
            raise UploadError(f"{where}: item {i} is not a FHIR resource (no resourceType)")
        if item["resourceType"] == "Bundle":
            out.extend(prepare_bundle(item, f"{where} item {i}"))
        else:
            out.append(_with_id(dict(item), None, f"{where} item {i}"))
    return order_resources(out)


def _with_id(resource: Json, full_url: str | None, where: str) -> Json:
    """Give a resource its deterministic id if it has none; reject invalid ids."""
    rid = resource.get("id")
    if rid is None:
        if full_url and full_url.startswith("urn:uuid:"):
            rid = full_url.removeprefix("urn:uuid:")
        else:
            canonical = json.dumps(resource, sort_keys=True, separators=(",", ":"))
            rid = str(uuid.uuid5(_ID_NAMESPACE, canonical))
        resource["id"] = rid
    if not isinstance(rid, str) or not ID_RE.match(rid):
        raise UploadError(f"{where}: invalid id {rid!r} for {resource['resourceType']}")
    return resource


def prepare_bundle(bundle: Mapping[str, Any], where: str = "bundle") -> list[Json]:
    """The resources of a Bundle with ids assigned and fullUrl references rewritten to Type/id."""
    entries = bundle.get("entry") or []
    resources: list[Json] = []
    names: dict[str, str] = {}
    for i, entry in enumerate(entries):
        res = entry.get("resource") if isinstance(entry, Mapping) else None
        if res is None:
            continue  # e.g. a DELETE entry of a transaction
        if not isinstance(res, Mapping) or not isinstance(res.get("resourceType"), str):
            raise UploadError(f"{where}: entry {i} has no valid resource")
        full_url = entry.get("fullUrl")
        res = _with_id(json.loads(json.dumps(res)), full_url, f"{where} entry {i}")
        if full_url:
            names[full_url] = f"{res['resourceType']}/{res['id']}"
        resources.append(res)
    for res in resources:
        rewrite_references(res, names)
    return resources


def rewrite_references(node: Any, names: Mapping[str, str]) -> None:
    """Replace, in place, every ``reference`` that is a key of ``names`` by its value.

    A ``urn:uuid:`` reference missing from ``names`` cannot be resolved once batches are split,
    so it is an error.
    """
    if isinstance(node, dict):
        ref = node.get("reference")
        if isinstance(ref, str):
            if ref in names:
                node["reference"] = names[ref]
            elif ref.startswith("urn:uuid:"):
                raise UploadError(f"reference {ref} does not match any fullUrl in its Bundle")
        for value in node.values():
            if isinstance(value, dict | list):
                rewrite_references(value, names)
    elif isinstance(node, list):
        for item in node:
            rewrite_references(item, names)


def order_resources(resources: list[Json]) -> list[Json]:
    """Stable sort putting the usual reference targets first (see :data:`TYPE_ORDER`)."""
    rank = {t: i for i, t in enumerate(TYPE_ORDER)}
    return sorted(resources, key=lambda r: rank.get(r["resourceType"], len(rank)))


def iter_resources(source: Source) -> Iterator[Json]:
    """Prepared resources from a file, a folder (its ``*.json``/``*.ndjson``, gz or not, sorted by
    name), a Bundle or resource dict, or an iterable of resources/Bundles."""
    if isinstance(source, str | Path):
        path = Path(source)
        if path.is_dir():
            files = sorted(
                (
                    p
                    for p in path.rglob("*")
                    if p.is_file()
                    and p.name.lower().removesuffix(".gz").endswith((".json", ".ndjson", ".jsonl"))
                ),
                key=_file_rank,
            )
            if not files:
                raise UploadError(f"{path}: no .json or .ndjson files")
            for f in files:
                yield from _read_file(f)
        elif path.is_file():
            yield from _read_file(path)
        else:
            raise UploadError(f"{path}: no such file or folder")
    elif isinstance(source, Mapping):
        yield from _resources_of(source, "input")
    else:
        yield from _resources_of(list(source), "input")


def _file_rank(path: Path) -> tuple[int, str]:
    """Bulk-export files named after a type (``Patient.ndjson``) follow :data:`TYPE_ORDER`."""
    stem = path.name.split(".")[0]
    rank = TYPE_ORDER.index(stem) if stem in TYPE_ORDER else len(TYPE_ORDER)
    return rank, str(path)


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
