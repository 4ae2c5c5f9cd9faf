"""Breakdown keys read generically from task data, so every suite plugs in without code here.

A task's *facets* are its top-level descriptive fields (``specialty``, ``workflow``,
``category``, ``split``, ``suite``) and every scalar or list-of-strings field of its
``metadata`` (``difficulty``, ``tags``, whatever a suite adds), except provenance fields. A
checkpoint's category is its ``category`` field when the suite's schema has one, else the name of
its grader (``data_retrieved``, ``value_reported``, ...).
"""

from __future__ import annotations

from typing import Any

TOP_LEVEL = ("specialty", "workflow", "category", "split", "suite")
SKIP_METADATA = {"source", "issues", "references", "notes", "citation", "citations"}


def task_facets(task: dict[str, Any]) -> dict[str, Any]:
    """Facet name -> value (a string, number, bool, or a list of strings such as tags)."""
    out: dict[str, Any] = {}
    for key in TOP_LEVEL:
        value = task.get(key)
        if isinstance(value, str | int | bool) and value != "":
            out[key] = value
    meta = task.get("metadata")
    if isinstance(meta, dict):
        for key, value in meta.items():
            if key in SKIP_METADATA or key in out:
                continue
            if isinstance(value, str | int | float | bool) and value != "":
                out[key] = value
            elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
                out[key] = list(value)
    return out


def checkpoint_categories(task: dict[str, Any]) -> dict[str, str]:
    """Checkpoint id -> category (its ``category`` field, else its grader name)."""
    out: dict[str, str] = {}
    for spec in task.get("checkpoints") or []:
        if isinstance(spec, dict) and "id" in spec:
            out[str(spec["id"])] = str(spec.get("category") or spec.get("grader") or "other")
    return out
