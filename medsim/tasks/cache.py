"""An on-disk cache of generated tasks, keyed by everything that generates them.

Rendering PhysicianBench-v0's 100 curated instances from their templates (Jinja2, YAML, the
difficulty rule) takes seconds; ``make`` and ``medsim tasks list`` would pay that in every new
process. The result is a pure function of the template files, the suite's template context, the
cohort the templates read and medsim's own source, so it is stored once under
``$MEDSIM_CACHE_DIR/tasks`` (default ``~/.cache/medsim/tasks``) and reused while that key holds.

The key hashes the *content* of every template file and of the medsim package's code and small
data files (``.py``, YAML, JSON: a change in the engine, a builder, a calculator or the
terminology invalidates it), plus the size and modification time of the cohort data files (too
large to hash on every start; their generator sidecar is JSON, so hashed). A stale or
unreadable entry is rebuilt, never trusted: the cache only ever saves time.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import tempfile
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path

from medsim.cachedir import cache_dir as medsim_cache_dir
from medsim.tasks import packed
from medsim.tasks.listing import TaskRow
from medsim.tasks.loader import TaskLoadError, parse_task
from medsim.tasks.schema import Task

#: Bump when the stored form changes (old entries are then ignored).
FORMAT = 1
#: Entries kept per name: the most recently used ones (a hit refreshes an entry's time). Every
#: change to medsim's source is a new key (~0.7 MB for PhysicianBench-v0); without a bound a
#: developer's cache grew by one entry per edit. A few are kept so switching between two
#: checkouts does not rebuild every time.
KEEP = 6
_PACKAGE = Path(__file__).resolve().parents[1]
_SOURCE_SUFFIXES = {".py", ".yaml", ".yml", ".json"}


def cache_dir() -> Path:
    """``$MEDSIM_CACHE_DIR/tasks`` (created on first use)."""
    return medsim_cache_dir("tasks")


def _source_roots() -> list[tuple[str, Path]]:
    """The folders of medsim's code: the package, and its suites and agents where they live
    outside it (a source checkout maps ``environments/`` and ``agents/`` to
    ``medsim.environments`` / ``medsim.agents``; an installed wheel has them inside)."""
    roots = [("medsim", _PACKAGE)]
    for name in ("medsim.environments", "medsim.agents"):
        spec = importlib.util.find_spec(name)
        for location in (spec.submodule_search_locations or []) if spec else []:
            folder = Path(location).resolve()
            if not folder.is_relative_to(_PACKAGE):
                roots.append((name, folder))
    return roots


@lru_cache(maxsize=1)
def _source_digest() -> str:
    """sha256 over medsim's code and small data files (path and content), suites included:
    until 2026-12-02 a source checkout hashed ``medsim/`` only, so an edit under
    ``environments/`` could leave a stale entry."""
    h = hashlib.sha256()
    for name, root in _source_roots():
        for path in sorted(p for p in root.rglob("*") if p.suffix in _SOURCE_SUFFIXES):
            h.update(f"{name}/{path.relative_to(root)}".encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def task_key(files: Iterable[Path], context: str, data_files: Iterable[Path] = ()) -> str:
    """The cache key of tasks generated from ``files`` (hashed by content) with ``context``,
    reading ``data_files`` (by size and modification time) and medsim's source."""
    h = hashlib.sha256(f"format {FORMAT}\n{_source_digest()}\n{context}\n".encode())
    for path in sorted(Path(p) for p in files):
        h.update(f"{path.name}\n".encode())
        h.update(path.read_bytes())
    for path in sorted(Path(p) for p in data_files):
        st = path.stat()
        h.update(f"{path}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:32]


def cached_tasks(name: str, key: str, build: Callable[[], list[Task]]) -> list[Task]:
    """The tasks stored under ``name``/``key``, or ``build()``'s result, stored for next time
    with their listing rows (each file written to a temporary file and renamed, so a concurrent
    reader never sees half a file). Each task keeps its ``source`` (the template and instance it
    came from, used in errors)."""
    path = _entry(name, key)
    if path.exists():
        try:
            tasks = _read(path)
            _touch(path)
            return tasks
        except (OSError, EOFError, ValueError, KeyError, TypeError, TaskLoadError):
            path.unlink(missing_ok=True)  # a damaged entry is rebuilt, never trusted
    tasks = build()
    records = [
        {"source": t.source, "task": r}
        for t, r in zip(tasks, packed.task_records(tasks), strict=True)
    ]
    _write(path, packed.pack(packed.dumps(records), ".gz"))
    _write_rows(name, key, tasks)
    prune(name)
    return tasks


def cached_rows(name: str, key: str, build: Callable[[], list[Task]]) -> list[TaskRow]:
    """The listing rows of the tasks under ``name``/``key``: read from their small side file
    when it is there and whole, else from :func:`cached_tasks` (which writes it)."""
    rows_path = _entry(name, key, ".rows.json")
    if rows_path.exists():
        try:
            data = json.loads(rows_path.read_bytes())
            if not isinstance(data, list):
                raise ValueError(f"{rows_path}: not a list of rows")
            rows = [TaskRow.from_json(r) for r in data]
            _touch(_entry(name, key))
            return rows
        except (OSError, ValueError, KeyError, TypeError):
            rows_path.unlink(missing_ok=True)
    tasks = cached_tasks(name, key, build)
    if not rows_path.exists():  # an entry written before rows were kept
        _write_rows(name, key, tasks)
    return [TaskRow.of(t) for t in tasks]


def cached_value(name: str, key: str, build: Callable[[], object]) -> object:
    """The JSON value stored under ``name``/``key``, or ``build()``'s (a JSON value), stored for
    next time: written atomically, a damaged entry rebuilt, the :data:`KEEP` most recently used
    entries of ``name`` kept (as tasks are)."""
    path = _entry(name, key, ".json")
    if path.exists():
        try:
            value = json.loads(path.read_bytes())
            _touch(path)
            return value
        except (OSError, ValueError):
            path.unlink(missing_ok=True)  # a damaged entry is rebuilt, never trusted
    value = build()
    _write(path, json.dumps(value).encode())
    prune(name, suffix=".json")
    return value


def _entry(name: str, key: str, suffix: str = ".ndjson.gz") -> Path:
    return cache_dir() / f"{name}-{key}{suffix}"


def _touch(path: Path) -> None:
    """Mark an entry used now (what :func:`prune` keeps by); a failure only loses the mark."""
    with contextlib.suppress(OSError):
        os.utime(path)


def prune(name: str, keep: int = KEEP, suffix: str = ".ndjson.gz") -> list[Path]:
    """Delete all but the ``keep`` most recently used entries of ``name`` (each with its rows
    file); returns the entries deleted. An entry another process is reading at that moment is
    rebuilt by it (a missing or damaged entry is never trusted)."""
    entries = []
    for path in cache_dir().glob(f"{name}-*{suffix}"):
        try:
            entries.append((path.stat().st_mtime_ns, path))
        except OSError:  # deleted meanwhile by another process
            continue
    entries.sort(reverse=True)
    gone = [path for _, path in entries[keep:]]
    for path in gone:
        path.unlink(missing_ok=True)
        path.with_name(path.name.removesuffix(suffix) + ".rows.json").unlink(missing_ok=True)
    return gone


def _write_rows(name: str, key: str, tasks: list[Task]) -> None:
    rows = [TaskRow.of(t).to_json() for t in tasks]
    _write(_entry(name, key, ".rows.json"), json.dumps(rows).encode())


def _write(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` through a temporary file and a rename."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-", suffix=".tmp")
    with os.fdopen(fd, "wb") as out:
        out.write(content)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def _read(path: Path) -> list[Task]:
    content = packed.stored_content(path)
    if not content.endswith(b"\n"):  # every entry written ends with a newline (none if cut)
        raise ValueError(f"{path}: truncated")
    lines = content.decode("utf-8").splitlines()
    out = []
    for line in lines:
        rec = json.loads(line)
        out.append(parse_task(rec["task"], str(rec["source"])))
    return out
