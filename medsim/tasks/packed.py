"""Packed task files: many tasks in one compressed NDJSON file (one task per line).

Generated suites ship their tasks this way (MedCalc-Bench, MedAgentBench, PhysicianBench-v0's
train set). The framing follows the file name: ``.gz`` is gzip, ``.xz`` is LZMA. Both are
written deterministically (gzip with a zero timestamp and no file name; xz with fixed
options), so the same tasks give the same bytes, and ``stored_content`` compares the
decompressed content, which does not depend on the zlib/liblzma version.

``.xz`` is for files whose tasks repeat each other at a distance: a PhysicianBench task is
~45 KB of JSON and its siblings from the same template share most of it, which gzip's 32 KB
window cannot see (~6 KB a task) and LZMA's dictionary can (~0.7 KB a task).
"""

from __future__ import annotations

import gzip
import io
import json
import lzma
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from medsim import jsontext
from medsim.gcpause import cycle_collection_paused
from medsim.tasks.loader import TaskLoadError, parse_task
from medsim.tasks.schema import Task

PACKED_SUFFIXES = (".ndjson.gz", ".ndjson.xz")
_XZ_FILTERS = [{"id": lzma.FILTER_LZMA2, "preset": 6}]


def dumps(tasks: Iterable[dict[str, Any]]) -> bytes:
    """The NDJSON content (UTF-8) of ``tasks``, one compact JSON object per line."""
    lines = [json.dumps(t, ensure_ascii=False, separators=(",", ":")) for t in tasks]
    return ("\n".join(lines) + "\n").encode("utf-8")


def pack(content: bytes, suffix: str = ".gz") -> bytes:
    """Deterministic framing of ``content``: gzip (mtime 0, no file name) or, for ``.xz``,
    LZMA2 with fixed options."""
    if suffix == ".xz":
        return lzma.compress(content, format=lzma.FORMAT_XZ, filters=_XZ_FILTERS)
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(content)
    return buf.getvalue()


def unpack(data: bytes) -> bytes:
    """The content of gzip or xz framed bytes (told apart by their magic numbers)."""
    if data[:6] == b"\xfd7zXZ\x00":
        return lzma.decompress(data)
    return gzip.decompress(data)


def write(path: Path, tasks: list[dict[str, Any]]) -> int:
    """Write ``tasks`` to ``path`` (framing from its suffix); returns the bytes written."""
    data = pack(dumps(tasks), Path(path).suffix)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return len(data)


def stored_content(path: Path) -> bytes:
    """The decompressed content of a stored task file."""
    return unpack(Path(path).read_bytes())


def task_records(tasks: Iterable[Task]) -> list[dict[str, Any]]:
    """Tasks as the JSON objects a packed file stores (defaults left out)."""
    return [t.model_dump(mode="json", exclude_defaults=True) for t in tasks]


@lru_cache(maxsize=8)
def load_packed(path: str, hint: str = "") -> tuple[Task, ...]:
    """Tasks from a packed file, sorted by id; errors name the file, line and field (and
    ``hint``, e.g. how to regenerate the file)."""
    try:
        lines = stored_content(Path(path)).decode("utf-8").splitlines()
    except (OSError, EOFError, lzma.LZMAError, gzip.BadGzipFile) as exc:
        raise TaskLoadError(f"{path}: cannot read ({exc}){'; ' + hint if hint else ''}") from None
    tasks: list[Task] = []
    with cycle_collection_paused():  # ~45 KB of JSON per PhysicianBench task
        for n, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                data = jsontext.loads(line)  # orjson where it gives json's values: ~4x faster
            except json.JSONDecodeError as exc:
                raise TaskLoadError(f"{path}:{n}: not valid JSON: {exc.msg}") from None
            tasks.append(parse_task(data, f"{path}:{n}"))
    return tuple(sorted(tasks, key=lambda t: t.id))


__all__ = [
    "PACKED_SUFFIXES",
    "dumps",
    "load_packed",
    "pack",
    "stored_content",
    "task_records",
    "unpack",
    "write",
]
