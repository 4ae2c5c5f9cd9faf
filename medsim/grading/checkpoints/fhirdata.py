"""Reading FHIR JSON for graders: resources inside tool results, references, codes, times, text.

Graders only ever look at FHIR JSON: the stored resources in the episode's writes, the bundles the
agent's searches returned, and chart queries. These helpers are tolerant of where a resource sits
(a Bundle, a list, a tool's ``{"entries": [...]}`` wrapper, a JSON string) but strict about what it
says (R4 element names; a code matches only by system|code or an explicit display regex).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from medsim.fhir.paths import walk
from medsim.fhir.urls import REFERENCE_RE
from medsim.grading.checkpoints.patterns import Regex

Json = dict[str, Any]


@cache
def _elements() -> dict[str, dict[str, list[str]]]:
    text = resources.files("medsim.grading.checkpoints").joinpath("resource_elements.json")
    data = json.loads(text.read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if not k.startswith("_")}


def elements(kind: str, resource_type: str) -> list[str]:
    """Element paths (dotted) of ``kind`` ("code", "patient", "time") for a resource type."""
    table = _elements()[kind]
    return table.get(resource_type, table["default"])


def dicts(obj: Any, key: str) -> list[Json]:
    """The dict items of ``obj[key]`` (a list of dicts, or one dict); junk is skipped."""
    value = obj.get(key) if isinstance(obj, dict) else None
    if isinstance(value, dict):
        return [value]
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def member(obj: Any, key: str) -> Json:
    """``obj[key]`` when it is a dict, else an empty dict (tolerates malformed FHIR)."""
    value = obj.get(key) if isinstance(obj, dict) else None
    return value if isinstance(value, dict) else {}


def label(value: Any) -> str | None:
    """A unit or code as a string (None for anything that is not a non-empty string)."""
    return value if isinstance(value, str) and value else None


def get_path(resource: Any, path: str) -> list[Any]:
    """Values at a dotted path (``participant.actor`` -> every actor), walked by the search
    engine's own walker (:func:`medsim.fhir.paths.walk`: lists flattened, ``value[x]``
    matches choice elements), without absent or null values.

    A one-element path to a value that is not a list (``subject``, ``code``: most paths graders
    read, every step of a live status) is read directly, which is what the walker does too."""
    if isinstance(resource, dict) and "." not in path and "[" not in path:
        value = resource.get(path)
        if not isinstance(value, list):
            return [] if value is None else [value]
    return [v for v in walk(resource, path) if v is not None]


# ---- resources inside arbitrary JSON ------------------------------------------------------------


def iter_resources(obj: Any) -> Iterator[Json]:
    """Every FHIR resource (a dict with ``resourceType``) anywhere inside ``obj``, in document
    order, down to 12 levels.

    Bundles and OperationOutcomes are descended into (their entries are yielded, not the Bundle);
    JSON text directly inside a list, or as ``obj`` itself, is parsed. Collected by a plain
    recursion into one list, one function per JSON kind (live grading walks every search
    result; generators nested per level cost several times more)."""
    out: list[Json] = []
    _from_any(obj, 0, out)
    return iter(out)


_CONTAINERS = ("Bundle", "OperationOutcome")


def _from_any(obj: Any, depth: int, out: list[Json]) -> None:
    if isinstance(obj, dict):
        _from_dict(obj, depth, out)
    elif isinstance(obj, list):
        _from_list(obj, depth, out)
    elif isinstance(obj, str):
        _from_text(obj, depth, out)


def _from_dict(obj: Json, depth: int, out: list[Json]) -> None:
    if depth > 12:
        return
    rtype = obj.get("resourceType")
    if isinstance(rtype, str) and rtype not in _CONTAINERS:
        out.append(obj)
        return
    for value in obj.values():  # text directly inside a dict is a value, not JSON to parse
        if isinstance(value, dict):
            _from_dict(value, depth + 1, out)
        elif isinstance(value, list):
            _from_list(value, depth + 1, out)


def _from_list(obj: list[Any], depth: int, out: list[Json]) -> None:
    if depth > 12:
        return
    for item in obj:  # (_from_any inlined: the entries of every Bundle)
        if isinstance(item, dict):
            _from_dict(item, depth + 1, out)
        elif isinstance(item, list):
            _from_list(item, depth + 1, out)
        elif isinstance(item, str):
            _from_text(item, depth + 1, out)


def _from_text(obj: str, depth: int, out: list[Json]) -> None:
    if depth > 12:
        return
    text = obj.strip()
    if text[:1] in "{[":
        try:
            parsed = json.loads(text)
        except ValueError:
            return
        _from_any(parsed, depth + 1, out)


# ---- references and patients --------------------------------------------------------------------


_REF = REFERENCE_RE


def parse_reference(ref: Any) -> tuple[str, str] | None:
    """("Patient", "pat-0001") from "Patient/pat-0001", an absolute URL or a Reference dict."""
    if isinstance(ref, dict):
        ref = ref.get("reference")
    if not isinstance(ref, str):
        return None
    return _parse_reference_text(ref)


@lru_cache(maxsize=4096)
def _parse_reference_text(ref: str) -> tuple[str, str] | None:
    """:func:`parse_reference` of a string, remembered: the same few references ("Patient/x")
    are parsed for every resource of every tool result a live status reads."""
    m = _REF.search(ref.strip())
    return (m.group(1), m.group(2)) if m else None


def patients_of(resource: Json) -> set[str]:
    """Patient ids a resource is about (its subject/patient references; a Patient is itself)."""
    rtype = str(resource.get("resourceType", ""))
    if rtype == "Patient":
        return {str(resource.get("id", ""))}
    out: set[str] = set()
    for path in elements("patient", rtype):
        for ref in get_path(resource, path):
            parsed = parse_reference(ref)
            if parsed and parsed[0] == "Patient":
                out.add(parsed[1])
    return out


# ---- codes ------------------------------------------------------------------------------------


def concepts(resource: Json) -> list[Any]:
    """The CodeableConcepts (or bare strings) that say what a resource is."""
    out: list[Any] = []
    for path in elements("code", str(resource.get("resourceType", ""))):
        out.extend(get_path(resource, path))
    return out


def codings(concept: Any) -> list[Json]:
    if isinstance(concept, dict):
        return dicts(concept, "coding")
    return []


def concept_texts(concept: Any) -> list[str]:
    """Human-readable labels of a concept: its text and codings' displays."""
    if isinstance(concept, str):
        return [concept]
    if not isinstance(concept, dict):
        return []
    texts = [str(c["display"]) for c in codings(concept) if c.get("display")]
    if concept.get("text"):
        texts.append(str(concept["text"]))
    return texts


