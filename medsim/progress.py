"""Progress for slow first-time work (building the FHIR index of a cohort): what is being built,
where it goes, and a progress bar — all on stderr, so piped stdout stays clean.

The bar is tqdm's (shown only on a terminal; ``MEDSIM_PROGRESS=0`` hides the messages too).
"""

from __future__ import annotations

import gzip
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def enabled() -> bool:
    return os.environ.get("MEDSIM_PROGRESS", "1") != "0"


def note(message: str) -> None:
    """One line on stderr, e.g. "medsim: building the FHIR index of ... (first run only)"."""
    if enabled():
        print(f"medsim: {message}", file=sys.stderr, flush=True)


def shows_bar() -> bool:
    """A bar will be drawn (enabled, and stderr is a terminal): only then is sizing it worth a
    pass over the data."""
    return enabled() and sys.stderr.isatty()


def bar(items: Iterable[T], *, total: int | None, unit: str, desc: str) -> Iterator[T]:
    """``items``, with a progress bar on stderr when stderr is a terminal."""
    if not enabled():
        yield from items
        return
    from tqdm import tqdm

    yield from tqdm(
        items, total=total, unit=unit, desc=desc, file=sys.stderr, disable=None, unit_scale=True
    )


def count_lines(paths: Iterable[Path]) -> int | None:
    """Lines of NDJSON files (gzipped or not), to size a bar; None for other formats."""
    total = 0
    for path in paths:
        name = path.name.lower().removesuffix(".gz")
        if not name.endswith((".ndjson", ".jsonl")):
            return None
        opener = gzip.open if path.name.lower().endswith(".gz") else open
        with opener(path, "rb") as fh:
            for chunk in iter(lambda fh=fh: fh.read(1 << 22), b""):  # type: ignore[misc]
                total += chunk.count(b"\n")
    return total
