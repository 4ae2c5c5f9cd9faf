"""Parse FHIR search parameters into a validated :class:`Query`.

Everything an agent can type is checked here, before any SQL is built: unknown parameters,
unsupported modifiers, malformed dates, numbers and prefixes all raise a 400 :class:`FhirError`
with an OperationOutcome naming the parameter, the way HAPI answers. Values are always bound as
SQL parameters later, never spliced into SQL text.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from medsim.fhir.dates import parse_range
from medsim.fhir.interface import FhirError
from medsim.fhir.search_params import SearchParam, normalize_string, params_for, split_reference
from medsim.fhir.shaping import check_summary, parse_elements
from medsim.fhir.urls import ID_RE, is_type

#: ``_format`` values meaning JSON (anything else -> 406: medsim speaks JSON only).
JSON_FORMATS = ("json", "application/json", "application/fhir+json", "application/json+fhir")

DATE_PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb")
NUMBER_PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "ap")
MODIFIERS: dict[str, set[str]] = {
    "token": {"", "not", "text", "missing"},
    "uri": {"", "missing"},
    "string": {"", "exact", "contains", "missing"},
    "date": {"", "missing"},
    "reference": {"", "missing"},
    "quantity": {"", "missing"},
    "number": {"", "missing"},
}
# Result-shaping parameters, accepted and handled by the engine (or harmlessly ignored: _format, _pretty).
CONTROL = {
    "_sort",
    "_count",
    "_offset",
    "_include",
    "_revinclude",
    "_summary",
    "_total",
    "_format",
    "_pretty",
    "_elements",
    "_getpagesoffset",
    "_totalMethod",  # sent by fhirpy's count(); the total is always counted
}
#: Largest ``_count`` a search honours unless the server/suite says otherwise. medsim's HAPI
#: configuration (fhir_server/) uses the same value; larger counts are reduced with a warning.
MAX_COUNT = 1000
MAX_INT = 2**31 - 1  # _count / _offset above this are refused (SQLite and HAPI use 32-bit ints)
MAX_VALUE_LENGTH = 2000


@dataclass(frozen=True)
class Value:
    """One OR-alternative of a parameter, parsed for its type."""

    prefix: str = "eq"
    system: str | None = None  # token system; None = any, "" = none
    code: str | None = None  # token code / reference id / string text / uri
    text: str | None = None  # normalised string
    ref_type: str | None = None
    low: float = 0.0
    high: float = 0.0
    number: float = 0.0
    unit: str | None = None
    missing: bool | None = None


@dataclass
class Clause:
    """``param[:modifier]=v1,v2`` (OR of values); clauses are ANDed. ``chain`` = nested query."""

    param: SearchParam
    modifier: str
    values: list[Value]
    chain: Query | None = None


@dataclass
class Query:
    resource_type: str
    clauses: list[Clause] = field(default_factory=list)
    ids: list[str] | None = None
    sort: list[tuple[str, bool]] = field(default_factory=list)  # (param, descending)
    count: int | None = None
    offset: int = 0
    include: list[tuple[str, str, str | None]] = field(
        default_factory=list
    )  # (type, param, target)
    revinclude: list[tuple[str, str, str | None]] = field(default_factory=list)
    summary: str | None = None  # _summary mode (true, false, text, data, count)
    elements: list[str] | None = None  # _elements
    has: list[tuple[Query, str]] = field(default_factory=list)
    total: bool = True  # False for _total=none  # _has: (sub-query, its ref param)
    raw: list[tuple[str, str]] = field(default_factory=list)  # the filter params, for paging links
    #: layer -> its SQL, kept by the engine for queries whose SQL depends on nothing but the query
    #: (no chain, no ``_has``); a parsed query is shared (see :func:`parse_cached`), never changed.
    #: Not an init field: a copy (``dataclasses.replace``, as ``_has`` resolution makes with the ids
    #: it found) starts with an empty cache instead of sharing, and poisoning, the original's.
    sql: dict[str, Any] = field(default_factory=dict, compare=False, repr=False, init=False)

    @property
    def pure(self) -> bool:
        """Its SQL depends on the query alone (no chained parameter or ``_has`` to resolve)."""
        return not self.has and all(c.chain is None for c in self.clauses)

    @property
    def summary_count(self) -> bool:
        return self.summary == "count"


def bad(msg: str, code: str = "invalid") -> FhirError:
    return FhirError(400, msg, code)


def normalize_params(params: Any) -> list[tuple[str, str]]:
    """Accept a query string, a mapping (list value = repeated parameter) or (name, value) pairs."""
    if params is None:
        return []
    if isinstance(params, str):
        return parse_qsl(params.lstrip("?"), keep_blank_values=True)
    pairs: list[tuple[str, str]] = []
    items = params.items() if isinstance(params, Mapping) else params
    for item in items:
        if not (isinstance(item, Sequence) and len(item) == 2):
            raise bad(f"search parameters must be name/value pairs, got {item!r}")
        name, value = item
        if not isinstance(name, str):
            raise bad(f"parameter name must be a string, got {name!r}")
        values = value if isinstance(value, list | tuple) else [value]
        for v in values:
            if isinstance(v, bool) or not isinstance(v, str | int | float):
                raise bad(f"parameter {name!r}: value must be a string or number, got {v!r}")
            pairs.append((name, str(v).lower() if isinstance(v, bool) else str(v)))
    return pairs


def split_unescaped(value: str, sep: str) -> list[str]:
    """Split on ``sep`` not preceded by a backslash; ``\\,`` ``\\|`` ``\\$`` unescape."""
    parts = re.split(r"(?<!\\)" + re.escape(sep), value)
    return parts


def unescape(value: str) -> str:
    return re.sub(r"\\([,|$\\])", r"\1", value)


def parse_cached(resource_type: str, params: Any) -> Query:
    """:func:`parse_query`, remembered for the common form (a dict of strings): agents and RL
    rollouts repeat the same searches, and parsing is a fixed cost of every one. The Query is
    shared between callers, who must not change it (the engine never does)."""
    if isinstance(params, dict) and all(
        type(k) is str and type(v) is str for k, v in params.items()
    ):
        return _parse_pairs(resource_type, tuple(params.items()))
    return parse_query(resource_type, params)


@functools.lru_cache(maxsize=4096)
def _parse_pairs(resource_type: str, pairs: tuple[tuple[str, str], ...]) -> Query:
    return parse_query(resource_type, list(pairs))


def parse_query(resource_type: str, params: Any, *, _depth: int = 0) -> Query:
    known = params_for(resource_type)
    q = Query(resource_type)
    for name, value in normalize_params(params):
        if len(value) > MAX_VALUE_LENGTH:
            raise bad(
                f"parameter {name!r}: value longer than {MAX_VALUE_LENGTH} characters", "too-long"
            )
        if name in CONTROL:
            _control(q, name, value)
            continue
        if name.startswith("_has:"):
            q.has.append(_has(name, value, _depth))
            q.raw.append((name, value))
            continue
        base, _, modifier = name.partition(":")
        chain_rest = None
        if "." in base or "." in modifier:
            head, _, chain_rest = name.partition(".")
            base, _, modifier = head.partition(":")
        param = known.get(base)
        if param is None:
            raise bad(
                f'Unknown search parameter "{base}" for resource type "{resource_type}". '
                f"Valid search parameters for this search are: {sorted(known)}"
            )
        if chain_rest is not None:
            q.clauses.append(_chain(param, modifier, chain_rest, value, _depth))
            q.raw.append((name, value))
            continue
        if param.type == "reference" and modifier and modifier[:1].isupper():
            ref_type, modifier = modifier, ""
        else:
            ref_type = None
        if modifier not in MODIFIERS[param.type]:
            raise bad(f'Invalid modifier ":{modifier}" for parameter "{base}" of type {param.type}')
        if value == "":
            raise bad(f"parameter {name!r} has an empty value")
        if modifier == "missing":
            if value not in ("true", "false"):
                raise bad(f"parameter {name!r}: :missing takes true or false, got {value!r}")
            values = [Value(missing=value == "true")]
        else:
            values = [
                _value(param, modifier, unescape(v), ref_type) for v in split_unescaped(value, ",")
            ]
        if base == "_id" and modifier == "":
            q.ids = (
                [v.code or "" for v in values]
                if q.ids is None
                else [i for i in q.ids if i in {v.code for v in values}]
            )
        else:
            q.clauses.append(Clause(param, modifier, values))
        q.raw.append((name, value))
    return q


def _chain(param: SearchParam, modifier: str, rest: str, value: str, depth: int) -> Clause:
    if param.type != "reference":
        raise bad(f"parameter {param.name!r} is not a reference: it cannot be chained")
    if depth >= 1:
        raise bad("chained searches deeper than one level are not supported", "not-supported")
    targets = [modifier] if modifier else list(param.target)
    if len(targets) != 1:
        raise bad(
            f"chained parameter {param.name}.{rest} is ambiguous: name the target type, "
            f"e.g. {param.name}:Patient.{rest}"
        )
    sub = parse_query(targets[0], [(rest, value)], _depth=depth + 1)
    return Clause(param, "", [Value(ref_type=targets[0])], chain=sub)


def _prefix(value: str, allowed: tuple[str, ...]) -> tuple[str, str]:
    if len(value) >= 2 and value[:2] in allowed and not value[:2].isdigit():
        return value[:2], value[2:]
    return "eq", value


def _value(param: SearchParam, modifier: str, raw: str, ref_type: str | None) -> Value:
    t = param.type
    if t in ("token", "uri"):
        if modifier == "text":
            return Value(text=normalize_string(raw))
        if t == "token" and "|" in raw:
            token_system, _, code = raw.partition("|")
            return Value(system=token_system, code=code or None)
        return Value(code=raw)
    if t == "string":
        return Value(code=raw, text=normalize_string(raw))
    if t == "date":
        prefix, rest = _prefix(raw, DATE_PREFIXES)
        try:
            low, high = parse_range(rest)
        except ValueError:
            raise bad(f'Invalid date/time format: "{raw}" for parameter "{param.name}"') from None
        return Value(prefix=prefix, low=low, high=high)
    if t == "reference":
        target = split_reference(raw) if "/" in raw else None
        if target:
            return Value(ref_type=target[0], code=target[1])
        if not ID_RE.match(raw):
            raise bad(f'Invalid reference "{raw}" for parameter "{param.name}"')
        if ref_type is None and len(param.target) == 1:
            ref_type = param.target[0]
        return Value(ref_type=ref_type, code=raw)
    # number / quantity
    prefix, rest = _prefix(raw, NUMBER_PREFIXES)
    number_text, _, unit_part = rest.partition("|")
    try:
        number = float(number_text)
    except ValueError:
        raise bad(f'Invalid number "{raw}" for parameter "{param.name}"') from None
    if number != number or number in (float("inf"), float("-inf")):
        raise bad(f'Invalid number "{raw}" for parameter "{param.name}"')
    system: str | None = None
    unit: str | None = None
    if unit_part:
        sys_text, _, unit_text = unit_part.partition("|")
        system, unit = sys_text or None, unit_text or None
    decimals = len(number_text.split(".")[1]) if "." in number_text else 0
    half = 0.5 * 10 ** (-decimals)
    return Value(
        prefix=prefix,
        number=number,
        low=number - half,
        high=number + half,
        system=system,
        unit=unit,
    )


def _control(q: Query, name: str, value: str) -> None:
    if name == "_sort":
        q.sort = []
        for key in value.split(","):
            key = key.strip()
            desc = key.startswith("-")
            key = key.lstrip("-")
            if (
                key not in params_for(q.resource_type)
                or params_for(q.resource_type)[key].type == "reference"
            ):
                raise bad(f'Unknown or unsortable _sort parameter "{key}" for {q.resource_type}')
            q.sort.append((key, desc))
    elif name in ("_count", "_offset", "_getpagesoffset"):
        if not (value.isascii() and value.isdigit()) or int(value) > MAX_INT:
            raise bad(f'{name} must be an integer from 0 to {MAX_INT}, got "{value}"')
        if name == "_count":
            q.count = int(value)
        else:
            q.offset = int(value)
    elif name in ("_include", "_revinclude"):
        parts = value.split(":")
        if value in ("*",) or len(parts) not in (2, 3):
            raise bad(f'{name} must be Type:param[:TargetType], got "{value}"')
        rtype, pname = parts[0], parts[1]
        target = parts[2] if len(parts) == 3 else None
        param = params_for(rtype).get(pname)
        if param is None or param.type != "reference":
            raise bad(f'{name}: "{rtype}:{pname}" is not a reference search parameter')
        (q.include if name == "_include" else q.revinclude).append((rtype, pname, target))
    elif name == "_summary":
        q.summary = check_summary(value)
    elif name == "_elements":
        q.elements = parse_elements(value)
    elif name == "_format":
        check_format(value)
    elif name == "_total":
        if value not in ("none", "estimate", "accurate"):
            raise bad(f'_total must be none, estimate or accurate; got "{value}"')
        q.total = value != "none"
    elif name == "_totalMethod" and value not in ("count", "estimate", "none"):
        raise bad(f'_totalMethod must be count, estimate or none; got "{value}"')


def reduced_warning(requested: int, allowed: int) -> dict[str, Any]:
    """The Bundle entry that says a ``_count`` was reduced (HAPI adds such an outcome too)."""
    return {
        "resource": {
            "resourceType": "OperationOutcome",
            "issue": [
                {
                    "severity": "warning",
                    "code": "informational",
                    "diagnostics": f"_count={requested} exceeds this server's maximum page size "
                    f"({allowed}); pages hold {allowed} resources: follow the next link for the rest",
                }
            ],
        },
        "search": {"mode": "outcome"},
    }


def check_format(value: str) -> None:
    """406 unless a ``_format`` value means JSON."""
    if value.split(";")[0].strip().lower() not in JSON_FORMATS:
        raise FhirError(
            406,
            f'_format "{value}" is not supported: this server speaks JSON only',
            "not-supported",
        )


def _has(name: str, value: str, depth: int) -> tuple[Query, str]:
    """``_has:Observation:patient:code=X`` -> (Observation?code=X, "patient"): resources that
    some Observation matching ``code=X`` references through its ``patient`` parameter."""
    parts = name.split(":")
    if len(parts) != 4 or not all(parts[1:]):
        raise bad(f'_has must be _has:Type:reference-param:param, got "{name}"')
    _, rtype, ref_param, inner = parts
    if depth >= 1 or inner.startswith("_has"):
        raise bad("nested _has is not supported", "not-supported")
    param = params_for(rtype).get(ref_param) if is_type(rtype) else None
    if param is None or param.type != "reference":
        raise bad(f'_has: "{rtype}:{ref_param}" is not a reference search parameter')
    return parse_query(rtype, [(inner, value)], _depth=depth + 1), ref_param