class CodeMatch(BaseModel):
    """Which codes count: ``codes`` as "system|code" (or a bare code with ``system``), and/or a
    case-insensitive ``display_regex`` on coding displays / concept text. Empty matches anything."""

    model_config = ConfigDict(extra="forbid")

    system: str | None = None
    codes: list[str] = Field(default_factory=list)
    display_regex: Regex | None = None

    @property
    def empty(self) -> bool:
        return not self.codes and self.display_regex is None

    def matches_concept(self, concept: Any) -> bool:
        if self.empty:
            return True
        pairs = _code_pairs(self.system, tuple(self.codes))
        for c in codings(concept):
            code, system = str(c.get("code", "")), c.get("system")
            if (system, code) in pairs or (None, code) in pairs:
                return True
        if self.display_regex is not None:
            rx = _display_pattern(self.display_regex)
            return any(rx.search(t) for t in concept_texts(concept))
        return False

    def matches(self, resource: Json) -> bool:
        """Does any of the resource's code concepts match?"""
        if self.empty:
            return True
        for concept in concepts(resource):  # noqa: SIM110 (a loop: live status matches every step)
            if self.matches_concept(concept):
                return True
        return False

    def describe(self) -> str:
        parts = list(self.codes)
        if self.display_regex:
            parts.append(f"/{self.display_regex}/")
        return " or ".join(parts) or "any code"


