"""One FHIR (or any JSON) value as one short line: the cells of the compact view.

Values are summarised by shape, not by type name (:func:`brief`): a CodeableConcept is its
label and every code (``Potassium (LOINC 2823-3)``), a Quantity its value and unit, a Reference
its ``Type/id``, a Period ``start to end``, a text attachment its decoded text, a UTC time ends
in ``Z``. Nothing an agent needs to act is dropped: every code, value, unit, date and reference
stays; only system URLs, ``meta`` and repeated wording go.
"""

from __future__ import annotations

import base64
import binascii
import re
from functools import cache
from importlib import resources
from typing import Any

from medsim.yamlload import safe_load

Json = dict[str, Any]
#: Top-level elements of a resource that the compact view leaves out (meta data, narrative).
SKIPPED = ("resourceType", "id", "meta", "text")
_TERMINOLOGY = ("http://terminology.hl7.org/", "http://hl7.org/fhir/")
#: A FHIR dateTime in UTC written with ``+00:00``; shown with FHIR's equivalent ``Z``.
_UTC = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?)\+00:00$")


@cache
def config() -> Json:
    """``columns.yaml``: table columns per resource type, code-system names, the cell limit."""
    text = resources.files("medsim.observation").joinpath("columns.yaml").read_text("utf-8")
    data: Json = safe_load(text)
    return data


def empty(value: Any) -> bool:
    """FHIR's notion of an absent element: None, "", [] or {}."""
    return value is None or value == "" or value == [] or value == {}


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _UTC.sub(r"\1Z", value)
    return str(value)


def coding(c: Json) -> str:
    """``display (SYSTEM code)``; status-like HL7 codes as the bare code."""
    system, code, display = str(c.get("system", "")), c.get("code"), c.get("display")
    if code is None:
        return str(display or "")
    if system.startswith(_TERMINOLOGY) and "/sid/" not in system:
        return str(code)
    short = config()["systems"].get(system)
    label = f"{short} {code}" if short else str(code)
    if not display or str(display).lower() == str(code).lower():
        return label
    return f"{display} ({label})"


def concept(cc: Json) -> str:
    """A CodeableConcept: its label (``text``, FHIR's words for the concept as the user saw it,
    else the first display) and every code."""
    codings = [c for c in cc.get("coding") or [] if isinstance(c, dict)]
    text = cc.get("text")
    if not codings:
        return str(text or "")
    if len(codings) == 1 and not text:
        return coding(codings[0])
    codes = [x for x in (coding({**c, "display": None}) for c in codings) if x]
    if not codes or all(str(c.get("system", "")).startswith(_TERMINOLOGY) for c in codings):
        return ", ".join(codes) or str(text or codings[0].get("display") or "")
    label = str(text or codings[0].get("display") or "")
    return f"{label} ({', '.join(codes)})" if label else ", ".join(codes)


def _attachment(a: Json) -> str:
    kind = str(a.get("contentType", ""))
    data = a.get("data")
    if isinstance(data, str) and kind.startswith("text/"):
        try:
            return f"[{kind.split(';')[0]}] " + base64.b64decode(data).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            pass
    size = f", {len(data) * 3 // 4} bytes" if isinstance(data, str) else ""
    where = f" {a['url']}" if a.get("url") else ""
    return f"[{kind or 'attachment'}{size}]{where}"


def _name(n: Json) -> str:
    given = " ".join(str(g) for g in n.get("given") or [])
    text = " ".join(p for p in (given, str(n.get("family", ""))) if p) or str(n.get("text", ""))
    return f"{text} ({n['use']})" if n.get("use") and n.get("use") != "official" else text


def _address(a: Json) -> str:
    parts = [*map(str, a.get("line") or []), a.get("city"), a.get("state"), a.get("postalCode")]
    parts.append(a.get("country"))
    return ", ".join(str(p) for p in parts if p)


