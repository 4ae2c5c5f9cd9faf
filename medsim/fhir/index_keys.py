"""The small integers that stand for (resource type, search parameter) in index rows
[changed in 0.3].

Every index row (tables ``tok``, ``str``, ``date``, ``ref``, ``qty``, ``num``) and both of its
indexes used to repeat the type and parameter names (``Observation`` + ``combo-value-quantity``,
~20 bytes); one integer key (1-2 bytes) takes the index about a sixth smaller and its builds and
lookups compare shorter keys (docs/benchmarks.md, issue 19). The numbering is a pure function of
the R4 resource types (:func:`medsim.fhir.strict.resource_types`) and the parameter definitions
(``data/search_parameters.json``), so every base and every episode layer uses the same keys and the
SQL builder maps names to keys when it builds a statement (no lookup table, no join at query time).
:func:`digest` is part of a cached base's fingerprint: a change of numbering rebuilds old caches.

A union parameter (``combo-code``) has no key of its own: :func:`keys` gives its members' keys. A
column parameter (``_id``) has none either: searches read the ``resources`` table (sqlsearch).
Resources of a type that is not R4 (stored only by an unvalidated load) get no index rows: no
search can name their type.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache

from medsim.fhir import strict
from medsim.fhir.search_params import SearchParam, definitions, params_for


@cache
def table() -> dict[str, dict[str, int]]:
    """Resource type -> stored parameter name -> key (1, 2, ... in sorted order)."""
    types = sorted(strict.resource_types() | {t for t in definitions() if not t.startswith("_")})
    out: dict[str, dict[str, int]] = {}
    n = 0
    for rtype in types:
        named: dict[str, int] = {}
        for name, param in sorted(params_for(rtype).items()):
            if param.stored:
                n += 1
                named[name] = n
        out[rtype] = named
    return out


def for_type(resource_type: str) -> dict[str, int]:
    """The keys of one type's stored parameters (empty for a type that is not R4)."""
    return table().get(resource_type, {})


def keys(resource_type: str, param: SearchParam) -> tuple[int, ...]:
    """The keys whose rows hold ``param``'s values: its own, or its union members'."""
    named = for_type(resource_type)
    return tuple(named[name] for name in (param.union or (param.name,)))


def key(resource_type: str, name: str) -> int | None:
    """The key of one stored parameter, or None if the type has no such parameter."""
    return for_type(resource_type).get(name)


@cache
def digest() -> str:
    """A hash of the whole numbering (for cache fingerprints)."""
    text = json.dumps(table(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
