"""Page-aware cuts: make a tool result fit an output limit without breaking it.

A result that is too large is never cut inside JSON or inside a table row. Instead the *data*
is cut, then rendered again (in whichever view), keeping the most that fits:

1. a Bundle keeps its first whole entries, plus an ``OperationOutcome`` entry (search mode
   ``outcome``, FHIR's place for notes about a search) saying how many were shown, the total,
   and how to get the rest (the same search with ``_offset``/``_count``, or narrower parameters);
2. other JSON (not a single resource) keeps the first whole items of its largest list and
   says how many were cut (``"_truncated"`` beside the list, or a last string item in a bare
   list);
3. otherwise (a single resource, say) its longest strings are shortened, each saying how much
   was cut;
4. if even that does not fit, a note alone (an ``OperationOutcome``) says why.

Text results keep their first whole lines. The JSON view therefore always stays valid JSON.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from medsim.observation.compact import searched_type

Render = Callable[[Any], str]
Fits = Callable[[str], bool]
NARROW = "narrow the search (patient, code, date, _sort=-date)"


def _largest_fitting(n: int, make: Callable[[int], str], fits: Fits) -> str | None:
    """The text for the largest ``k`` in ``0..n`` whose ``make(k)`` fits (None if none does)."""
    lo, hi, best = 0, n, None
    while lo <= hi:
        mid = (lo + hi) // 2
        text = make(mid)
        if fits(text):
            best, lo = text, mid + 1
        else:
            hi = mid - 1
    return best


def outcome(note: str) -> dict[str, Any]:
    """An informational OperationOutcome carrying ``note``."""
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "information", "code": "too-costly", "diagnostics": note}],
    }


def _self_url(bundle: dict[str, Any]) -> str:
    for link in bundle.get("link") or []:
        if isinstance(link, dict) and link.get("relation") == "self":
            return str(link.get("url", ""))
    return ""


def _offset(bundle: dict[str, Any]) -> int:
    query = dict(parse_qsl(urlsplit(_self_url(bundle)).query))
    value = query.get("_offset") or query.get("_getpagesoffset") or "0"
    return int(value) if value.isdigit() else 0


def rest_params(bundle: dict[str, Any], shown: int) -> str:
    """``_count=N&_offset=M``: the page that starts right after the ``shown`` entries."""
    return f"_count={max(shown, 1)}&_offset={_offset(bundle) + shown}"


def _next_url(bundle: dict[str, Any], shown: int) -> str:
    """The self link with ``_count``/``_offset`` set to :func:`rest_params` (raw characters
    kept, as the server writes its links)."""
    base, _, query = _self_url(bundle).partition("?")
    kept = [p for p in query.split("&") if p and p.split("=", 1)[0] not in ("_count", "_offset")]
    return f"{base}?{'&'.join([*kept, rest_params(bundle, shown)])}"


def bundle_note(bundle: dict[str, Any], shown: int, limit: str) -> str:
    """What a cut Bundle says: how many entries are shown, the total, how to get the rest."""
    entries = bundle.get("entry") or []
    total = bundle.get("total")
    in_all = f"; {total} matches in all" if total is not None else ""
    rest = f"same search + {rest_params(bundle, shown)}"
    if shown == 0:
        refs = [e.get("resource") or {} for e in entries[:5]]
        ids = ", ".join(f"{r.get('resourceType')}/{r.get('id')}" for r in refs)
        rest = f"read one at a time ({ids}) or {rest}"
    return (
        f"Output limit ({limit}): showing {shown} of the {len(entries)} {searched_type(bundle)} "
        f"entries on this page{in_all}. Rest: {rest}; or {NARROW}."
    )


def cut_bundle(bundle: dict[str, Any], shown: int, limit: str) -> dict[str, Any]:
    """The bundle with its first ``shown`` entries, a note entry about the rest, and its
    ``next`` link pointing right after the last entry shown."""
    note = {"resource": outcome(bundle_note(bundle, shown, limit)), "search": {"mode": "outcome"}}
    links = [
        link
        for link in bundle.get("link") or []
        if not (isinstance(link, dict) and link.get("relation") == "next")
    ]
    if _self_url(bundle):
        links.append({"relation": "next", "url": _next_url(bundle, shown)})
    return {**bundle, "link": links, "entry": [*(bundle.get("entry") or [])[:shown], note]}


def _lists(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[int, tuple[Any, ...]]]:
    """(length, path) of every non-empty list in ``value``."""
    found: list[tuple[int, tuple[Any, ...]]] = []
    if isinstance(value, list) and value:
        found.append((len(str(value)), path))
        for i, item in enumerate(value):
            found += _lists(item, (*path, i))
    elif isinstance(value, dict):
        for k, v in value.items():
            found += _lists(v, (*path, k))
    return found


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        value = value[step]
    return value


def cut_list(value: Any, path: tuple[Any, ...], shown: int, limit: str) -> Any:
    """``value`` with the list at ``path`` cut to its first ``shown`` items and a note."""
    out = copy.deepcopy(value)
    items = _at(out, path)
    note = (
        f"Output limit ({limit}) reached: showing the first {shown} of {len(items)} items; "
        "ask for fewer (narrower arguments) to see the rest."
    )
    del items[shown:]
    parent = _at(out, path[:-1]) if path else None
    if isinstance(parent, dict):
        parent["_truncated"] = note
    else:
        items.append(note)
    return out


def _long_strings(node: Any) -> list[tuple[int, Any, Any]]:
    """(length, container, key) of every string leaf longer than 120 characters."""
    found: list[tuple[int, Any, Any]] = []
    if isinstance(node, dict | list):
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for k, v in items:
            if isinstance(v, str) and len(v) > 120:
                found.append((len(v), node, k))
            else:
                found += _long_strings(v)
    return found


def _shorten_strings(value: Any, render: Render, fits: Fits) -> str | None:
    """Halve the longest string leaves (saying so) until the rendering fits."""
    out = copy.deepcopy(value)
    for _ in range(60):
        leaves = _long_strings(out)
        if not leaves:
            return None
        _, node, key = max(leaves, key=lambda leaf: leaf[0])
        text: str = node[key]
        keep = len(text) // 2
        node[key] = f"{text[:keep]}… [{len(text) - keep} characters cut to fit the output limit]"
        rendered = render(out)
        if fits(rendered):
            return rendered
    return None


def cut_text(text: str, fits: Fits, limit: str) -> str:
    """Plain text: the first whole lines that fit, and how many were left out."""
    lines = text.split("\n")

    def make(k: int) -> str:
        return "\n".join(
            [*lines[:k], f"[output limit ({limit}) reached: {len(lines) - k} more lines not shown]"]
        )

    found = _largest_fitting(len(lines) - 1, make, fits)
    return found if found is not None else make(0)


def fit(value: Any, render: Render, fits: Fits, limit: str) -> str:
    """``render(value)`` if it fits, else the rendering of the largest whole-part cut that does."""
    text = render(value)
    if fits(text):
        return text
    if isinstance(value, str):
        return cut_text(value, fits, limit)
    entries = value.get("entry") if isinstance(value, dict) else None
    if value_is_bundle(value) and entries:
        found = _largest_fitting(
            len(entries) - 1, lambda k: render(cut_bundle(value, k, limit)), fits
        )
        if found is not None:
            return found
    elif not (isinstance(value, dict) and "resourceType" in value):  # a resource is no page
        lists = [(size, path) for size, path in _lists(value) if len(_at(value, path)) > 1]
        if lists:
            _, path = max(lists, key=lambda item: item[0])
            n = len(_at(value, path))
            found = _largest_fitting(n - 1, lambda k: render(cut_list(value, path, k, limit)), fits)
            if found is not None:
                return found
    found = _shorten_strings(value, render, fits)
    if found is not None:
        return found
    bundle = value_is_bundle(value)
    size = f"The result ({value.get('total')} matches)" if bundle else "The result"
    notes = [bundle_note(value, 0, limit)] if bundle else []
    notes += [
        f"{size} is larger than the output limit ({limit}); {NARROW}.",
        f"Output limit ({limit}): result not shown.",
    ]
    texts = [render(outcome(n)) for n in notes]
    return next((t for t in texts if fits(t)), texts[-1])


def value_is_bundle(value: Any) -> bool:
    return isinstance(value, dict) and value.get("resourceType") == "Bundle"
