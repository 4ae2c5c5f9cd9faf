"""Reading YAML data files through libyaml when PyYAML has it.

PyYAML's pure-Python scanner and parser are ~10x slower than libyaml's (its wheels ship libyaml):
the 67 Dialogue case files took ~1.5 s to read at every ``make``. The values are the same either
way — the C loader only replaces scanning and parsing; the constructors are PyYAML's
``SafeConstructor`` — and a test reads every shipped YAML file with both and compares.
"""

from __future__ import annotations

from typing import Any

import yaml

#: The fastest safe loader this PyYAML has (``CSafeLoader`` with libyaml, else ``SafeLoader``).
SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str | bytes) -> Any:
    """``yaml.safe_load(text)``, through libyaml when available."""
    return yaml.load(text, Loader=SafeLoader)  # noqa: S506 - a safe loader