@lru_cache(maxsize=1024)
def _code_pairs(system: str | None, codes: tuple[str, ...]) -> frozenset[tuple[str | None, str]]:
    """``CodeMatch``'s codes as (system or None, code) pairs ("system|code", or a bare code with
    the match's ``system``), worked out once per list (live grading matches every step)."""
    out: set[tuple[str | None, str]] = set()
    for code in codes:
        if "|" in code:
            code_system, _, value = code.rpartition("|")
            out.add((code_system or None, value))
        else:
            out.add((system, code))
    return frozenset(out)


@lru_cache(maxsize=256)
def _display_pattern(regex: str) -> re.Pattern[str]:
    """``CodeMatch.display_regex`` compiled (case-insensitive), once per pattern."""
    return re.compile(regex, re.IGNORECASE)


def code_summary(resource: Json) -> str:
    """A short label for evidence: first coding system|code (display)."""
    for concept in concepts(resource):
        for c in codings(concept):
            label = f"{c.get('code')}"
            return f"{label} ({c['display']})" if c.get("display") else label
        texts = concept_texts(concept)
        if texts:
            return texts[0]
    return "no code"


# ---- times ------------------------------------------------------------------------------------

_DT = re.compile(
    r"^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?"
    r"(Z|[+-]\d{2}:\d{2})?)?)?)?$"
)


def parse_datetime(value: Any) -> datetime | None:
    """A FHIR date/dateTime/instant (partial precision allowed) as an aware datetime (UTC when no
    zone is given, like the embedded engine); None when it is not one."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str):
        return None
    m = _DT.match(value.strip())
    if not m:
        return None
    y, mo, d, hh, mi, ss, tz = m.groups()
    try:
        dt = datetime(int(y), int(mo or 1), int(d or 1), int(hh or 0), int(mi or 0), int(ss or 0))
    except ValueError:
        return None
    if tz and tz != "Z":
        sign = 1 if tz[0] == "+" else -1
        offset = timedelta(hours=int(tz[1:3]), minutes=int(tz[4:6]))
        return (dt - sign * offset).replace(tzinfo=UTC)
    return dt.replace(tzinfo=UTC)


def resource_time(resource: Json) -> datetime | None:
    """The clinically relevant time of a resource (effective, authored, recorded...)."""
    for path in elements("time", str(resource.get("resourceType", ""))):
        for v in get_path(resource, path):
            dt = parse_datetime(v)
            if dt is not None:
                return dt
    return None


# ---- text -------------------------------------------------------------------------------------


def _decode(data: str) -> str:
    try:
        return base64.b64decode(data, validate=True).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        return data


def resource_text(resource: Json) -> str:
    """All free text a clinician would read in a note-like resource, joined by newlines."""
    parts: list[str] = []
    for content in dicts(resource, "content"):  # DocumentReference
        att = member(content, "attachment")
        if isinstance(att.get("data"), str):
            parts.append(_decode(att["data"]))
        if isinstance(att.get("title"), str):
            parts.append(att["title"])
    for payload in dicts(resource, "payload"):  # Communication
        if isinstance(payload.get("contentString"), str):
            parts.append(payload["contentString"])
    for note in dicts(resource, "note"):  # Annotation list (orders); MAB sends one object
        if isinstance(note.get("text"), str):
            parts.append(note["text"])
    for key in ("description", "comment", "patientInstruction"):
        if isinstance(resource.get(key), str):
            parts.append(str(resource[key]))
    text = resource.get("text")
    if isinstance(text, dict) and isinstance(text.get("div"), str):
        parts.append(re.sub(r"<[^>]+>", " ", text["div"]))
    return "\n".join(parts)
