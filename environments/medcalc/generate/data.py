"""Read the suite's data files (``environments/medcalc/data/*.yaml``), once per process."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from medsim.yamlload import safe_load

DATA_PACKAGE = "medsim.environments.medcalc.data"


@cache
def load(name: str) -> Any:
    """The parsed YAML data file ``name`` (a fresh parse is cached; do not mutate it)."""
    text = resources.files(DATA_PACKAGE).joinpath(name).read_text(encoding="utf-8")
    return safe_load(text)
