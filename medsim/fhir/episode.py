"""One episode's isolated, writable view of an :class:`~medsim.fhir.embedded.EmbeddedBackend`.

Implements the :class:`~medsim.fhir.interface.FhirEpisode` protocol: read / search / create /
update / delete / transaction / capabilities / REST ``request``. Every call is serialised by a
per-episode lock, so one episode may be shared by threads; different episodes share nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal

from medsim.fhir import history, storage
from medsim.fhir.capability import capability_statement
from medsim.fhir.dates import now_instant
from medsim.fhir.interface import FhirError, SearchParams, Write
from medsim.fhir.layered_search import LayeredSearch
from medsim.fhir.loader import iter_references
from medsim.fhir.prepared import check_size, prepared_overlay
from medsim.fhir.query import (
    MAX_COUNT,
    normalize_params,
    parse_query,
)
from medsim.fhir.rest import dispatch
from medsim.fhir.search_params import IndexRows, split_reference
from medsim.fhir.transaction import run_bundle
from medsim.fhir.validate import check_id, check_type, validate_resource

if TYPE_CHECKING:
    from medsim.fhir.embedded import EmbeddedBackend

Json = dict[str, Any]


class EmbeddedEpisode(LayeredSearch):
    """One episode's view: reads, writes, history and REST here; search in :class:`LayeredSearch`."""

    def __init__(self, backend: EmbeddedBackend, episode_id: str) -> None:
        self.backend = backend
        self.episode_id = episode_id
        self.base_url = backend.base_url
        self._conn = backend.connect_layer()
        self._codec = backend.bodies()  # decodes base and layer bodies (one per episode)
        history.create(self._conn)
        #: Largest ``_count`` honoured (larger ones are reduced, with a warning in the Bundle).
        self.max_page_size: int = getattr(backend, "max_page_size", MAX_COUNT)
        self._lock = threading.RLock()
        self._writes: list[Write] = []
        #: Resource types with rows in the layer (a superset after a rolled-back write): a search
        #: of any other type reads the base alone, without the shadow and layer queries.
        self._layer_types: set[str] = set()
        #: type -> base rids the layer hides, valid while no write, rollback or reset happened
        self._shadows: dict[str, list[int]] = {}
        self._next_id = 1
        self.clock: Callable[[], str] | None = None  # meta.lastUpdated source (fixed in envs)
        self.check_references = True

    # -- protocol: bookkeeping ---------------------------------------------------------
    @property
    def writes(self) -> list[Write]:
        return list(self._writes)

    def reset(self) -> None:
        with self._lock:
            storage.clear(self._conn, "main")
            history.clear(self._conn)
            self._writes.clear()
            self._layer_types.clear()
            self._shadows.clear()
            self._next_id = 1

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def load_overlay(self, resources: list[Json]) -> None:
        """Add scenario resources to this episode's view as if they were part of the base.

        Validated like writes but not recorded in :attr:`writes`; dropped by :meth:`reset`.
        """
        with self._lock, self._savepoint():
            checked: dict[tuple[str, str], tuple[Json, str, IndexRows]] = {}
            for res in resources:  # (each checked as a write would be, in order)
                body, extracted = prepared_overlay(res)
                if "id" not in res:
                    raise FhirError(400, f"overlay {res['resourceType']} needs an id")
                check_size(body)
                key = (str(res["resourceType"]), str(res["id"]))
                checked.pop(key, None)  # a resource given twice: the later copy, in its place
                checked[key] = (res, body, extracted)
            self._store_overlay(list(checked.values()))

    def _store_overlay(self, items: list[tuple[Json, str, IndexRows]]) -> None:
        """Store checked overlay resources as version 1 in one batch (one ``executemany`` per
        table), each replacing a layer resource of the same type and id: the same rows, in the
        same order, as storing them one by one."""
        for res, _, _ in items:
            rtype = str(res["resourceType"])
            old = self._conn.execute(
                "SELECT rid FROM main.resources WHERE type = ? AND id = ?", (rtype, res["id"])
            ).fetchone()
            if old is not None:
                storage.delete_rows(self._conn, "main", old[0])
            self._layer_types.add(rtype)
        self._shadows.clear()
        buf = storage.RowBuffer(self._conn, "main")
        for res, body, extracted in items:
            last_updated = str((res.get("meta") or {}).get("lastUpdated", ""))
            buf.add(res, version=1, last_updated=last_updated, body=body, extracted=extracted)
        buf.flush()

    # -- protocol: reads ---------------------------------------------------------------
    def read(self, resource_type: str, id: str) -> Json:
        check_type(resource_type)
        check_id(id)
        with self._lock:
            found = self._locate(resource_type, id)
            if found is None:
                raise FhirError(404, f"Resource {resource_type}/{id} is not known", "not-found")
            if not isinstance(found, dict):
                raise FhirError(410, f"Resource {resource_type}/{id} was deleted", "deleted")
            return found

    def _locate(self, resource_type: str, id: str) -> Json | str | None:
        row = self._conn.execute(
            "SELECT deleted, body FROM main.resources WHERE type = ? AND id = ?",
            (resource_type, id),
        ).fetchone()
        if row is not None:
            return "deleted" if row[0] else self._codec.decode(row[1])
        row = self._conn.execute(
            "SELECT body FROM base.resources WHERE type = ? AND id = ?", (resource_type, id)
        ).fetchone()
        return self._codec.decode(row[0]) if row else None

    def exists(self, resource_type: str, id: str) -> bool:
        with self._lock:
            return isinstance(self._locate(resource_type, id), dict)

    def vread(self, resource_type: str, id: str, version: str | None) -> Json:
        """One version of a resource (``Type/id/_history/vid``)."""
        check_type(resource_type)
        check_id(id)
        with self._lock:
            current = self._locate(resource_type, id)
            if current is None:
                raise FhirError(404, f"Resource {resource_type}/{id} is not known", "not-found")
            return history.version(self._conn, resource_type, id, str(version), self._codec.decode)

    def history(
        self, resource_type: str | None, id: str | None, params: SearchParams | None = None
    ) -> Json:
        """A ``history`` Bundle (instance, type or system level), newest first, paged."""
        if resource_type is not None:
            check_type(resource_type)
        if id is not None:
            check_id(id)
        opts: dict[str, str] = {}
        for name, value in normalize_params(params):
            if name not in ("_count", "_since", "_offset", "_format", "_pretty"):
                raise FhirError(
                    400, f'Parameter "{name}" is not supported on _history', "not-supported"
                )
            opts[name] = value
        probe = parse_query(
            resource_type or "Patient",
            [(k, v) for k, v in opts.items() if k in ("_count", "_offset")],
        )
        count = min(
            probe.count if probe.count is not None else self.backend.page_size, self.max_page_size
        )
        with self._lock:
            if (
                id is not None
                and resource_type is not None
                and self._locate(resource_type, id) is None
            ):
                raise FhirError(404, f"Resource {resource_type}/{id} is not known", "not-found")
            return history.bundle(
                self._conn,
                self.base_url,
                resource_type,
                id,
                opts.get("_since"),
                probe.offset,
                count,
                self._codec.decode,
            )

    def capabilities(self) -> Json:
        return capability_statement(self.base_url)

    # -- protocol: writes --------------------------------------------------------------
    def create(self, resource: Json) -> Json:
        with self._lock, self._savepoint():
            stored = self._create(resource)
            self._check_refs([stored])
            return stored

    def update(self, resource_type: str, id: str, resource: Json) -> Json:
        with self._lock, self._savepoint():
            stored = self._update(resource_type, id, resource)
            self._check_refs([stored])
            return stored

    def delete(self, resource_type: str, id: str) -> None:
        with self._lock, self._savepoint():
            self._delete(resource_type, id)

    def transaction(self, bundle: Json) -> Json:
        with self._lock:
            return run_bundle(self, bundle)

    def request(
        self,
        method: str,
        url: str,
        body: Json | list[Any] | str | bytes | None = None,
        headers: Mapping[str, str] | None = None,
        base_url: str | None = None,
    ) -> tuple[int, Json]:
        """One REST request (see :mod:`medsim.fhir.rest`), atomic with respect to other threads.
        ``base_url`` overrides the base of links and fullUrls (serve-fhir: from the Host)."""
        with self._lock:
            saved = self.base_url
            self.base_url = (base_url or saved).rstrip("/")
            try:
                return dispatch(self, method, url, body, headers)
            finally:
                self.base_url = saved

    # -- write internals (also used by transaction.run_bundle, under the lock) ------------
    def _create(self, resource: Json, assigned_id: str | None = None) -> Json:
        validate_resource(resource)
        rid = assigned_id or self.new_id(resource["resourceType"])
        stored = {**resource, "id": rid}
        return self._persist(stored, version=1, method="create")

    def _update(self, resource_type: str, id: str, resource: Json) -> Json:
        check_type(resource_type)
        check_id(id)
        validate_resource(resource, resource_type)
        if resource.get("id") != id:
            raise FhirError(
                400,
                f"Can not update resource: the body's id ({resource.get('id')!r}) must match the URL id ({id!r})",
            )
        last = self._last_version(resource_type, id)  # a deletion's too: history continues
        return self._persist(dict(resource), version=(last or 0) + 1, method="update")

    def _delete(self, resource_type: str, id: str) -> None:
        check_type(resource_type)
        check_id(id)
        prior = self._version(resource_type, id)
        if prior is None:
            raise FhirError(404, f"Resource {resource_type}/{id} is not known", "not-found")
        self._store(
            {"resourceType": resource_type, "id": id}, version=prior + 1, replace=True, deleted=True
        )
        instant = self.clock() if self.clock else now_instant()
        history.record(
            self._conn,
            {"resourceType": resource_type, "id": id, "meta": {"lastUpdated": instant}},
            prior + 1,
            "DELETE",
        )
        self._writes.append(Write("delete", resource_type, id, None, len(self._writes)))

    def _version(self, resource_type: str, id: str) -> int | None:
        """Current version of a visible resource, or None (absent or deleted)."""
        row = self._latest(resource_type, id)
        return None if row is None or row[1] else row[0]

    def _last_version(self, resource_type: str, id: str) -> int | None:
        """The newest version of a resource, a deletion included, or None if it never existed."""
        row = self._latest(resource_type, id)
        return None if row is None else row[0]

    def _latest(self, resource_type: str, id: str) -> tuple[int, bool] | None:
        """(newest version, is a deletion) of a resource, the episode's layer over the base."""
        row = self._conn.execute(
            "SELECT version, deleted FROM main.resources WHERE type = ? AND id = ?",
            (resource_type, id),
        ).fetchone()
        if row is not None:
            return int(row[0]), bool(row[1])
        row = self._conn.execute(
            "SELECT version FROM base.resources WHERE type = ? AND id = ?", (resource_type, id)
        ).fetchone()
        return (int(row[0]), False) if row else None

    def _persist(self, resource: Json, version: int, method: Literal["create", "update"]) -> Json:
        instant = self.clock() if self.clock else now_instant()
        resource["meta"] = {
            **(resource.get("meta") or {}),
            "versionId": str(version),
            "lastUpdated": instant,
        }
        self._store(resource, version=version, replace=True)
        history.record(self._conn, resource, version, "POST" if method == "create" else "PUT")
        self._writes.append(
            Write(method, resource["resourceType"], resource["id"], resource, len(self._writes))
        )  # type: ignore[arg-type]
        return resource

    def _store(self, resource: Json, version: int, replace: bool, deleted: bool = False) -> None:
        """Store ``resource`` in the layer (its text made once: checked for size, then stored)."""
        body = storage.dumps(resource)
        self._layer_types.add(str(resource["resourceType"]))
        self._shadows.clear()
        check_size(body)
        old = self._conn.execute(
            "SELECT rid FROM main.resources WHERE type = ? AND id = ?",
            (resource["resourceType"], resource["id"]),
        ).fetchone()
        if old is not None and replace:
            storage.delete_rows(self._conn, "main", old[0])
        storage.insert(
            self._conn,
            "main",
            resource,
            version=version,
            last_updated=str((resource.get("meta") or {}).get("lastUpdated", "")),
            deleted=deleted,
            body=body,
        )

    def new_id(self, resource_type: str) -> str:
        while True:
            candidate = str(self._next_id)
            self._next_id += 1
            if (
                self._version(resource_type, candidate) is None
                and self._locate(resource_type, candidate) is None
            ):
                return candidate

    def _check_refs(self, resources: list[Json]) -> None:
        if not self.check_references:
            return
        for res in resources:
            if res.get("resourceType") == "Bundle":
                continue  # a stored Bundle (collection, document) references its own entries
            for ref in iter_references(res):
                if ref.startswith("#"):
                    continue
                if ref.startswith("urn:"):
                    raise FhirError(
                        400,
                        f"Unresolved reference {ref!r} (urn: references are only valid inside a transaction Bundle)",
                    )
                if "://" in ref and not ref.startswith(self.base_url + "/"):
                    continue  # external reference
                target = split_reference(ref)
                if target is None:
                    raise FhirError(400, f"Invalid reference {ref!r} in {res['resourceType']}")
                if not isinstance(self._locate(*target), dict):
                    raise FhirError(
                        400,
                        f"Resource {target[0]}/{target[1]} not found, specified in {res['resourceType']}",
                        "not-found",
                    )

    @contextmanager
    def _savepoint(self) -> Iterator[None]:
        """All-or-nothing: on any error the layer and the write log return to where they were."""
        mark = len(self._writes)
        next_id = self._next_id
        self._conn.execute("SAVEPOINT w")
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK TO w")
            self._conn.execute("RELEASE w")
            self._shadows.clear()
            del self._writes[mark:]
            self._next_id = next_id
            raise
        self._conn.execute("RELEASE w")
