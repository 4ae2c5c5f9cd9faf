"""The search-parameter definitions (data/search_parameters.json) and index extraction.

``extract(resource)`` walks a resource along each parameter's paths and returns the index rows the
engine stores: tokens (system, code, display text), strings (normalised and exact), date ranges,
references, quantities and numbers. The same function serves the base cohort and every write, so a
resource is searchable the same way however it arrived.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from typing import Any, Literal

from medsim.fhir.dates import parse_range, period_range
from medsim.fhir.paths import Step, gather, walk

ParamType = Literal["token", "string", "date", "reference", "quantity", "number", "uri"]


@dataclass(frozen=True)
class SearchParam:
    name: str
    type: ParamType
    paths: tuple[str, ...]
    target: tuple[str, ...] = ()
    #: Parameters whose values together are this one's (``combo-code`` = ``code`` +
    #: ``component-code``): searches read their index rows, so this one stores none. A reference
    #: union keeps only its members' rows that point to one of its ``target`` types: ``patient``
    #: of Observation is ``subject`` restricted to Patient (R4: ``subject.where(resolve() is
    #: Patient)``) [changed in 0.3].
    union: tuple[str, ...] = ()
    #: Where the ``resources`` table holds this parameter's one value, so it stores no index rows
    #: either: a token's column (``_id``: ``id``), or a date's pair of columns ``<column>_lo`` and
    #: ``<column>_hi`` (``_lastUpdated``: ``updated``, the [lo, hi) of ``meta.lastUpdated``).
    column: str = ""

    @property
    def stored(self) -> bool:
        """Whether the index has rows of this parameter (not a union, not a column)."""
        return not (self.union or self.column)


@cache
def _raw_definitions() -> dict[str, Any]:
    text = resources.files("medsim.fhir").joinpath("data/search_parameters.json").read_text()
    return dict(json.loads(text))


@cache
def definitions() -> dict[str, dict[str, SearchParam]]:
    """Resource type -> parameter name -> definition (``_common`` merged into every type)."""
    raw = {k: v for k, v in _raw_definitions().items() if k != "_primary_date"}
    common = raw.pop("_common")
    out: dict[str, dict[str, SearchParam]] = {}
    for rtype, params in raw.items():
        merged = {**common, **params}
        out[rtype] = {
            name: SearchParam(
                name,
                spec["type"],
                tuple(spec["paths"]),
                tuple(spec.get("target", ())),
                tuple(spec.get("union", ())),
                spec.get("column", ""),
            )
            for name, spec in merged.items()
        }
    out["_common"] = {
        name: SearchParam(name, spec["type"], tuple(spec["paths"]), column=spec.get("column", ""))
        for name, spec in common.items()
    }
    return out


@cache
def primary_date(resource_type: str) -> str | None:
    """The date parameter whose value every index row of this type carries (for fast sorts)."""
    value = _raw_definitions()["_primary_date"].get(resource_type)
    return str(value) if value else None


def params_for(resource_type: str) -> dict[str, SearchParam]:
    defs = definitions()
    return defs.get(resource_type, defs["_common"])


def normalize_string(value: str) -> str:
    """HAPI-style normalisation for string search: accents removed, case folded."""
    if value.isascii():  # most values: NFKD keeps ASCII as it is and casefold() is lower()
        return value.lower()
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


Token = tuple[str, str | None, str | None, str | None]  # param, system, code, text


@dataclass
class IndexRows:
    """Index rows of one resource; each tuple starts with the parameter name."""

    tokens: list[Token] = field(default_factory=list)
    strings: list[tuple[str, str, str]] = field(default_factory=list)
    dates: list[tuple[str, float, float]] = field(default_factory=list)
    refs: list[tuple[str, str, str]] = field(default_factory=list)  # param, target type, target id
    quantities: list[tuple[str, float, str | None, str | None]] = field(default_factory=list)
    numbers: list[tuple[str, float]] = field(default_factory=list)
    patient: str = ""
    sort_date: float | None = None  # [lo, hi) of the type's primary date, copied to token and
    sort_hi: float | None = None  # reference rows so the commonest filters need no join


def split_reference(ref: str) -> tuple[str, str] | None:
    """``Patient/123`` or ``http://x/fhir/Patient/123[/_history/2]`` -> (type, id)."""
    ref = ref.split("/_history/")[0].rstrip("/")
    parts = ref.split("/")
    if len(parts) >= 2 and parts[-2][:1].isupper():
        return parts[-2], parts[-1]
    return None


