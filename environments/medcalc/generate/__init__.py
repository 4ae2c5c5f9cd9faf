"""The MedCalc task generator: seeded structured cases -> task files.

    python -m medsim.environments.medcalc.generate            # write both task files
    python -m medsim.environments.medcalc.generate --check    # regenerate, compare, exit 1 if not identical
    python -m medsim.environments.medcalc.generate --env v0 --per-calculator 50 --seed 7 --split train --out /tmp/x

Files are gzip NDJSON (one task per line, JSON with fixed key order) written with a zero
timestamp and no file name in the gzip header, so the same inputs give the same bytes.
``--check`` compares the decompressed content, which does not depend on the zlib version.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

DEFAULT_SEED = 0
V0_FILE = "medcalc-v0.ndjson.gz"
EHR_FILE = "medcalc-ehr-v0.ndjson.gz"


def dumps(tasks: Iterable[dict[str, Any]]) -> bytes:
    """The NDJSON content (UTF-8) of ``tasks``, one compact JSON object per line."""
    lines = [json.dumps(t, ensure_ascii=False, separators=(",", ":")) for t in tasks]
    return ("\n".join(lines) + "\n").encode("utf-8")


def pack(content: bytes) -> bytes:
    """Deterministic gzip framing (mtime 0, no file name)."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(content)
    return buf.getvalue()


def write(path: Path, tasks: list[dict[str, Any]]) -> int:
    """Write ``tasks`` to ``path`` (gzip NDJSON); returns the number of bytes written."""
    data = pack(dumps(tasks))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return len(data)


def stored_content(path: Path) -> bytes:
    """The decompressed content of a stored task file."""
    return gzip.decompress(path.read_bytes())