def _extension(e: Json) -> str:
    """``name: value`` (a complex extension with a ``text`` part, as US Core race, by its text)."""
    tail = str(e.get("url", "")).rstrip("/").rsplit("/", 1)[-1].removeprefix("us-core-")
    values = [v for k, v in e.items() if k.startswith("value")]
    parts = [p for p in e.get("extension") or [] if isinstance(p, dict)]
    text = [p.get("valueString") for p in parts if p.get("url") == "text" and p.get("valueString")]
    inner = brief(values[0]) if values else str(text[0]) if text else brief(parts)
    return f"{tail}: {inner}"


def _dosage(d: Json) -> str:
    """A Dosage: its text, and each dose or rate quantity the text does not already say."""
    doses = [brief(x.get("doseQuantity") or x.get("rateQuantity")) for x in d["doseAndRate"]]
    said = " ".join(str(d["text"]).split()).lower()
    extra = [x for x in doses if x and not _says(said, _bare(x).lower())]
    return "; ".join([d["text"], *extra])


def _bare(quantity: str) -> str:
    """``40.0 mEq`` -> ``40 mEq`` (how a dose is written in a sig)."""
    number, _, unit = quantity.partition(" ")
    return f"{number.removesuffix('.0')} {unit}".strip()


def _says(text: str, phrase: str) -> bool:
    """``phrase`` occurs in ``text`` as whole words and numbers (``40 mg`` is not in ``140 mg``)."""
    return re.search(rf"(?<![\w.]){re.escape(phrase)}(?![\w])", text) is not None


def _dict(d: Json) -> str:
    """A dict by its shape (FHIR datatypes first, then ``key=value`` pairs)."""
    if "coding" in d:
        return concept(d)
    if "reference" in d:
        ref = str(d["reference"])
        return f"{ref} ({d['display']})" if d.get("display") else ref
    if "value" in d and isinstance(d["value"], int | float) and not isinstance(d["value"], bool):
        unit = d.get("unit") or d.get("code") or ""
        return f"{d.get('comparator', '')}{_scalar(d['value'])} {unit}".strip()
    if "url" in d and (any(k.startswith("value") for k in d) or "extension" in d):
        return _extension(d)
    if "code" in d and ("system" in d or "display" in d):
        return coding(d)
    if "family" in d or "given" in d:
        return _name(d)
    if "line" in d or "city" in d or "postalCode" in d:
        return _address(d)
    if "contentType" in d or "data" in d:
        return _attachment(d)
    if "system" in d and "value" in d:  # Identifier / ContactPoint
        label = brief(d["type"]) if d.get("type") else str(d["system"]).rsplit("/", 1)[-1]
        return f"{d['value']} ({label})"
    if set(d) <= {"start", "end"}:
        return f"{brief(d.get('start'))} to {brief(d.get('end')) or 'now'}".strip()
    if set(d) <= {"low", "high"}:
        return f"{brief(d.get('low'))}-{brief(d.get('high'))}"
    if isinstance(d.get("text"), str) and isinstance(d.get("doseAndRate"), list):
        return _dosage(d)
    if set(d) == {"text"} or (isinstance(d.get("text"), str) and "timing" in d):
        return str(d["text"])
    values = [v for k, v in d.items() if k.startswith("value") and not empty(v)]
    if isinstance(d.get("code"), dict) and values:  # an Observation component
        codings = d["code"].get("coding") or [{}]
        label = d["code"].get("text") or codings[0].get("display") or concept(d["code"])
        return f"{label} {brief(values[0])}"
    pairs = [
        f"{k}=({brief(v)})" if isinstance(v, dict) and len(v) > 1 else f"{k}={brief(v)}"
        for k, v in d.items()
        if not empty(v) and k not in SKIPPED[2:]
    ]
    if d.get("resourceType"):
        pairs.insert(0, f"{d['resourceType']}/{d.get('id', '')}")
    return ", ".join(pairs)


def brief(value: Any) -> str:
    """One line summarising any JSON value (see the module docstring)."""
    if isinstance(value, dict):
        return _dict(value)
    if isinstance(value, list):
        return "; ".join(brief(v) for v in value if not empty(v))
    if value is None:
        return ""
    return _scalar(value)