@dataclass(frozen=True)
class _Plan:
    """A type's parameter paths compiled for extraction: the trie of their steps
    (:mod:`medsim.fhir.paths`), and for each path (in definition order, its number in the trie)
    its parameter and indexer."""

    root: Step
    slots: tuple[tuple[SearchParam, Indexer], ...]
    #: The reference parameters whose first Patient target is the resource's patient compartment:
    #: ``patient``, or the members it is a union of (``subject``).
    compartment: tuple[str, ...]


@cache
def _compiled(resource_type: str, stored: bool) -> _Plan:
    """The paths of every parameter of a type (with ``stored``, of the parameters that have index
    rows, :attr:`SearchParam.stored`), as a trie of steps."""
    root = Step()
    slots: list[tuple[SearchParam, Indexer]] = []
    params = params_for(resource_type)
    for param in params.values():
        if stored and not param.stored:
            continue
        for path in param.paths:
            root.add(path, len(slots))
            slots.append((param, INDEXERS[param.type]))
    patient = params.get("patient")
    compartment = (patient.union or (patient.name,)) if patient else ()
    return _Plan(root, tuple(slots), compartment)


def extract(resource: dict[str, Any], *, stored: bool = False) -> IndexRows:
    """The index values of ``resource`` for every search parameter of its type (with
    ``stored``, only the parameters the index has rows of: :attr:`SearchParam.stored`). Each
    element of the resource is read once (:func:`medsim.fhir.paths.gather`); each path's values
    then go to its parameter's indexer, in definition order."""
    rows = IndexRows()
    rtype = resource["resourceType"]
    plan = _compiled(rtype, stored)
    found = gather(resource, plan.root)
    for slot in sorted(found):
        param, indexer = plan.slots[slot]
        indexer(rows, param, found[slot])
    # one row per distinct (param, system, code, text) and (param, type, id)
    if len(rows.tokens) > 1:
        rows.tokens = list(dict.fromkeys(rows.tokens))
    if len(rows.refs) > 1:
        rows.refs = list(dict.fromkeys(rows.refs))
    primary = primary_date(rtype)
    if primary is not None:  # the span of the primary date's values
        for n, lo, hi in rows.dates:
            if n == primary:
                if rows.sort_date is None or lo < rows.sort_date:
                    rows.sort_date = lo
                if rows.sort_hi is None or hi > rows.sort_hi:
                    rows.sort_hi = hi
    if rtype == "Patient":
        rows.patient = str(resource.get("id", ""))
    else:
        compartment = plan.compartment
        for p, tt, tid in rows.refs:
            if tt == "Patient" and p in compartment:
                rows.patient = tid
                break
    return rows


def _index_tokens(rows: IndexRows, param: SearchParam, values: list[Any]) -> None:
    name, out = param.name, rows.tokens
    for value in values:
        _add_tokens(out, name, value)


def _index_strings(rows: IndexRows, param: SearchParam, values: list[Any]) -> None:
    name = param.name
    for value in values:
        for s in _strings(value):
            rows.strings.append((name, normalize_string(s), s))


def _index_dates(rows: IndexRows, param: SearchParam, values: list[Any]) -> None:
    name = param.name
    for value in values:
        rng = _date_range(value)
        if rng is not None:
            rows.dates.append((name, rng[0], rng[1]))


def _index_refs(rows: IndexRows, param: SearchParam, values: list[Any]) -> None:
    name, targets, out = param.name, param.target, rows.refs
    for value in values:
        ref = value.get("reference") if isinstance(value, dict) else None
        if isinstance(ref, str):
            target = _split_reference(ref)
            if target and (not targets or target[0] in targets):
                out.append((name, target[0], target[1]))


def _index_quantities(rows: IndexRows, param: SearchParam, values: list[Any]) -> None:
    name = param.name
    for value in values:
        if isinstance(value, dict) and isinstance(value.get("value"), int | float):
            rows.quantities.append(
                (
                    name,
                    float(value["value"]),
                    value.get("system"),
                    value.get("code") or value.get("unit"),
                )
            )


def _index_numbers(rows: IndexRows, param: SearchParam, values: list[Any]) -> None:
    for value in values:
        if isinstance(value, int | float) and not isinstance(value, bool):
            rows.numbers.append((param.name, float(value)))


