"""Rule-verified rubric criteria: decided in Python, never sent to an LLM (after RuscaRL's
`verifier:rule` items). Three kinds, each a pure function of (params, text):

- "regex":  {"pattern": str, "ignore_case": bool = true, "negate": bool = false}
            met when the pattern is found (or, with negate, when it is not).
- "number": {"value": float, "tolerance": float = 0, "rel_tolerance": float = 0} or
            {"min": float, "max": float}; optional "unit": str | [str] (the number must be followed
            by one of them), "label": regex (only numbers within "window" = 40 characters after a
            match count), "select": "any" | "first" | "last" (which candidate must fit).
- "code":   {"codes": [str, ...], "system": str (informational)}: met when any code appears as a
            whole token (so "I48.9" does not match inside "I48.91").

Every kind takes "scope": "response" (the last assistant turn, with its tool-call arguments; the
default), "assistant" (all assistant turns) or "conversation" (every turn).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

SCOPES = ("response", "assistant", "conversation")
_NUMBER = re.compile(r"(?<![\w.])[-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\d])")
COMMON = {"scope"}
ALLOWED = {
    "regex": {"pattern", "ignore_case", "negate"},
    "number": {
        "value",
        "tolerance",
        "rel_tolerance",
        "min",
        "max",
        "unit",
        "label",
        "window",
        "select",
    },
    "code": {"codes", "system"},
}


def _require(cond: bool, kind: str, message: str) -> None:
    if not cond:
        raise ValueError(f"verifier {kind!r}: {message}")


def check_params(kind: str, params: dict[str, Any]) -> None:
    """Raise ValueError naming the problem if `params` are not valid for `kind`."""
    _require(kind in ALLOWED, kind, f"unknown kind; expected one of {sorted(ALLOWED)}")
    unknown = set(params) - ALLOWED[kind] - COMMON
    _require(not unknown, kind, f"unknown params {sorted(unknown)}")
    _require(params.get("scope", "response") in SCOPES, kind, f"scope must be one of {SCOPES}")
    if kind == "regex":
        _require(isinstance(params.get("pattern"), str), kind, "needs a string 'pattern'")
        for flag in ("ignore_case", "negate"):
            _require(
                isinstance(params.get(flag, False), bool), kind, f"'{flag}' must be true/false"
            )
        try:
            re.compile(params["pattern"])
        except re.error as exc:
            raise ValueError(f"verifier 'regex': bad pattern {params['pattern']!r}: {exc}") from exc
    elif kind == "number":
        has_value, has_range = "value" in params, "min" in params or "max" in params
        _require(has_value != has_range, kind, "give either 'value' (+ tolerance) or 'min'/'max'")
        for key in ("value", "tolerance", "rel_tolerance", "min", "max", "window"):
            if key in params:
                ok = isinstance(params[key], int | float) and not isinstance(params[key], bool)
                _require(ok and math.isfinite(params[key]), kind, f"'{key}' must be a number")
        _require(
            params.get("tolerance", 0) >= 0 and params.get("rel_tolerance", 0) >= 0,
            kind,
            "tolerances must be >= 0",
        )
        _require(params.get("min", -math.inf) <= params.get("max", math.inf), kind, "min > max")
        _require(
            params.get("select", "any") in ("any", "first", "last"),
            kind,
            "select must be 'any', 'first' or 'last'",
        )
        if "label" in params:
            try:
                re.compile(params["label"])
            except (re.error, TypeError) as exc:
                raise ValueError(
                    f"verifier 'number': bad label {params['label']!r}: {exc}"
                ) from exc
        units = params.get("unit", [])
        units = [units] if isinstance(units, str) else units
        ok = isinstance(units, list) and all(isinstance(u, str) and u for u in units)
        _require(ok, kind, "'unit' must be a string or a list of strings")
    elif kind == "code":
        codes = params.get("codes")
        ok = isinstance(codes, list) and bool(codes)
        ok = ok and all(isinstance(c, str) and c.strip() for c in codes or [])
        _require(ok, kind, "needs a non-empty list of strings 'codes'")


def scoped_text(messages: list[dict[str, Any]], scope: str = "response") -> str:
    """The text a rule looks at: see the module docstring for the scopes."""

    def text(m: dict[str, Any]) -> str:
        content = m.get("content")
        if isinstance(content, list):
            content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
        parts = [content or ""]
        for call in m.get("tool_calls") or []:
            fn = call.get("function", {})
            args = fn.get("arguments", "")
            parts.append(args if isinstance(args, str) else json.dumps(args))
        return "\n".join(p for p in parts if p)

    if scope == "conversation":
        return "\n".join(text(m) for m in messages)
    assistant = [m for m in messages if m.get("role") == "assistant"]
    if scope == "assistant":
        return "\n".join(text(m) for m in assistant)
    return text(assistant[-1]) if assistant else ""


def _regex(params: dict[str, Any], text: str) -> tuple[bool, str]:
    flags = re.IGNORECASE if params.get("ignore_case", True) else 0
    found = re.search(params["pattern"], text, flags)
    met = (found is None) if params.get("negate", False) else (found is not None)
    seen = f"found {found.group(0)!r}" if found else "pattern not found"
    return met, f"regex {params['pattern']!r}: {seen}"


def _numbers(params: dict[str, Any], text: str) -> list[float]:
    units = params.get("unit")
    units = [units] if isinstance(units, str) else list(units or [])
    spans: list[tuple[int, int]] = [(0, len(text))]
    if "label" in params:
        window = int(params.get("window", 40))
        spans = [(m.end(), m.end() + window) for m in re.finditer(params["label"], text, re.I)]
    values: list[float] = []
    for start, end in spans:
        for m in _NUMBER.finditer(text, start, min(end, len(text))):
            after = text[m.end() :].lstrip()
            if units and not any(after.lower().startswith(u.lower()) for u in units):
                continue
            values.append(float(m.group(0).replace(",", "").replace("−", "-")))
    return values


def _fits(params: dict[str, Any], x: float) -> bool:
    if "value" in params:
        target = float(params["value"])
        slack = max(
            float(params.get("tolerance", 0)), abs(target) * float(params.get("rel_tolerance", 0))
        )
        return abs(x - target) <= slack + 1e-12
    return float(params.get("min", -math.inf)) <= x <= float(params.get("max", math.inf))


def _number(params: dict[str, Any], text: str) -> tuple[bool, str]:
    values = _numbers(params, text)
    select = params.get("select", "any")
    chosen = values if select == "any" else values[:1] if select == "first" else values[-1:]
    met = any(_fits(params, x) for x in chosen)
    want = (
        f"{params['value']} ± tolerance"
        if "value" in params
        else f"[{params.get('min', '-inf')}, {params.get('max', 'inf')}]"
    )
    return met, f"number check ({want}, {select}): candidates {values[:10]}"


def _code(params: dict[str, Any], text: str) -> tuple[bool, str]:
    hits = [
        c
        for c in params["codes"]
        if re.search(rf"(?<![A-Za-z0-9]){re.escape(c.strip())}(?![A-Za-z0-9]|\.\d)", text, re.I)
    ]
    if not hits:
        return False, f"code check: none of {params['codes']} found"
    return True, f"code check: found {hits}"


RULES: dict[str, Callable[[dict[str, Any], str], tuple[bool, str]]] = {
    "regex": _regex,
    "number": _number,
    "code": _code,
}


def verify(kind: str, params: dict[str, Any], messages: list[dict[str, Any]]) -> tuple[bool, str]:
    """(met, explanation) of a rule over a conversation (params already checked)."""
    return RULES[kind](params, scoped_text(messages, params.get("scope", "response")))
