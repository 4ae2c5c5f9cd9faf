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

import contextlib
import hashlib
import json
import os
import sqlite3
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from importlib import resources as pkg_resources
from pathlib import Path
from typing import Any

from medsim import progress
from medsim.cachedir import cache_dir as medsim_cache_dir
from medsim.fhir import index_keys, storage
from medsim.fhir.bodies import Bodies
from medsim.fhir.episode import EmbeddedEpisode
from medsim.fhir.interface import FhirError
from medsim.fhir.loader import DataError, data_files, iter_located
from medsim.fhir.query import MAX_COUNT
from medsim.fhir.schema import SCHEMA_VERSION, create_all
from medsim.fhir.validate import validate_resource
from medsim.gcpause import cycle_collection_paused

Json = dict[str, Any]
DEFAULT_BASE_URL = "http://localhost:8080/fhir"
LOAD_INSTANT = "2025-01-01T00:00:00.000+00:00"  # meta.lastUpdated of loaded data without one


def cache_dir() -> Path:
    """Where built FHIR indexes are cached (``$MEDSIM_CACHE_DIR/fhir``)."""
    return medsim_cache_dir("fhir")


def _is_shipped_cohort(data: Any) -> bool:
    if not isinstance(data, str | Path):
        return False
    from medsim.data.cohort import cohort_path

    return Path(data).resolve() == Path(cohort_path()).resolve()