Indexer = Callable[[IndexRows, SearchParam, list[Any]], None]
#: Parameter type -> what adds a parameter's values to the rows (chosen once per path, when
#: :func:`_compiled` prepares a type's paths, instead of per value).
INDEXERS: dict[str, Indexer] = {
    "token": _index_tokens,
    "uri": _index_tokens,
    "string": _index_strings,
    "date": _index_dates,
    "reference": _index_refs,
    "quantity": _index_quantities,
    "number": _index_numbers,
}


#: ContactPoint systems: their values are searched without the system.
_CONTACT_SYSTEMS = frozenset({"phone", "email", "fax", "pager", "url", "sms", "other"})


def _add_tokens(out: list[Token], name: str, value: Any) -> None:
    """Append ``value``'s (name, system, code, text) rows: a code, boolean, CodeableConcept,
    Coding, Identifier or ContactPoint (appended here, not yielded: extraction's inner loop)."""
    if isinstance(value, bool):
        out.append((name, None, "true" if value else "false", None))
    elif isinstance(value, str):
        out.append((name, None, value, None))
    elif isinstance(value, dict):
        if "coding" in value or "text" in value and "code" not in value and "value" not in value:
            text = value.get("text")
            codings = value.get("coding")
            for coding in codings or ():
                out.append(
                    (name, coding.get("system"), coding.get("code"), coding.get("display") or text)
                )
            if text and not codings:
                out.append((name, None, None, text))
        elif "code" in value or "system" in value and "value" not in value:  # Coding
            out.append((name, value.get("system"), value.get("code"), value.get("display")))
        elif "value" in value:  # Identifier / ContactPoint
            system = value.get("system")
            if system in _CONTACT_SYSTEMS:
                system = None
            out.append((name, system, str(value["value"]), None))


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key in ("family", "text", "city", "district", "state", "postalCode", "country"):
            if isinstance(value.get(key), str):
                yield value[key]
        for key in ("given", "prefix", "suffix", "line"):
            for part in value.get(key) or []:
                if isinstance(part, str):
                    yield part


#: The same references recur (a patient's, an encounter's, in every resource of it): split once.
_split_reference = lru_cache(maxsize=4096)(split_reference)

#: The same instants recur (meta.lastUpdated of a whole load, a resource's effective and issued
#: times): parsed once each. Invalid values raise every time (exceptions are not cached).
_parse_range = lru_cache(maxsize=4096)(parse_range)


def updated_range(resource: dict[str, Any]) -> tuple[float, float] | tuple[None, None]:
    """The [lo, hi) of ``meta.lastUpdated``, which the ``resources`` row holds (columns
    ``updated_lo``, ``updated_hi``) instead of ``_lastUpdated`` index rows [changed in 0.3];
    (None, None) without a valid one. R4's ``Meta.lastUpdated`` is 0..1: of several (only an
    unvalidated load can bring them) the first valid one counts."""
    meta = resource.get("meta")
    if isinstance(meta, dict) and isinstance(meta.get("lastUpdated"), str):  # every stored one
        values: Iterable[Any] = (meta["lastUpdated"],)
    else:
        values = walk(resource, definitions()["_common"]["_lastUpdated"].paths[0])
    for value in values:
        rng = _date_range(value)
        if rng is not None:
            return rng
    return None, None


def _date_range(value: Any) -> tuple[float, float] | None:
    try:
        if isinstance(value, str):
            return _parse_range(value)
        if isinstance(value, dict):
            if "start" in value or "end" in value:
                return period_range(value.get("start"), value.get("end"))
            events = [e for e in value.get("event") or [] if isinstance(e, str)]
            if events:  # Timing: the span of its events
                ranges = [_parse_range(e) for e in events]
                return min(r[0] for r in ranges), max(r[1] for r in ranges)
            if isinstance(value.get("repeat"), dict) and isinstance(
                value["repeat"].get("boundsPeriod"), dict
            ):
                bp = value["repeat"]["boundsPeriod"]
                return period_range(bp.get("start"), bp.get("end"))
    except ValueError:
        return None  # unparseable dates are not indexed (validation rejects them on write)
    return None


@cache
def patient_compartment_types() -> tuple[str, ...]:
    """Types with a ``patient`` search parameter (medsim's Patient compartment), sorted."""
    return tuple(
        sorted(t for t, p in definitions().items() if not t.startswith("_") and "patient" in p)
    )
