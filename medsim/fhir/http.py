"""The HTTP backend: the same FHIR interface over any FHIR R4 base URL (HAPI, ``medsim serve-fhir``,
a hospital sandbox), with httpx.

The server's data is the base. An episode's writes really happen on the server; the episode
remembers each resource it touched and what it looked like before, and ``reset()`` puts the server
back: resources it created are deleted (and expunged where the server allows), resources it
changed or deleted are restored. Every request sends ``Cache-Control: no-cache`` because HAPI
otherwise reuses cached search results for 60 s and would hide the episode's own writes.

Isolation on a shared server: resources an episode creates carry two ``meta.tag`` codings,
``urn:medsim:scratch|1`` and ``urn:medsim:episode|<id>``. Searches exclude scratch resources
(``_tag:not``) and, when the episode has created resources of that type, fetch its own with a second
query and merge them into the first page (sorted by the same keys). Reads of another episode's
resources answer 404. Changes to *base* resources (update, delete) cannot be hidden on a shared
server: they are visible to other episodes until this episode resets. See docs/fhir.md.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

import httpx

from medsim.fhir import http_bundles
from medsim.fhir.interface import (
    MAX_BODY_BYTES,
    FhirError,
    SearchParams,
    Write,
    operation_outcome,
)
from medsim.fhir.loader import iter_references
from medsim.fhir.own_merge import merge_own, with_id
from medsim.fhir.query import MAX_COUNT, normalize_params, parse_query, reduced_warning
from medsim.fhir.search_params import split_reference
from medsim.fhir.transaction import entry_request
from medsim.fhir.validate import check_id, check_type, validate_resource

Json = dict[str, Any]
SCRATCH = {"system": "urn:medsim:scratch", "code": "1"}
EPISODE_SYSTEM = "urn:medsim:episode"
HEADERS = {"Accept": "application/fhir+json", "Cache-Control": "no-cache"}


class HttpBackend:
    """A FHIR server at ``base_url``; ``episode()`` opens a tracked, resettable view."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 30.0,
        headers: dict[str, str] | None = None,
        check: bool = True,
        isolation: bool = True,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.isolation = isolation
        self.timeout = timeout
        self.headers = {**HEADERS, **(headers or {})}
        self._count = 0
        self._lock = threading.Lock()
        if check:
            self._check_reachable()

    def _check_reachable(self) -> None:
        try:
            r = httpx.get(f"{self.base_url}/metadata", headers=self.headers, timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise ConnectionError(
                f"FHIR server at {self.base_url} is unreachable ({exc}). Start one (e.g. "
                "`medsim hapi start` or `medsim serve-fhir`) or use the embedded backend."
            ) from None
        if r.status_code != 200 or r.json().get("resourceType") != "CapabilityStatement":
            raise ConnectionError(
                f"{self.base_url}/metadata did not return a CapabilityStatement (HTTP {r.status_code})"
            )

    def episode(self, episode_id: str | None = None) -> HttpEpisode:
        with self._lock:
            self._count += 1
            eid = episode_id or f"ep{self._count}"
        return HttpEpisode(self, eid)

    def load(self, source: Any) -> int:
        from medsim.fhir.upload import upload

        return upload(self.base_url, source).resources

    def close(self) -> None:
        pass


class HttpEpisode:
    def __init__(self, backend: HttpBackend, episode_id: str) -> None:
        self.backend = backend
        self.base_url = backend.base_url
        self.episode_id = episode_id
        self._http = httpx.Client(
            base_url=self.base_url + "/",
            headers={**backend.headers, "X-Medsim-Episode": episode_id},
            timeout=backend.timeout,
        )
        self._lock = threading.RLock()
        self._writes: list[Write] = []
        self._before: dict[
            tuple[str, str], Json | None
        ] = {}  # first-touch image (None = did not exist)
        self._own_types: set[str] = set()  # types this episode created resources of
        self.clock: Callable[[], str] | None = None  # the server stamps meta.lastUpdated itself
        #: Largest ``_count`` honoured; above the server's own page limit, pages are gathered by
        #: following ``next`` links (a suite's ``max_page_size``, e.g. MedAgentBench's 5000).
        self.max_page_size: int = MAX_COUNT

    @property
    def writes(self) -> list[Write]:
        return list(self._writes)

    # -- transport ---------------------------------------------------------------------
    def _send(
        self, method: str, path: str, body: Json | None = None, params: Any = None
    ) -> tuple[int, Json]:
        try:
            r = self._http.request(method, path, json=body, params=params)
        except httpx.InvalidURL as exc:
            raise FhirError(400, f"Invalid request URL: {exc}") from None
        except httpx.HTTPError as exc:
            raise FhirError(503, f"FHIR server unreachable: {exc}", "transient") from None
        try:
            data = r.json() if r.content else {}
        except ValueError:
            data = operation_outcome(r.text[:500] or f"HTTP {r.status_code}")
        return r.status_code, data

    def _ok(self, status: int, data: Json) -> Json:
        if status >= 400:
            raise FhirError.from_outcome(
                status,
                data
                if data.get("resourceType") == "OperationOutcome"
                else operation_outcome(f"HTTP {status}"),
            )
        return data

    # -- reads -------------------------------------------------------------------------
    def read(self, resource_type: str, id: str) -> Json:
        check_type(resource_type)
        check_id(id)
        res = self._ok(*self._send("GET", f"{resource_type}/{id}"))
        if not self._visible(res):
            raise FhirError(404, f"Resource {resource_type}/{id} is not known", "not-found")
        return res

    def _visible(self, res: Json) -> bool:
        tags = (res.get("meta") or {}).get("tag") or []
        owners = [t.get("code") for t in tags if t.get("system") == EPISODE_SYSTEM]
        return not owners or self.episode_id in owners

    def _tagged(self, res: Json) -> Json:
        if not self.backend.isolation:
            return res
        meta = dict(res.get("meta") or {})
        tags = [
            t
            for t in meta.get("tag") or []
            if t.get("system") not in (EPISODE_SYSTEM, SCRATCH["system"])
        ]
        meta["tag"] = [*tags, SCRATCH, {"system": EPISODE_SYSTEM, "code": self.episode_id}]
        return {**res, "meta": meta}

    def search(self, resource_type: str, params: SearchParams | None = None) -> Json:
        check_type(resource_type)
        pairs = normalize_params(params)
        query = parse_query(resource_type, pairs)  # the embedded engine's 400s, before any I/O
        want = min(query.count, self.max_page_size) if query.count is not None else None
        if query.count is not None and query.count > self.max_page_size:
            pairs = [(k, v) for k, v in pairs if k != "_count"] + [("_count", str(want))]
        if self.backend.isolation and resource_type in self._own_types:
            bundle = self._merged_search(resource_type, pairs, query.offset, want)
        else:
            bundle = self._search_pages(resource_type, pairs)
            if want is not None:
                bundle = self._fill(bundle, want)
        if query.count is not None and want is not None and query.count > want:
            bundle.setdefault("entry", []).append(reduced_warning(query.count, want))
        return bundle

    def _fill(self, bundle: Json, want: int) -> Json:
        """Follow ``next`` links until ``want`` matches are in hand (server pages are smaller)."""
        entries = list(bundle.get("entry") or [])
        have = sum(1 for e in entries if (e.get("search") or {}).get("mode", "match") == "match")
        while have < want:
            nxt = next(
                (x["url"] for x in bundle.get("link") or [] if x["relation"] == "next"), None
            )
            if nxt is None:
                break
            page = self._ok(*self._send("GET", nxt))
            more = page.get("entry") or []
            entries += more
            have += sum(1 for e in more if (e.get("search") or {}).get("mode", "match") == "match")
            bundle = {**bundle, "link": page.get("link") or []}
            if not more:
                break
        return {**bundle, "entry": entries} if entries else bundle

    def _search_pages(self, resource_type: str, pairs: list[tuple[str, str]]) -> Json:
        if not any(k == "_total" for k, _ in pairs):
            pairs.append(("_total", "accurate"))  # HAPI omits total on large searches otherwise
        if not self.backend.isolation:
            return self._ok(*self._send("GET", resource_type, params=pairs))
        return self._ok(
            *self._send("GET", resource_type, params=[*pairs, ("_tag:not", "urn:medsim:scratch|1")])
        )

    def _merged_search(
        self, resource_type: str, pairs: list[tuple[str, str]], offset: int, want: int | None
    ) -> Json:
        """A search of a type this episode wrote: the server's matches without any episode's
        scratch resources, and this episode's own, merged as the embedded engine merges its two
        layers — each layer's first ``offset + count`` matches, in ``_sort`` order, sliced; the
        total is both layers'; ``next``/``previous`` links carry an ``_offset`` this method
        serves again (a server's own paging links would skip the episode's resources)."""
        plain = [(k, v) for k, v in pairs if k not in ("_count", "_offset", "_getpagesoffset")]
        count = want if want is not None else DEFAULT_PAGE_SIZE
        # ties broken by id on the server: HAPI orders equal sort keys differently for different
        # _count values, and every page re-reads the first offset + count of each layer
        ordered = [(k, with_id(v) if k == "_sort" else v) for k, v in plain]
        base = self._fill(
            self._search_pages(resource_type, [*ordered, ("_count", str(offset + count))]),
            offset + count,
        )
        own = self._fill(  # followed too: the server caps a page below offset + count
            self._ok(
                *self._send(
                    "GET",
                    resource_type,
                    params=[
                        *ordered,
                        ("_tag", f"{EPISODE_SYSTEM}|{self.episode_id}"),
                        ("_count", str(offset + count)),
                        ("_total", "accurate"),
                    ],
                )
            ),
            offset + count,
        )
        return merge_own(base, own, pairs, offset, count, self._link(resource_type, plain, count))

    def _link(self, resource_type: str, plain: list[tuple[str, str]], count: int) -> str:
        """This search's URL at the server's base without an offset (``&_offset=N`` follows)."""
        return (
            f"{self.backend.base_url}/{resource_type}?{urlencode([*plain, ('_count', str(count))])}"
        )

    def capabilities(self) -> Json:
        return self._ok(*self._send("GET", "metadata"))

    def request(
        self,
        method: str,
        url: str,
        body: Json | list[Any] | str | bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, Json]:
        """Reads go to the server as they are (its paging links, history, ``$everything``);
        writes, and compartment searches (which HAPI's JPA server does not implement), run
        through :mod:`medsim.fhir.rest` on this episode's tracked methods."""
        from medsim.fhir.rest import check_format_of, dispatch
        from medsim.fhir.urls import parse_request, split_url

        try:  # the same grammar and JSON-only rule as the embedded engine, before any I/O
            req = parse_request(method, url)
            check_format_of(req, {k.lower(): v for k, v in (headers or {}).items()})
        except FhirError as err:
            return err.status, err.outcome
        if (
            req.method in ("GET", "HEAD")
            and req.interaction == "search-type"
            and self.backend.isolation
            and req.resource_type is not None
        ):  # a search sees what search() sees: not other episodes' writes, its own merged in
            try:
                return 200, self.search(req.resource_type, list(req.query))
            except FhirError as err:
                return err.status, err.outcome
        if req.method in ("GET", "HEAD") and req.interaction != "search-compartment":
            segments, query = split_url(url)
            path = "/".join(segments) + (("?" + urlencode(query)) if query else "")
            return self._send("GET", path)
        with self._lock:
            return dispatch(self, method, url, body, headers)

    # -- writes (tracked) --------------------------------------------------------------
    def _remember(self, rtype: str, rid: str) -> None:
        key = (rtype, rid)
        if key in self._before:
            return
        status, data = self._send("GET", f"{rtype}/{rid}")
        self._before[key] = data if status == 200 else None

    def create(self, resource: Json) -> Json:
        with self._lock:
            self._check_write(resource)
            stored = self._ok(*self._send("POST", resource["resourceType"], self._tagged(resource)))
            self._own_types.add(stored["resourceType"])
            self._before.setdefault((stored["resourceType"], stored["id"]), None)
            self._writes.append(
                Write("create", stored["resourceType"], stored["id"], stored, len(self._writes))
            )
            return stored

    def update(self, resource_type: str, id: str, resource: Json) -> Json:
        check_type(resource_type)
        check_id(id)
        with self._lock:
            self._check_write(resource, resource_type)
            if resource.get("id") != id:
                raise FhirError(
                    400,
                    f"Can not update resource: the body's id ({resource.get('id')!r}) must match the URL id ({id!r})",
                )
            self._remember(resource_type, id)
            body = (
                resource
                if self._before[(resource_type, id)] is not None
                else self._tagged(resource)
            )
            if self._before[(resource_type, id)] is None:
                self._own_types.add(resource_type)
            stored = self._ok(*self._send("PUT", f"{resource_type}/{id}", body))
            self._writes.append(Write("update", resource_type, id, stored, len(self._writes)))
            return stored

    def delete(self, resource_type: str, id: str) -> None:
        check_type(resource_type)
        check_id(id)
        with self._lock:
            self._remember(resource_type, id)
            self._ok(*self._send("DELETE", f"{resource_type}/{id}"))
            self._writes.append(Write("delete", resource_type, id, None, len(self._writes)))

    def _check_write(
        self, resource: Any, resource_type: str | None = None, refs: bool = True
    ) -> None:
        """What the embedded engine checks before a write, checked here before any request, so
        every backend rejects the same writes (servers differ: HAPI is lenient by default)."""
        validate_resource(resource, resource_type)
        if len(json.dumps(resource)) > MAX_BODY_BYTES:
            raise FhirError(413, f"Resource too large (limit {MAX_BODY_BYTES} bytes)", "too-costly")
        if refs and resource.get("resourceType") != "Bundle":  # a Bundle cites its own entries
            for ref in iter_references(resource):
                if ref.startswith("#") or (
                    "://" in ref and not ref.startswith(self.base_url + "/")
                ):
                    continue
                target = split_reference(ref)
                status = self._send("GET", f"{target[0]}/{target[1]}")[0] if target else 400
                if status != 200:
                    raise FhirError(
                        400,
                        f"Resource {ref} not found, specified in {resource['resourceType']}",
                        "not-found",
                    )

    def transaction(self, bundle: Json) -> Json:
        with self._lock:
            bundle, rejected = http_bundles.checked_entries(bundle, self._check_entry)
            if isinstance(bundle, dict) and isinstance(bundle.get("entry"), list):
                bundle = {
                    **bundle,
                    "entry": [
                        {**e, "resource": self._tagged(e["resource"])}
                        if isinstance(e, dict)
                        and isinstance(e.get("resource"), dict)
                        and (e.get("request") or {}).get("method") == "POST"
                        else e
                        for e in bundle["entry"]
                    ],
                }
                for e in bundle["entry"]:  # reset restores what it updates or deletes by id
                    hit = http_bundles.target(e.get("request") if isinstance(e, dict) else None)
                    if hit is not None:
                        self._remember(*hit)
            result = self._ok(*self._send("POST", "", bundle))
            for method, rtype, rid, body in http_bundles.written(bundle, result):
                if method != "delete":
                    self._before.setdefault((rtype, rid), None)
                    self._own_types.add(rtype)
                self._writes.append(Write(method, rtype, rid, body, len(self._writes)))
            return http_bundles.with_rejected(result, rejected)

    def _check_entry(self, entry: Json) -> None:
        """What the embedded engine refuses in a Bundle entry, refused before any request: an
        interaction it does not run there (conditional writes, patch) and a bad resource."""
        request = entry.get("request")
        if isinstance(request, dict) and all(
            isinstance(request.get(k), str) for k in ("method", "url")
        ):
            entry_request(request)
        if isinstance(entry.get("resource"), dict):
            self._check_write(entry["resource"], refs=False)

    def load_overlay(self, resources: list[Json]) -> None:
        """Put a task's scenario resources on the server for this episode (tagged like its own
        writes, so other episodes don't see them; removed by :meth:`reset`; not in :attr:`writes`).
        Overlay ids are the task's, so two episodes of the *same task* on one server collide."""
        with self._lock:
            entries = []
            for res in resources:
                if "id" not in res:
                    raise FhirError(400, f"overlay {res.get('resourceType')} needs an id")
                self._remember(res["resourceType"], res["id"])
                self._own_types.add(res["resourceType"])
                entries.append(
                    {
                        "resource": self._tagged(res),
                        "request": {"method": "PUT", "url": f"{res['resourceType']}/{res['id']}"},
                    }
                )
            if entries:
                self._ok(
                    *self._send(
                        "POST",
                        "",
                        {"resourceType": "Bundle", "type": "transaction", "entry": entries},
                    )
                )

    def reset(self) -> None:
        """Put every touched resource back as it was before this episode (newest first)."""
        with self._lock:
            for (rtype, rid), before in reversed(list(self._before.items())):
                if before is None:
                    self._send("DELETE", f"{rtype}/{rid}")
                    self._send(
                        "POST",
                        f"{rtype}/{rid}/$expunge",
                        {
                            "resourceType": "Parameters",
                            "parameter": [
                                {"name": "expungeDeletedResources", "valueBoolean": True},
                                {"name": "expungePreviousVersions", "valueBoolean": True},
                            ],
                        },
                    )
                else:
                    self._send("PUT", f"{rtype}/{rid}", before)
            self._before.clear()
            self._writes.clear()
            self._own_types.clear()

    def close(self) -> None:
        self._http.close()


#: Page size of a merged search without ``_count`` (HAPI's default, and the embedded engine's).
DEFAULT_PAGE_SIZE = 20
