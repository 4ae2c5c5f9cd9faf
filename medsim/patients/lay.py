"""Lay language: the clinical words a patient would not say, and what they say instead.

The table is data (``data/lay_terms.yaml``). The scripted patient passes its answers through
:func:`lay` so a fact written with "dyspnea" still sounds like a patient; the LLM patient gets
the same table in its prompt (:func:`lay_table`).
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from medsim.yamlload import safe_load


@cache
def lay_table() -> dict[str, str]:
    """Clinical word -> lay phrase."""
    text = resources.files("medsim.patients").joinpath("data", "lay_terms.yaml").read_text("utf-8")
    return {str(k).lower(): str(v) for k, v in (safe_load(text) or {}).items()}


@cache
def _pattern() -> re.Pattern[str]:
    words = sorted(lay_table(), key=len, reverse=True)
    return re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")\b", re.IGNORECASE)


def lay(text: str) -> str:
    """``text`` with every clinical word of the table replaced by its lay phrase."""
    return _pattern().sub(lambda m: lay_table()[m.group(1).lower()], text)


__all__ = ["lay", "lay_table"]
