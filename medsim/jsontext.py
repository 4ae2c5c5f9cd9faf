"""JSON text (cohort NDJSON lines, stored resource bodies, packed task files), read and written
by orjson wherever it gives what the standard library gives, by :mod:`json` everywhere else
[changed in 0.3; was ``medsim.fhir.jsontext`` until task files were read with it too].

A first build parses every line of a cohort and writes every resource again as its stored body;
with :mod:`json` these were about a quarter of the build's CPU (docs/benchmarks.md, issue 19).
orjson does both several times faster, but it is not a drop-in replacement:

- reading, it refuses ``NaN``/``Infinity``, lone surrogates and numbers beyond a double's range
  (json accepts them) and reads integers beyond 64 bits as floats (json keeps them exact).
  :func:`loads` gives json any text with a run of 19 or more digits (in a number or not: a cheap
  test, conservative) and any text orjson refuses, so values, and the errors of bad text, are
  json's.
- writing, it writes ``NaN``/``Infinity`` as ``null`` and refuses integers beyond 64 bits, lone
  surrogates and non-string keys. :func:`dumps` lets json write anything orjson refuses or whose
  orjson text contains ``null`` (FHIR JSON has none but in rare primitive arrays). Otherwise the
  text is json's but for the spelling of some floats (``1e-7`` for ``1e-07``), which read back as
  the same float.

Tests: tests/fhir/test_json_text.py compares both with the standard library (hypothesis).
"""

from __future__ import annotations

import json
from typing import Any

import orjson

Json = dict[str, Any]

#: json's compact text (what bodies were before orjson): UTF-8 as it is. One encoder, built once
#: (``json.dumps`` with options builds a new one per call).
_std_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode

#: Every digit as "0", so that a run of 19 digits is one substring test (``bytes.translate`` and
#: ``in`` are C loops; a regular expression took longer than the parse it guarded).
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
#: Below -2**63 (19 digits) or above 2**64 - 1 (20 digits), orjson reads an integer as a float:
#: any integer of at most 18 digits is exact.
_LONG_RUN = b"0" * 19


#: What :func:`_by_orjson` gives for text it leaves to json.
_TO_JSON = object()


def _by_orjson(raw: bytes) -> Any:
    """orjson's value of ``raw`` where it is json's, else :data:`_TO_JSON` (a run of 19 or more
    digits; NaN, a lone surrogate, bytes that are not UTF-8, or bad JSON: json reads it or
    explains)."""
    if _LONG_RUN not in raw.translate(_DIGITS_AS_ZERO):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return _TO_JSON


def loads(text: str) -> Any:
    """The value of JSON ``text``: exactly what :func:`json.loads` gives (or raises)."""
    value = _by_orjson(text.encode("utf-8", "surrogatepass"))
    return json.loads(text) if value is _TO_JSON else value


def loads_utf8(raw: bytes) -> Any:
    """:func:`loads` of UTF-8 bytes (a stored body as it comes out of zstd), without making a
    ``str`` first: exactly what ``json.loads(raw.decode("utf-8"))`` gives (or raises)."""
    value = _by_orjson(raw)
    return json.loads(raw.decode("utf-8")) if value is _TO_JSON else value


def dumps(value: Json) -> str:
    """Compact JSON text of ``value`` that :func:`json.loads` reads back as ``value`` (json's
    ``separators=(",", ":"), ensure_ascii=False`` text but for the spelling of some floats)."""
    try:
        out = orjson.dumps(value)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return _std_encode(value)
    if b"null" in out:  # perhaps a NaN or an infinity
        return _std_encode(value)
    return out.decode("utf-8")