def _is_generated_cohort(path: Path) -> bool:
    """``path`` is a cohort file exactly as medsim's generator wrote it: its sidecar
    (``<name>.meta.json``) names the generator and the file's sha256 matches. Such data is trusted
    like the shipped cohort (the generator's output is validated by its tests), so a first build
    of a ``medsim data generate`` cohort skips per-resource validation."""
    if not path.is_file():
        return False
    from medsim.data.cohort.reader import meta_path

    try:
        meta = json.loads(meta_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(meta, dict) or meta.get("generator") != "medsim.data.cohort.generate":
        return False
    sha = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            sha.update(chunk)
    return bool(meta.get("sha256") == sha.hexdigest())


def _fingerprint(path: Path, mode: str = "") -> str:
    h = hashlib.sha256()
    h.update(f"schema={SCHEMA_VERSION}\n".encode())
    h.update(f"keys={index_keys.digest()}\n".encode())
    if mode:
        h.update(f"load={mode}\n".encode())
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


@contextlib.contextmanager
def _build_lock(target: Path) -> Iterator[None]:
    """Hold an exclusive lock beside ``target`` while building it: of two processes doing the
    first build of the same data, one builds and the other waits, then reuses the result (no
    second build, no half-written file). POSIX ``flock``; elsewhere (no ``fcntl``) the atomic
    rename in :meth:`EmbeddedBackend._build` alone keeps the cache whole."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with open(target.with_name(target.name + ".lock"), "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


UNIQUE_INDEX = "ux_resources_type_id"  # (type, id): one current row per resource


def _index(conn: sqlite3.Connection) -> None:
    """After a load: keep the later copy of any resource loaded twice, create the indexes a
    load leaves out (all of them in a new base) and refresh the planner's statistics."""
    twice = "SELECT 1 FROM resources GROUP BY type, id HAVING COUNT(*) > 1 LIMIT 1"
    if conn.execute(twice).fetchone():  # a resource loaded twice: the later copy wins
        storage.drop_superseded(conn, "main")
    create_all(conn, indexes=True)
    conn.execute("ANALYZE")


class EmbeddedBackend:
    """A loaded EHR in SQLite. ``EmbeddedBackend(data=path)`` loads (or reuses the cached build of)
    a Bundle / NDJSON file or folder; ``EmbeddedBackend()`` starts empty (use :meth:`load`)."""

    def __init__(
        self,
        data: Any = None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        validate: bool | None = None,
        skip_invalid: bool = False,
        page_size: int = 20,
        max_page_size: int = MAX_COUNT,
        use_cache: bool = True,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.page_size = page_size
        #: Largest ``_count`` honoured (default: HAPI's ``max_page_size`` in medsim's HAPI
        #: configuration); episodes copy it and may change it (a suite's ``max_page_size``).
        self.max_page_size = max_page_size
        #: Validate loaded data (strict JSON types, required codes, R4 structure). Default: yes,
        #: except for medsim's own shipped cohort (tests/data checks it). ``False`` is unsafe:
        #: invalid resources are stored as they are and may be unsearchable or unreadable.
        self._validate = validate if validate is not None else not _is_shipped_cohort(data)
        self._skip_invalid = skip_invalid
        #: ``where: reason`` for every resource left out by ``skip_invalid``.
        self.rejected: list[str] = []
        self._lock = threading.Lock()
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._episodes = 0
        #: The base file never changes in place (a cached build: written elsewhere, renamed into
        #: place), so episodes may attach it ``immutable``; see :meth:`connect_layer`.
        self._immutable = False
        self._dictionary: bytes | None = None  # the base's body dictionary, read on first use
        if isinstance(data, str | Path) and use_cache:
            source = Path(data)
            if not source.exists():
                raise FileNotFoundError(f"FHIR data not found: {source}")
            mode = "" if validate is None and not skip_invalid else f"v={validate},s={skip_invalid}"
            self.path = cache_dir() / f"base-{_fingerprint(source, mode)}.sqlite"
            if not self.path.exists():
                with _build_lock(self.path):  # another process may be building it right now
                    if not self.path.exists():
                        if validate is None and self._validate and _is_generated_cohort(source):
                            self._validate = False
                        self._build(self.path, source)
            self._immutable = True
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
            # plain zstd from the start: a base that loads in steps never changes its codec
            # under an episode already open (only a cached build trains a dictionary)
            Bodies().store(conn, "main")

    def _build(self, target: Path, source: Path) -> None:
        """Build the base into a temporary file and rename it into place (atomic; safe if killed).
        Says on stderr what it builds and where, with a progress bar (it takes seconds to
        minutes, once per data file)."""
        start = time.perf_counter()
        progress.note(
            f"building the FHIR search index of {source} (first run only; reused afterwards) "
            f"in {target.parent}"
        )
        tmp = target.with_suffix(f".tmp{os.getpid()}")
        if tmp.exists():
            tmp.unlink()
        # a bulk load allocates millions of small objects and frees them by reference counting
        # (parsed JSON has no cycles): the cycle collector's passes over them are ~4 % of the build
        try:
            with cycle_collection_paused(), sqlite3.connect(tmp) as conn:
                conn.execute("PRAGMA journal_mode=OFF")
                conn.execute("PRAGMA synchronous=OFF")
                conn.execute("PRAGMA cache_size=-65536")  # 64 MB: index sorts stay in memory
                conn.execute("PRAGMA temp_store=MEMORY")
                create_all(conn, indexes=False)
                total = progress.count_lines(data_files(source)) if progress.shows_bar() else None
                items = progress.bar(iter_located(source), total=total, unit="res", desc="indexing")
                n = self._insert_all(conn, items)
                progress.note("creating the search indexes ...")
                _index(conn)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        os.replace(tmp, target)

        size = target.stat().st_size / 1e6
        seconds = time.perf_counter() - start
        progress.note(f"indexed {n:,} resources in {seconds:.1f} s -> {target} ({size:.0f} MB)")

    def load(self, source: Any) -> int:
        """Add resources to the base (Bundles resolved, NDJSON streamed). Returns how many."""
        self._immutable = False  # a base that grows: later episodes must see it change
        with self._lock, sqlite3.connect(self.path) as conn:
            conn.execute("BEGIN")  # so that a failed load restores the index it drops
            conn.execute(f"DROP INDEX {UNIQUE_INDEX}")  # _index re-creates it
            n = self._insert_all(conn, iter_located(source))
            _index(conn)
        return n

    def _insert_all(self, conn: sqlite3.Connection, resources: Iterable[tuple[str, Json]]) -> int:
        """Insert resources; with validation, every invalid one is reported by location and
        nothing is loaded (the caller's transaction rolls back) unless ``skip_invalid``. A
        resource loaded twice is stored twice here; :func:`_index` keeps the later copy."""
        buf = storage.RowBuffer(conn, "main", compress=True)
        rejected: list[str] = []
        n = 0
        for where, res in resources:
            if self._validate:
                try:
                    validate_resource(res)
                except FhirError as err:
                    rejected.append(
                        f"{where}: {res['resourceType']}/{res['id']}: {err.diagnostics}"
                    )
                    continue
                if rejected and not self._skip_invalid:
                    continue  # keep reading to report every problem; nothing will be kept
            meta = dict(res.get("meta") or {})
            version = int(meta["versionId"]) if str(meta.get("versionId", "")).isdigit() else 1
            meta["versionId"] = str(version)
            meta.setdefault("lastUpdated", LOAD_INSTANT)
            res["meta"] = meta  # the loader's own copy: iter_located never yields the input's
            buf.add(res, version=version, last_updated=meta["lastUpdated"])
            n += 1
            if n % 2000 == 0:
                buf.flush()
        if rejected and not self._skip_invalid:
            shown = "\n  ".join(rejected[:50])
            more = f"\n  ... and {len(rejected) - 50} more" if len(rejected) > 50 else ""
            raise DataError(
                f"{len(rejected)} invalid resource(s); nothing was loaded (fix them, or load "
                f"with skip_invalid=True / --skip-invalid to leave them out):\n  {shown}{more}"
            )
        buf.flush()
        self.rejected += rejected
        return n

    # -- episodes ------------------------------------------------------------------------
    def episode(self, episode_id: str | None = None) -> EmbeddedEpisode:
        with self._lock:
            self._episodes += 1
            eid = episode_id or f"ep{self._episodes}"
        return EmbeddedEpisode(self, eid)

    def connect_layer(self) -> sqlite3.Connection:
        """A new episode connection: in-memory layer as ``main``, the base attached read-only.

        A cached base is attached ``immutable=1``: SQLite then skips the file lock and the
        has-it-changed check it otherwise does at every statement (about 5 µs, a sixth of a
        small search). A base in a temporary file can still grow (:meth:`load`): attached plainly.
        """
        conn = sqlite3.connect(
            "file::memory:", uri=True, check_same_thread=False, isolation_level=None
        )
        flags = "mode=ro&immutable=1" if self._immutable else "mode=ro"
        conn.execute("ATTACH DATABASE ? AS base", (f"{self.path.as_uri()}?{flags}",))
        conn.execute("PRAGMA base.mmap_size=268435456")
        conn.execute("PRAGMA base.cache_size=-4000")
        create_all(conn, "main")
        return conn

    def bodies(self) -> Bodies:
        """A new codec of this base's bodies (one per episode: a codec is not thread-safe)."""
        with self._lock:
            if self._dictionary is None:
                with contextlib.closing(sqlite3.connect(self.path)) as conn:
                    found = Bodies.stored(conn, "main")
                self._dictionary = found.dictionary if found else b""
            return Bodies(self._dictionary)

    def count(self) -> int:
        with sqlite3.connect(self.path) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM resources").fetchone()[0])

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
