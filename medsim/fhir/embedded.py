"""The embedded FHIR engine: a read-only base in a SQLite file, one writable layer per episode.

The base (the cohort) is built once per data file and cached on disk, keyed by the data's hash and
the schema version, so a later ``make`` opens it in milliseconds. Each episode owns an in-memory
SQLite connection whose ``main`` database is its layer and which attaches the base read-only:
reads see base + layer (layer rows shadow base rows of the same type/id; deletions are
tombstones), writes touch only the layer, and ``reset()`` empties the layer — its cost depends on
what the episode wrote, never on the size of the cohort. Episodes share nothing writable, so
episodes in different threads or asyncio tasks never see each other's writes.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import tempfile
import threading
from collections.abc import Iterable
from importlib import resources as pkg_resources
from pathlib import Path
from typing import Any

from medsim.fhir import storage
from medsim.fhir.episode import EmbeddedEpisode
from medsim.fhir.loader import iter_source
from medsim.fhir.tables import SCHEMA_VERSION, create_all
from medsim.fhir.validate import validate_resource

Json = dict[str, Any]
DEFAULT_BASE_URL = "http://localhost:8080/fhir"
LOAD_INSTANT = "2025-01-01T00:00:00.000+00:00"  # meta.lastUpdated of loaded data without one


def cache_dir() -> Path:
    root = os.environ.get("MEDSIM_CACHE_DIR") or os.path.join(Path.home(), ".cache", "medsim")
    path = Path(root) / "fhir"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _fingerprint(path: Path) -> str:
    h = hashlib.sha256()
    h.update(f"schema={SCHEMA_VERSION}\n".encode())
    h.update(
        pkg_resources.files("medsim.fhir").joinpath("data/search_parameters.json").read_bytes()
    )
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for f in files:
        h.update(f.name.encode())
        with open(f, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()[:24]


class EmbeddedBackend:
    """A loaded EHR in SQLite. ``EmbeddedBackend(data=path)`` loads (or reuses the cached build of)
    a Bundle / NDJSON file or folder; ``EmbeddedBackend()`` starts empty (use :meth:`load`)."""

    def __init__(
        self,
        data: Any = None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        validate: bool = False,
        page_size: int = 20,
        use_cache: bool = True,
        max_page_size: int | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.page_size = page_size
        #: Largest ``_count`` honoured (None: ``query.MAX_COUNT``).
        self.max_page_size = max_page_size
        self._validate = validate
        self._lock = threading.Lock()
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._episodes = 0
        if isinstance(data, str | Path) and use_cache:
            source = Path(data)
            if not source.exists():
                raise FileNotFoundError(f"FHIR data not found: {source}")
            self.path = cache_dir() / f"base-{_fingerprint(source)}.sqlite"
            if not self.path.exists():
                self._build(self.path, source)
        else:
            self._tmp = tempfile.TemporaryDirectory(prefix="medsim-fhir-")
            self.path = Path(self._tmp.name) / "base.sqlite"
            self._init_file(self.path)
            if data is not None:
                self.load(data)

    # -- base building -------------------------------------------------------------------
    @staticmethod
    def _init_file(path: Path) -> None:
        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA journal_mode=DELETE")
            create_all(conn, indexes=True)

    def _build(self, target: Path, source: Path) -> None:
        """Build the base into a temporary file and rename it into place (atomic; safe if killed)."""
        tmp = target.with_suffix(f".tmp{os.getpid()}")
        if tmp.exists():
            tmp.unlink()
        with sqlite3.connect(tmp) as conn:
            conn.execute("PRAGMA journal_mode=OFF")
            conn.execute("PRAGMA synchronous=OFF")
            create_all(conn, indexes=False)
            conn.execute("CREATE UNIQUE INDEX ux_resources_type_id ON resources (type, id)")
            self._insert_all(conn, iter_source(source))
            create_all(conn, indexes=True)
            conn.execute("ANALYZE")
        os.replace(tmp, target)

    def load(self, source: Any) -> int:
        """Add resources to the base (Bundles resolved, NDJSON streamed). Returns how many."""
        with self._lock, sqlite3.connect(self.path) as conn:
            n = self._insert_all(conn, iter_source(source))
            conn.execute("ANALYZE")
        return n

    def _insert_all(self, conn: sqlite3.Connection, resources: Iterable[Json]) -> int:
        buf = storage.RowBuffer(conn, "main")
        pending: set[tuple[str, str]] = set()
        n = 0
        for res in resources:
            if self._validate:
                validate_resource(res)
            meta = dict(res.get("meta") or {})
            version = int(meta["versionId"]) if str(meta.get("versionId", "")).isdigit() else 1
            meta["versionId"] = str(version)
            meta.setdefault("lastUpdated", LOAD_INSTANT)
            res = {**res, "meta": meta}
            key = (res["resourceType"], res["id"])
            if key in pending:  # loaded twice in this batch: write what we have, then replace
                buf.flush()
                pending.clear()
            old = conn.execute(
                "SELECT rid FROM resources WHERE type = ? AND id = ?", key
            ).fetchone()
            if old is not None:  # the same resource loaded twice: the later copy wins
                storage.delete_rows(conn, "main", old[0])
            buf.add(res, version=version, last_updated=meta["lastUpdated"])
            pending.add(key)
            n += 1
            if len(pending) >= 2000:
                buf.flush()
                pending.clear()
        buf.flush()
        return n

    # -- episodes ------------------------------------------------------------------------
    def episode(self, episode_id: str | None = None) -> EmbeddedEpisode:
        with self._lock:
            self._episodes += 1
            eid = episode_id or f"ep{self._episodes}"
        return EmbeddedEpisode(self, eid)

    def connect_layer(self) -> sqlite3.Connection:
        """A new episode connection: in-memory layer as ``main``, the base attached read-only."""
        conn = sqlite3.connect(
            "file::memory:", uri=True, check_same_thread=False, isolation_level=None
        )
        conn.execute("ATTACH DATABASE ? AS base", (f"{self.path.as_uri()}?mode=ro",))
        conn.execute("PRAGMA base.mmap_size=268435456")
        conn.execute("PRAGMA base.cache_size=-4000")
        create_all(conn, "main")
        return conn

    def count(self) -> int:
        with sqlite3.connect(self.path) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM resources").fetchone()[0])

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
