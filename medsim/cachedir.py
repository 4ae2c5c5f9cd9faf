"""Where medsim keeps what it builds once per machine: ``$MEDSIM_CACHE_DIR`` (default
``~/.cache/medsim``), one folder per kind (``fhir`` indexes, rendered ``tasks``)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir(kind: str) -> Path:
    """``$MEDSIM_CACHE_DIR/<kind>`` (created on first use)."""
    root = os.environ.get("MEDSIM_CACHE_DIR") or os.path.join(Path.home(), ".cache", "medsim")
    path = Path(root) / kind
    path.mkdir(parents=True, exist_ok=True)
    return path
